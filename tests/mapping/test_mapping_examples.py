"""Examples: parsed into envelopes and commands, compared with tolerance; the documented
example mapping, and every shipped mapping, pass their own examples at this layer."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import cbor2
import jsonschema
import pytest

from translator.mapping import (
    CommandExample,
    ExpectedReading,
    MappingSet,
    MessageExample,
    compare_readings,
    compare_things,
    load_mappings,
    parse_mapping,
)
from translator.mapping.examples import DEFAULT_RECEIVED_AT
from translator.mapping.fileschema import load_file_schema
from translator.mapping.mappingset import MappingSet as _MappingSet
from translator.mapping.selftest import check_example
from translator.ontology.vocabulary import Vocabulary
from translator.values import Protocol, Provenance, Reading, ThingInfo

REPO = Path(__file__).resolve().parents[2]
Load = Callable[..., MappingSet]

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PROVENANCE = Provenance("m", "1", Protocol.MQTT, "t/x")


def reading(prop: str, value: float | bool | str, **kw: object) -> Reading:
    fields: dict[str, object] = {"thing": "urn:x", "unit": None, "time": T0} | kw
    return Reading(
        str(fields["thing"]), prop, value, fields["unit"], fields["time"], PROVENANCE,  # type: ignore[arg-type]
        fields.get("source_value"), fields.get("source_unit"),  # type: ignore[arg-type]
    )  # fmt: skip


def test_compare_readings_ignores_order_and_tolerates_float_noise() -> None:
    expected = [ExpectedReading("temperature", 21.5, unit="DEG_C", check_unit=True),
                ExpectedReading("onOff", True, thing="urn:x")]  # fmt: skip
    actual = [reading("onOff", True), reading("temperature", 21.499999999999996, unit="DEG_C")]
    assert compare_readings(expected, actual) == []


def test_compare_readings_reports_what_differs() -> None:
    expected = [
        ExpectedReading("temperature", 21.5),
        ExpectedReading("onOff", True),
        ExpectedReading("power", 1.0, unit=None, check_unit=True),
        ExpectedReading("energy", 1.0, time=datetime(2020, 1, 1, tzinfo=UTC)),
    ]
    actual = [
        reading("temperature", 22.0),
        reading("onOff", 1.0),  # a number is not true
        reading("power", 1.0, unit="W"),
        reading("energy", 1.0),
        reading("voltage", 230.0),
    ]
    problems = compare_readings(expected, actual)
    assert [p.split(" of ")[0] for p in problems] == [
        "expected temperature=21.5, got temperature=22.0",
        "expected onOff=True, got onOff=1.0",
        "expected power=1.0, got power=1.0 W",
        "expected energy=1.0, got energy=1.0",
        "unexpected reading temperature=22.0",
        "unexpected reading onOff=1.0",
        "unexpected reading power=1.0 W",
        "unexpected reading energy=1.0",
        "unexpected reading voltage=230.0",
    ]


def test_compare_things() -> None:
    things = [ThingInfo("urn:a", "m"), ThingInfo("urn:b", "m")]
    assert compare_things(["urn:a", "urn:b"], things) == []
    assert compare_things(["urn:a", "urn:c"], things) == [
        "expected thing urn:c not described", "unexpected thing urn:b",
    ]  # fmt: skip


EXAMPLES = """
id: ex
version: "1"
match: {protocol: coap, channel: "s/{d}"}
payload: {format: FORMAT}
thing: {iri: "urn:s:{d}"}
readings: []
commands:
  - {name: go, channel: "s/{d}/go", method: POST, payload: {template: {v: "{value}"}}}
examples:
  - name: data
    channel: s/a
    payload: PAYLOAD
    things: ["urn:s:a"]
  - channel: s/a
    payload_text: "  text "
    received_at: "2026-11-25T11:00:00+01:00"
    rejected: decode
  - channel: s/a
    payload_hex: "81 A2 00 61 78 02 01"
    content_format: application/cbor
    rejected: decode
  - command: {name: go, value: 3}
    variables: {d: a}
    expect: {channel: s/a/go, payload: {v: 3}, method: POST}
  - command: {name: go, value: 3}
    expect: {error: true}
