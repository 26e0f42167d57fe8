"""``/things`` in-process (httpx ASGI transport): listing, TDs, state, commands, auth."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jsonschema
import orjson
import pytest

from translator.api.app import create_app
from translator.api.auth import Authenticator, hash_token
from translator.api.things import things_router
from translator.errors import AdapterError
from translator.pipeline import Pipeline, build_pipeline
from translator.settings import Settings, TokenSettings
from translator.twin.commands import CommandService
from translator.twin.descriptions import TD_MEDIA_TYPE, ThingDescriber
from translator.twin.store import TwinStore
from translator.twin.things import ThingDirectory
from translator.values import Envelope, Protocol, RenderedCommand, Translated

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wot-td"
PLUG = "urn:dev:zigbee2mqtt:kitchen_plug"
PLUG_PATH = "/things/urn%3Adev%3Azigbee2mqtt%3Akitchen_plug"
READER = "reader.s3cret-reader"
ACTOR = "actor.s3cret-actor"

MESSAGES = [
    ("zigbee2mqtt/kitchen_plug", {"state": "ON", "power": 120.5}),
    ("zigbee2mqtt/hall", {"temperature": 21.5, "humidity": 40.2}),
    ("tele/desk/SENSOR", {"ENERGY": {"Power": 12}}),
    ("zigbee2mqtt/back_door", {"contact": True}),
]


class RecordingSender:
    """Takes every command (or fails like a broken link)."""

    def __init__(self, error: str | None = None) -> None:
        self.sent: list[RenderedCommand] = []
        self.error = error

    async def send(self, command: RenderedCommand) -> None:
        if self.error is not None:
            raise AdapterError(self.error)
        self.sent.append(command)


@dataclass
class Api:
    client: httpx.AsyncClient
    sender: RecordingSender
    pipeline: Pipeline


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline(Settings())


@pytest.fixture
def store(pipeline: Pipeline) -> Iterator[TwinStore]:
    with TwinStore.open() as opened:
        batch = []
        for channel, payload in MESSAGES:
            envelope = Envelope(Protocol.MQTT, channel, orjson.dumps(payload), datetime.now(UTC))
            outcome = pipeline.translate(envelope)
            assert isinstance(outcome, Translated), outcome
            batch.append(outcome)
        opened.write(batch)
        yield opened


async def serve(
    pipeline: Pipeline,
    store: TwinStore,
    *,
    tokens: tuple[TokenSettings, ...] = (),
    commands: bool = True,
) -> tuple[httpx.AsyncClient, RecordingSender]:
    directory = ThingDirectory.load(store)
    sender = RecordingSender()
    service = (
        CommandService(pipeline.mappings, directory, {Protocol.MQTT: sender}) if commands else None
    )
    router = things_router(
        directory,
        store,
        pipeline.mappings,
        ThingDescriber(pipeline.vocabulary.properties),
        service,
    )
    app = create_app([router], authenticator=Authenticator(tokens))
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://twin.test"), sender


@pytest.fixture
async def api(pipeline: Pipeline, store: TwinStore) -> AsyncIterator[Api]:
    client, sender = await serve(pipeline, store)
    async with client:
        yield Api(client, sender, pipeline)


async def test_list_things_with_hrefs(api: Api) -> None:
    answer = await api.client.get("/things")
    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] == 4
    ids = [item["id"] for item in body["items"]]
    assert ids == sorted(ids)
    plug = next(item for item in body["items"] if item["id"] == PLUG)
    assert plug == {
        "id": PLUG,
        "href": PLUG_PATH,
        "title": "kitchen_plug",
        "type": "saref:Switch",
        "area": None,
        "position": None,
        "mapping": "zigbee2mqtt-plug",
        "variables": {"device": "kitchen_plug"},
        "commands": ["setOnOff"],
    }
    desk = next(item for item in body["items"] if item["id"] == "urn:dev:tasmota:desk")
    assert desk["commands"] == ["setOnOff"]  # from the Tasmota relay mappings


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"type": "saref:Switch"}, [PLUG]),
        (
            {"type": "https://saref.etsi.org/core/Sensor"},
            ["urn:dev:tasmota:desk", "urn:dev:zigbee2mqtt:back_door", "urn:dev:zigbee2mqtt:hall"],
        ),
        ({"mapping": "zigbee2mqtt-contact"}, ["urn:dev:zigbee2mqtt:back_door"]),
        ({"q": "HALL"}, ["urn:dev:zigbee2mqtt:hall"]),
        ({"area": "kitchen"}, []),
        (
            {"limit": "2", "offset": "1"},
            ["urn:dev:zigbee2mqtt:back_door", "urn:dev:zigbee2mqtt:hall"],
        ),
    ],
    ids=["type-curie", "type-iri", "mapping", "text", "area", "page"],
)
async def test_filters_and_pages(api: Api, query: dict[str, str], expected: list[str]) -> None:
    body = (await api.client.get("/things", params=query)).json()
    assert [item["id"] for item in body["items"]] == expected


async def test_bad_paging_is_422(api: Api) -> None:
    assert (await api.client.get("/things", params={"limit": "501"})).status_code == 422
    assert (await api.client.get("/things", params={"offset": "-1"})).status_code == 422


async def test_thing_description(api: Api) -> None:
    answer = await api.client.get(PLUG_PATH)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == TD_MEDIA_TYPE
    td = answer.json()
    schema = json.loads((FIXTURES / "td-json-schema-validation.json").read_text())
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    assert [error.message for error in validator.iter_errors(td)] == []
    assert td["id"] == PLUG
    assert td["base"] == "http://twin.test/"
    assert td["securityDefinitions"] == {
        "nosec_sc": {"scheme": "nosec", "description": "No tokens configured (loopback)."}
    }
    assert "setOnOff" in td["actions"]
    assert {"onOff", "power"} <= set(td["properties"])


async def test_the_iri_may_come_unencoded(api: Api) -> None:
    answer = await api.client.get(f"/things/{PLUG}")
    assert answer.status_code == 200
    assert answer.json()["id"] == PLUG


async def test_unknown_things_are_404(api: Api) -> None:
    for path in ("/things/urn%3Adev%3Anone", "/things/urn%3Adev%3Anone/state"):
        answer = await api.client.get(path)
        assert answer.status_code == 404, path
        assert "urn:dev:none" in answer.json()["detail"]


async def test_state_with_units_and_times(api: Api) -> None:
    body = (await api.client.get(f"{PLUG_PATH}/state")).json()
    assert body["thing"] == PLUG
    assert body["href"] == PLUG_PATH
    power = body["properties"]["power"]
    assert (power["value"], power["unit"]) == (120.5, "W")
    assert power["time"].endswith("Z")
    assert power["observation"].startswith("https://w3id.org/semantic-translator/id/observation/")
    assert body["properties"]["onOff"]["unit"] is None


async def test_one_property_reads_as_its_bare_value(api: Api) -> None:
    assert (await api.client.get(f"{PLUG_PATH}/state/onOff")).json() is True
    assert (await api.client.get(f"{PLUG_PATH}/state/power")).json() == 120.5
    missing = await api.client.get(f"{PLUG_PATH}/state/temperature")
    assert missing.status_code == 404


async def test_a_command_is_accepted_and_followed(api: Api) -> None:
    answer = await api.client.post(f"{PLUG_PATH}/commands/setOnOff", json={"value": False})
    assert answer.status_code == 202, answer.text
    record = answer.json()
    assert (record["status"], record["thing"], record["channel"]) == (
        "sent",
        PLUG,
        "zigbee2mqtt/kitchen_plug/set",
    )
    assert [orjson.loads(c.payload) for c in api.sender.sent] == [{"state": "OFF"}]
    location = answer.headers["location"]
    assert location == f"{PLUG_PATH}/commands/{record['id']}"
    assert (await api.client.get(location)).json() == record
    listed = (await api.client.get(f"{PLUG_PATH}/commands")).json()
    assert [item["id"] for item in listed["items"]] == [record["id"]]
    other = await api.client.get(f"/things/urn%3Adev%3Azigbee2mqtt%3Ahall/commands/{record['id']}")
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "status", "detail"),
    [
        (f"{PLUG_PATH}/commands/setOnOff", {"value": "off"}, 422, "is not of type 'boolean'"),
        (f"{PLUG_PATH}/commands/setOnOff", {}, 422, None),
        (f"{PLUG_PATH}/commands/setOnOff", {"value": True, "extra": 1}, 422, None),
        (f"{PLUG_PATH}/commands/dance", {"value": True}, 404, "has no command 'dance'"),
        (
            "/things/urn%3Adev%3Azigbee2mqtt%3Ahall/commands/setOnOff",
            {"value": True},
            404,
            "commands: none",
        ),
        ("/things/urn%3Adev%3Anone/commands/setOnOff", {"value": True}, 404, "no thing"),
    ],
    ids=["ill-typed", "no-value", "extra-field", "unknown-command", "sensor", "unknown-thing"],
)
async def test_refused_commands_send_nothing(
    api: Api, path: str, body: dict[str, object], status: int, detail: str | None
) -> None:
    answer = await api.client.post(path, json=body)
    assert answer.status_code == status, answer.text
    if detail is not None:
        assert detail in answer.json()["detail"]
    assert api.sender.sent == []


async def test_unknown_command_ids_are_404(api: Api) -> None:
    assert (await api.client.get(f"{PLUG_PATH}/commands/nope-1")).status_code == 404


async def test_without_a_command_service_commands_are_503(
    pipeline: Pipeline, store: TwinStore
) -> None:
    client, _ = await serve(pipeline, store, commands=False)
    async with client:
        answer = await client.post(f"{PLUG_PATH}/commands/setOnOff", json={"value": True})
        assert answer.status_code == 503
        assert (await client.get(f"{PLUG_PATH}/commands")).status_code == 503


@pytest.fixture(scope="module")
def tokens() -> tuple[TokenSettings, ...]:
    return (
        TokenSettings(name="reader", scopes=("read",), hash=hash_token(READER)),
        TokenSettings(name="actor", scopes=("actuate",), hash=hash_token(ACTOR)),
    )


async def test_reads_need_read_and_commands_need_actuate(
    pipeline: Pipeline, store: TwinStore, tokens: tuple[TokenSettings, ...]
) -> None:
    client, sender = await serve(pipeline, store, tokens=tokens)
    reader = {"Authorization": f"Bearer {READER}"}
    actor = {"Authorization": f"Bearer {ACTOR}"}
    command = f"{PLUG_PATH}/commands/setOnOff"
    async with client:
        assert (await client.get("/things")).status_code == 401
        assert (await client.get("/things", headers=actor)).status_code == 403
        td = await client.get(PLUG_PATH, headers=reader)
        assert td.status_code == 200
        assert td.json()["security"] == "bearer_sc"
        assert td.json()["securityDefinitions"]["bearer_sc"]["scheme"] == "bearer"
        assert (await client.post(command, json={"value": True})).status_code == 401
        assert (await client.post(command, json={"value": True}, headers=reader)).status_code == 403
        assert sender.sent == []
        accepted = await client.post(command, json={"value": True}, headers=actor)
        assert accepted.status_code == 202
        assert len(sender.sent) == 1
