"""Thing Descriptions: valid TD 1.1 for every shipped mapping, and what they say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import jsonschema
import pyoxigraph as ox
import pytest

from translator.ontology.files import mappings_dir
from translator.pipeline import Pipeline, build_pipeline
from translator.rdf.namespaces import SAREF, TD, UNIT
from translator.rdf.terms import RDF_TYPE
from translator.settings import Settings
from translator.twin.descriptions import TD_CONTEXT, ThingDescriber, td_data_schema, thing_path
from translator.twin.things import describing_plans
from translator.values import Placement, ThingInfo

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wot-td"
SHARED_TD = Path(__file__).resolve().parents[2] / ".." / "shared" / "ontologies" / "wot-td"
BASE = "http://127.0.0.1:8000/"


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline(Settings())


@pytest.fixture(scope="module")
def describer(pipeline: Pipeline) -> ThingDescriber:
    return ThingDescriber(pipeline.vocabulary.properties)


@pytest.fixture(scope="module")
def td_validator() -> jsonschema.Draft7Validator:
    schema = json.loads((FIXTURES / "td-json-schema-validation.json").read_text())
    return jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def describe(
    pipeline: Pipeline,
    describer: ThingDescriber,
    info: ThingInfo,
    *,
    secured: bool = False,
    observed: tuple[str, ...] = (),
) -> dict[str, Any]:
    plans = describing_plans(pipeline.mappings.mappings, info)
    return describer.describe(info, plans, base=BASE, secured=secured, observed=observed)


def problems(validator: jsonschema.Draft7Validator, td: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(td)]


def test_the_schema_copy_is_the_published_one() -> None:
    shared = SHARED_TD / "td-json-schema-validation.json"
    if not shared.is_file():
        pytest.skip(f"../shared not present: {shared}")
    assert (FIXTURES / "td-json-schema-validation.json").read_bytes() == shared.read_bytes()


MAPPING_IDS = sorted(path.stem for path in mappings_dir().glob("*.yaml"))  # file = id


@pytest.mark.parametrize("secured", [False, True], ids=["nosec", "bearer"])
@pytest.mark.parametrize("mapping_id", MAPPING_IDS)
def test_every_shipped_mapping_gives_a_valid_td(
    pipeline: Pipeline,
    describer: ThingDescriber,
    td_validator: jsonschema.Draft7Validator,
    mapping_id: str,
    secured: bool,
) -> None:
    plan = pipeline.mappings.mappings[mapping_id]
    variables = tuple((name, "dev1") for name in sorted(plan.variables))
    info = ThingInfo("urn:dev:test:dev1", mapping_id, plan.thing.type, "Device 1", None, variables)
    td = describe(pipeline, describer, info, secured=secured, observed=("temperature",))
    assert problems(td_validator, td) == []
    assert td["security"] == ("bearer_sc" if secured else "nosec_sc")
    assert set(td["actions"]) == set(plan.commands)


def test_a_tasmota_plug_seen_as_a_sensor(pipeline: Pipeline, describer: ThingDescriber) -> None:
    info = ThingInfo(
        "urn:dev:tasmota:desk",
        "tasmota-sensor",
        "saref:Sensor",
        "Desk plug",
        Placement("office", (1.0, 0.0, 2.0)),
        (("device", "desk"),),
    )
    td = describe(pipeline, describer, info)
    assert td["@context"][0] == TD_CONTEXT
    assert (td["id"], td["title"], td["@type"]) == (
        info.iri,
        "Desk plug",
        ["Thing", "saref:Sensor"],
    )
    assert td["base"] == BASE
    assert (td["tr:area"], td["tr:positionZ"]) == ("office", 2.0)
    assert "tasmota-state" in td["description"]
    assert "tasmota-power" in td["description"]
    power = td["properties"]["power"]
    assert (power["type"], power["unit"], power["readOnly"], power["observable"]) == (
        "number",
        "qudt-unit:W",
        True,
        True,
    )
    on_off = td["properties"]["onOff"]
    assert on_off["type"] == "boolean"
    assert "unit" not in on_off
    read, sse, socket = on_off["forms"]
    assert urljoin(BASE, read["href"]) == f"{BASE}things/urn%3Adev%3Atasmota%3Adesk/state/onOff"
    assert read["op"] == "readproperty"
    assert (sse["op"], sse["subprotocol"], sse["contentType"]) == (
        "observeproperty",
        "sse",
        "text/event-stream",
    )
    assert sse["href"] == "stream/sse?things=urn%3Adev%3Atasmota%3Adesk&properties=onOff"
    assert socket["href"] == "ws://127.0.0.1:8000/stream"
    action = td["actions"]["setOnOff"]
    assert action["input"] == {
        "type": "object",
        "properties": {"value": {"type": "boolean"}},
        "required": ["value"],
    }
    (invoke,) = action["forms"]
    assert (invoke["op"], invoke["htv:methodName"]) == ("invokeaction", "POST")
    assert invoke["href"] == "things/urn%3Adev%3Atasmota%3Adesk/commands/setOnOff"
    assert action["sosa:actsOnProperty"] == {"@id": "trp:onOff"}


def test_reported_properties_are_described_too(
    pipeline: Pipeline, describer: ThingDescriber
) -> None:
    info = ThingInfo("urn:dev:lwm2m:hall", "lwm2m-power-control", variables=(("device", "hall"),))
    td = describe(pipeline, describer, info, observed=("temperature", "noSuchProperty"))
    assert sorted(td["properties"]) == ["onOff", "power", "temperature"]
    assert td["properties"]["temperature"]["unit"] == "qudt-unit:DEG_C"
    assert td["@type"] == "Thing"  # no type given


def test_a_thing_no_loaded_mapping_describes(
    describer: ThingDescriber, td_validator: jsonschema.Draft7Validator
) -> None:
    info = ThingInfo("urn:dev:gone:1", "")
    td = describer.describe(info, [], base="https://twin.example/", secured=True)
    assert problems(td_validator, td) == []
    assert td["actions"] == {}
    assert td["properties"] == {}
    assert "tr:registeredBy" not in td


def test_websocket_forms_follow_the_scheme(pipeline: Pipeline, describer: ThingDescriber) -> None:
    info = ThingInfo("urn:dev:lwm2m:hall", "lwm2m-power-control", variables=(("device", "hall"),))
    plans = describing_plans(pipeline.mappings.mappings, info)
    td = describer.describe(info, plans, base="https://twin.example:8443", secured=False)
    assert td["base"] == "https://twin.example:8443/"
    assert td["properties"]["onOff"]["forms"][2]["href"] == "wss://twin.example:8443/stream"


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "boolean"}, {"type": "boolean"}),
        (
            {"type": ["number", "null"], "minimum": 0},
            {"oneOf": [{"type": "number"}, {"type": "null"}], "minimum": 0},
        ),
        ({"enum": ["eco", "comfort"], "$comment": "x"}, {"enum": ["eco", "comfort"]}),
        (
            {
                "type": "object",
                "properties": {"level": {"type": "integer", "maximum": 100}},
                "required": ["level"],
            },
            {
                "type": "object",
                "properties": {"level": {"type": "integer", "maximum": 100}},
                "required": ["level"],
            },
        ),
        (
            {"type": "array", "items": {"type": "string", "maxLength": 8}},
            {"type": "array", "items": {"type": "string", "maxLength": 8}},
        ),
        (True, {}),
    ],
    ids=["boolean", "type-list", "enum", "object", "array", "anything"],
)
def test_td_data_schema(schema: Any, expected: dict[str, Any]) -> None:
    assert td_data_schema(schema) == expected


def test_thing_path_is_one_segment() -> None:
    assert thing_path("https://ex.org/a/b?c#d") == "things/https%3A%2F%2Fex.org%2Fa%2Fb%3Fc%23d"


def test_the_td_is_json_ld_with_the_td_context(
    pipeline: Pipeline, describer: ThingDescriber
) -> None:
    context = SHARED_TD / "td-context-1.1.jsonld"
    if not context.is_file():
        pytest.skip(f"../shared not present: {context}")
    info = ThingInfo(
        "urn:dev:zigbee2mqtt:plug",
        "zigbee2mqtt-plug",
        "saref:Switch",
        "Plug",
        None,
        (("device", "plug"),),
    )
    td = describe(pipeline, describer, info)
    # the context document inline, never fetched
    td["@context"] = [json.loads(context.read_text())["@context"], td["@context"][1]]
    quads = list(ox.parse(json.dumps(td), format=ox.RdfFormat.JSON_LD))
    thing = ox.NamedNode(info.iri)
    types = {q.object for q in quads if q.subject == thing and q.predicate == RDF_TYPE}
    assert types == {ox.NamedNode(TD + "Thing"), ox.NamedNode(SAREF + "Switch")}
    units = {q.object for q in quads if q.predicate == ox.NamedNode("http://schema.org/unitCode")}
    assert ox.NamedNode(UNIT + "W") in units
    actions = [q for q in quads if q.predicate == ox.NamedNode(TD + "hasActionAffordance")]
    assert [q.subject for q in actions] == [thing]