"""


def test_example_parsing(vocabulary: Vocabulary) -> None:
    text = EXAMPLES.replace("FORMAT", "json").replace("PAYLOAD", "{a: [1, true], b: on}")
    data, textual, hexed, command, refused = parse_mapping(text, vocabulary).examples
    assert isinstance(data, MessageExample)
    assert data.envelope.payload == b'{"a":[1,true],"b":"on"}'
    assert data.envelope.protocol is Protocol.COAP
    assert data.envelope.content_format == "application/json"
    assert data.envelope.received_at == DEFAULT_RECEIVED_AT
    assert data.title == "ex examples[0] (data)"
    assert data.things == ("urn:s:a",)
    assert isinstance(textual, MessageExample)
    assert textual.envelope.payload == b"  text "
    assert textual.envelope.received_at == T0
    assert textual.rejected == "decode"
    assert isinstance(hexed, MessageExample)
    assert hexed.envelope.payload == bytes.fromhex("81a2006178020 1".replace(" ", ""))
    assert hexed.envelope.content_format == "application/cbor"
    assert isinstance(command, CommandExample)
    assert (command.command.name, command.command.value) == ("go", 3)
    assert command.variables == (("d", "a"),)
    assert (command.channel, command.payload, command.method) == ("s/a/go", {"v": 3}, "POST")
    assert isinstance(refused, CommandExample)
    assert refused.error


@pytest.mark.parametrize(
    ("fmt", "payload", "encoded"),
    [
        ("text", "21.5", b"21.5"),
        ("text", "ON", b"ON"),
        ("senml+cbor", '[{n: "x", v: 1, vd: "aGk"}]', cbor2.dumps([{0: "x", 2: 1, 8: b"hi"}])),
        ("senml+json", '[{n: "x", v: 1}]', b'[{"n":"x","v":1}]'),
    ],
)
def test_payload_encoding_follows_the_format(
    vocabulary: Vocabulary, fmt: str, payload: str, encoded: bytes
) -> None:
    text = EXAMPLES.replace("FORMAT", fmt).replace("PAYLOAD", payload)
    example = parse_mapping(text, vocabulary).examples[0]
    assert isinstance(example, MessageExample)
    assert example.envelope.payload == encoded


def test_examples_run_at_this_layer(vocabulary: Vocabulary) -> None:
    text = EXAMPLES.replace("FORMAT", "json").replace("PAYLOAD", "{}")
    mappings = _MappingSet([parse_mapping(text, vocabulary)], vocabulary)
    assert [check_example(mappings, example) for example in mappings.examples] == [[]] * 5
    wrong = text.replace('things: ["urn:s:a"]', 'things: ["urn:s:b"]').replace(
        "payload: {v: 3}", "payload: {v: 4}"
    )
    mappings = _MappingSet([parse_mapping(wrong, vocabulary)], vocabulary)
    results = [check_example(mappings, example) for example in mappings.examples]
    assert results[0] == ["expected thing urn:s:b not described", "unexpected thing urn:s:a"]
    assert results[3] == ["payload {'v': 3}, expected {'v': 4}"]


def _documented_mapping() -> str:
    doc = (REPO / "docs" / "mapping-language.md").read_text(encoding="utf-8")
    blocks: list[str] = re.findall(r"```yaml\n(.*?)```", doc, flags=re.DOTALL)
    return blocks[0]


def test_the_documented_example_loads_and_passes(vocabulary: Vocabulary) -> None:
    plan = parse_mapping(_documented_mapping(), vocabulary, file="docs/mapping-language.md")
    mappings = _MappingSet([plan], vocabulary)
    assert len(mappings.examples) >= 4
    for example in mappings.examples:
        assert check_example(mappings, example) == [], example.title


def test_the_file_schema_is_valid_and_documented() -> None:
    schema = load_file_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = (REPO / "docs" / "mapping-language.md").read_text(encoding="utf-8")
    for key in schema["properties"]:
        assert f"| `{key}` " in doc, f"top-level key {key!r} is not in the documentation's table"
    for key in schema["$defs"]["reading"]["properties"]:
        assert f"`{key}`" in doc, f"reading key {key!r} is not documented"
    for step in schema["$defs"]["step"]["properties"]:
        assert f"`{step}" in doc, f"transform {step!r} is not documented"


def test_shipped_mappings_pass_their_examples_at_this_layer(vocabulary: Vocabulary) -> None:
    folder = REPO / "mappings"
    if not any(folder.glob("*.yaml")):
        pytest.skip("no shipped mappings yet")
    mappings = load_mappings([folder], vocabulary)
    failures = {
        example.title: problems
        for example in mappings.examples
        if (problems := check_example(mappings, example))
    }
    assert failures == {}
