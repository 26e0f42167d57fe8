"""Fixtures for the RDF layer: readings of one envelope and a builder with predictable keys."""

from __future__ import annotations

import pytest
from rdf_samples import ARRIVAL, CHANNEL, PAYLOAD, THING, CountingMinter

from translator.rdf.observations import ObservationBuilder
from translator.values import Envelope, Protocol, Provenance, Reading


@pytest.fixture
def builder() -> ObservationBuilder:
    return ObservationBuilder(CountingMinter())


@pytest.fixture
def envelope() -> Envelope:
    return Envelope(Protocol.MQTT, CHANNEL, PAYLOAD, ARRIVAL)


@pytest.fixture
def provenance() -> Provenance:
    return Provenance("zigbee2mqtt-climate", "1", Protocol.MQTT, CHANNEL)


@pytest.fixture
def converted(provenance: Provenance) -> Reading:
    """A temperature sent in °F and stored in °C."""
    return Reading(THING, "temperature", 21.5, "DEG_C", ARRIVAL, provenance, 70.7, "DEG_F")


@pytest.fixture
def switch(provenance: Provenance) -> Reading:
    return Reading(THING, "onOff", True, None, ARRIVAL, provenance)
