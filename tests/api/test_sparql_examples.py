"""The ten example queries: documented verbatim, and each returns its rows on the fixture."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sparql_fixture import fill_store

from translator.api.app import create_app
from translator.api.sparql import sparql_router
from translator.api.sparql_examples import EXAMPLES, example
from translator.settings import SparqlSettings
from translator.twin.store import TwinStore

ROOT = Path(__file__).resolve().parents[2]
NUMERIC = {
    "http://www.w3.org/2001/XMLSchema#double",
    "http://www.w3.org/2001/XMLSchema#integer",
    "http://www.w3.org/2001/XMLSchema#decimal",
}
SHORT = {
    "urn:dev:zigbee2mqtt:": "z2m:",
    "urn:dev:tasmota:": "tasmota:",
    "https://w3id.org/semantic-translator/property/": "trp:",
    "http://qudt.org/vocab/unit/": "unit:",
    "http://qudt.org/vocab/quantitykind/": "kind:",
    "https://saref.etsi.org/core/": "saref:",
}
C, F = "unit:DEG_C", "unit:DEG_F"
T = "2026-11-25T{}:00Z".format


def living_room_payload(i: int) -> bytes:
    body = {"temperature": 21 + 0.25 * i, "humidity": 45 - 0.5 * i, "voltage": 3000 - 5 * i}
    return json.dumps(body).encode()


EXPECTED: dict[str, list[tuple[Any, ...]]] = {
    "latest-state": [
        ("tasmota:garage_probe", "trp:temperature", 20.0, C, T("11:00")),
        ("z2m:bedroom_sensor", "trp:relativeHumidity", 55.0, "unit:PERCENT_RH", T("10:00")),
        ("z2m:bedroom_sensor", "trp:temperature", 19.5, C, T("10:00")),
        ("z2m:coffee_machine", "trp:onOff", "false", None, T("10:30")),
        ("z2m:coffee_machine", "trp:power", 0.0, "unit:W", T("10:30")),
        ("z2m:front_door", "trp:batteryLevel", 99.0, "unit:PERCENT", T("11:30")),
        ("z2m:front_door", "trp:contact", "false", None, T("11:30")),
        ("z2m:kitchen_sensor", "trp:batteryVoltage", 2.96, "unit:V", T("12:00")),
        ("z2m:kitchen_sensor", "trp:relativeHumidity", 50.0, "unit:PERCENT_RH", T("12:00")),
        ("z2m:kitchen_sensor", "trp:temperature", 27.0, C, T("12:00")),
        ("z2m:living_room_sensor", "trp:batteryVoltage", 2.96, "unit:V", T("12:00")),
        ("z2m:living_room_sensor", "trp:relativeHumidity", 41.0, "unit:PERCENT_RH", T("12:00")),
        ("z2m:living_room_sensor", "trp:temperature", 23.0, C, T("12:00")),
    ],
    "history-window": [
        (T("10:30"), 21.5, C),
        (T("10:45"), 21.75, C),
        (T("11:00"), 22.0, C),
    ],
    "area-above-threshold": [
        ("z2m:kitchen_sensor", "Kitchen sensor", 27.0, T("12:00")),
    ],
    "hourly-averages": [
        ("2026-11-25T10", 21.375, 21.0, 21.75, 4.0),
        ("2026-11-25T11", 22.375, 22.0, 22.75, 4.0),
        ("2026-11-25T12", 23.0, 23.0, 23.0, 1.0),
    ],
    "provenance": [
        (
            23.0,
            "<observation>",
            "mqtt",
            "zigbee2mqtt/living_room_sensor",
            T("12:00"),
            hashlib.sha256(living_room_payload(8)).hexdigest(),
            "site-living-room",
            "1",
            "site-living-room.yaml",
        )
    ],
    "unit-conversions": [
        ("trp:batteryVoltage", "unit:MilliV", "unit:V", 18.0, 2960.0, 3000.0),
        ("trp:temperature", F, C, 3.0, 50.0, 68.0),
    ],
    "things-by-type": [
        ("saref:Sensor", "tasmota:garage_probe", "garage_probe", None),
        ("saref:Sensor", "z2m:bedroom_sensor", "bedroom_sensor", None),
        ("saref:Sensor", "z2m:front_door", "front_door", None),
        ("saref:Sensor", "z2m:kitchen_sensor", "Kitchen sensor", "kitchen"),
        ("saref:Sensor", "z2m:living_room_sensor", "Living room sensor", "living-room"),
        ("saref:Switch", "z2m:coffee_machine", "coffee_machine", None),
    ],
    "properties-by-kind": [
        ("kind:Power", "trp:power", 1.0),
        ("kind:RelativeHumidity", "trp:relativeHumidity", 3.0),
        ("kind:StateOfCharge", "trp:batteryLevel", 1.0),
        ("kind:Temperature", "trp:temperature", 4.0),
        ("kind:Voltage", "trp:batteryVoltage", 2.0),
    ],
    "silent-things": [
        ("z2m:bedroom_sensor", T("10:00")),
        ("z2m:coffee_machine", T("10:30")),
    ],
    "per-mapping": [
        ("site-kitchen", "1", 9.0),
        ("site-living-room", "1", 9.0),
        ("tasmota-sensor", "1", 3.0),
        ("zigbee2mqtt-climate", "1", 1.0),
        ("zigbee2mqtt-contact", "1", 2.0),
        ("zigbee2mqtt-plug", "1", 2.0),
    ],
}


@pytest.fixture(scope="module")
def fixture_store() -> Iterator[TwinStore]:
    with TwinStore.open() as store:
        fill_store(store)
        yield store


@pytest.fixture
async def client(fixture_store: TwinStore) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app([sparql_router(fixture_store, SparqlSettings())])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as opened:
        yield opened


def cell(term: dict[str, str] | None) -> Any:
    """A JSON results term as a short comparable value: numbers as rounded floats."""
    if term is None:
        return None
    value = term["value"]
    if term.get("datatype") in NUMERIC:
        return round(float(value), 9)
    if term["type"] == "uri":
        for long, short in SHORT.items():
            if value.startswith(long):
                return short + value[len(long) :]
        if "/id/observation/" in value:
            return "<observation>"
    return value


def rows(response: httpx.Response) -> list[tuple[Any, ...]]:
    data = response.json()
    names = data["head"]["vars"]
    return [tuple(cell(b.get(n)) for n in names) for b in data["results"]["bindings"]]


def test_every_example_has_expected_rows() -> None:
    assert [e.slug for e in EXAMPLES] == list(EXPECTED)
    assert len(EXAMPLES) == 10


@pytest.mark.parametrize("slug", list(EXPECTED))
async def test_example_returns_its_rows(client: httpx.AsyncClient, slug: str) -> None:
    response = await client.post("/sparql", data={"query": example(slug).sparql})
    assert response.status_code == 200, response.text
    found = rows(response)
    if "ORDER BY" not in example(slug).sparql:  # any order is right
        found.sort(key=lambda row: tuple(str(cell) for cell in row))
    assert found == EXPECTED[slug]


async def test_provenance_points_at_the_latest_observation(client: httpx.AsyncClient) -> None:
    provenance = await client.get("/sparql", params={"query": example("provenance").sparql})
    observation = provenance.json()["results"]["bindings"][0]["observation"]["value"]
    ask = f'ASK {{ <{observation}> sosa:resultTime "{T("12:00")}"^^xsd:dateTime }}'
    assert (await client.get("/sparql", params={"query": ask})).json()["boolean"] is True


@pytest.mark.parametrize("document", ["README.md", "docs/sparql.md"])
def test_documents_carry_every_example_verbatim(document: str) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    missing = [e.slug for e in EXAMPLES if f"```sparql\n{e.sparql}\n```" not in text]
    assert not missing, f"{document} lacks (or has a stale copy of) {missing}"
    titles = [e.title for e in EXAMPLES if e.title not in text]
    assert not titles, f"{document} lacks the titles {titles}"


def test_unknown_example_slug() -> None:
    with pytest.raises(KeyError):
        example("nope")
