"""Fixtures for the mapping layer: the real vocabulary, and mappings written to ``tmp_path``.

``load_text`` writes YAML (dedented) to a file and loads it with ``load_mappings``, so tests
exercise the same path as the service, line numbers included. ``envelope`` builds an
``Envelope`` with a fixed arrival time.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from translator.mapping import MappingSet, load_mappings
from translator.ontology.vocabulary import Vocabulary, load_vocabulary
from translator.values import Envelope, Protocol

ARRIVAL = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

MINIMAL = """\
id: {id}
version: "1"
match:
  protocol: {protocol}
  channel: "{channel}"
thing:
  iri: "urn:dev:test:{{device}}"
readings:
  - property: temperature
    value: "$.t"
"""


@pytest.fixture(scope="session")
def vocabulary() -> Vocabulary:
    """The shipped vocabulary (ontology/*.ttl), loaded once."""
    return load_vocabulary()


@pytest.fixture
def load_text(tmp_path: Path, vocabulary: Vocabulary) -> Callable[..., MappingSet]:
    """Write each YAML text to its own file under ``tmp_path`` and load them all."""

    def load(*texts: str, **limits: Any) -> MappingSet:
        paths = []
        for index, text in enumerate(texts):
            path = tmp_path / f"m{index}.yaml"
            path.write_text(textwrap.dedent(text), encoding="utf-8")
            paths.append(path)
        return load_mappings(paths, vocabulary, **limits)

    return load


@pytest.fixture
def envelope() -> Callable[..., Envelope]:
    """``envelope(channel, payload, protocol=mqtt, content_format=None, received_at=ARRIVAL)``."""

    def make(
        channel: str,
        payload: bytes | str,
        protocol: Protocol = Protocol.MQTT,
        content_format: str | None = None,
        received_at: datetime = ARRIVAL,
    ) -> Envelope:
        data = payload.encode() if isinstance(payload, str) else payload
        return Envelope(protocol, channel, data, received_at, content_format)

    return make


@pytest.fixture
def minimal() -> Callable[..., str]:
    """A minimal valid mapping text; keyword arguments fill id, protocol, channel."""

    def make(id: str = "m", protocol: str = "mqtt", channel: str = "t/{device}") -> str:
        return MINIMAL.format(id=id, protocol=protocol, channel=channel)

    return make
