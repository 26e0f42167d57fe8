"""Broken mapping files: every error says ``FILE:LINE: reason``, at the line of the mistake.

Each case marks the line the error must point at with ``# <-``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from translator.errors import MappingError
from translator.mapping import MappingSet, load_mappings, parse_mapping
from translator.ontology.vocabulary import Vocabulary

HEAD = """\
id: broken
version: 1
match:
  protocol: mqtt
  channel: "t/{device}"
thing:
  iri: "urn:dev:t:{device}"
"""

CASES: dict[str, tuple[str, str]] = {
    "yaml syntax": (
        HEAD + 'readings:\n  - {property: temperature, value: "$.t"  # <-\n',
        "YAML syntax error",
    ),
    "duplicate key": (
        HEAD + "readings: []\nreadings: []  # <-\n",
        "duplicate key 'readings'",
    ),
    "unknown key with suggestion": (
        HEAD + "readings:\n  - property: temperature\n    value: $.t\n    uint: DEG_C  # <-\n",
        "readings[0]: unknown key 'uint' — did you mean 'unit'?",
    ),
    "missing required key": (
        "id: broken  # <-\nversion: 1\nmatch: {protocol: mqtt, channel: t}\nreadings: []\n",
        "missing required key 'thing'",
    ),
    "enum with suggestion": (
        HEAD.replace("protocol: mqtt", "protocol: mqqt  # <-") + "readings: []\n",
        "match.protocol: 'mqqt' is not one of mqtt, coap, http — did you mean 'mqtt'?",
    ),
    "wrong type": (
        HEAD + "readings:\n  - property: temperature\n    value: 12  # <-\n",
        "readings[0].value: expected string, got an integer (12)",
    ),
    "unknown unit with suggestion": (
        HEAD + "readings:\n  - property: temperature\n    value: $.t\n    unit: degC  # <-\n",
        "unknown unit 'degC' — did you mean DEG_C?",
    ),
    "unknown property with suggestion": (
        HEAD + "readings:\n  - property: humidity  # <-\n    value: $.h\n",
        "unknown property 'humidity' — did you mean relativeHumidity?",
    ),
    "unit of another quantity": (
        HEAD + "readings:\n  - property: temperature\n    value: $.t\n    unit: W  # <-\n",
        "unit W does not measure temperature (Temperature)",
    ),
    "unit on a boolean property": (
        HEAD + "readings:\n  - property: onOff\n    value: $.s\n    unit: W  # <-\n",
        "property onOff is boolean; it takes no unit",
    ),
    "bad JSONPath": (
        HEAD + 'readings:\n  - property: temperature\n    value: "$.t["  # <-\n',
        "bad JSONPath '$.t['",
    ),
    "relative path outside foreach": (
        HEAD + 'readings:\n  - property: temperature\n    value: "@.t"  # <-\n',
        "only allowed inside a 'foreach' reading",
    ),
    "bad regex in a transform": (
        HEAD + "readings:\n  - property: temperature\n    value: $.t\n    transform:\n"
        '      - regex: "(unclosed"  # <-\n',
        "regex: missing ), unterminated subpattern",
    ),
    "two operations in one step": (
        HEAD + "readings:\n  - property: temperature\n    value: $.t\n    transform:\n"
        "      - {scale: 2, offset: 1}  # <-\n",
        "a step needs exactly one of",
    ),
    "unknown template variable": (
        HEAD.replace('iri: "urn:dev:t:{device}"', 'iri: "urn:dev:t:{room}"')
        + "readings:\n  - property: temperature  # <-\n    value: $.t\n",
        "thing.iri (needed by readings[0]) uses {room}, which is not defined here "
        "(variables: device",
    ),
    "template variable of a description-only mapping": (
        HEAD.replace('iri: "urn:dev:t:{device}"', 'iri: "urn:dev:t:{room}"  # <-')
        + "readings: []\n",
        "thing.iri uses {room}",
    ),
    "IRI template not injective": (
        HEAD.replace('channel: "t/{device}"', 'channel: "t/{a}/{b}"').replace(
            'iri: "urn:dev:t:{device}"', 'iri: "urn:dev:t:{a}_{b}"  # <-'
        )
        + "readings: []\n",
        "put a reserved character such as ':' or '/' between {a} and {b}",
    ),
    "bad channel pattern": (
        HEAD.replace('channel: "t/{device}"', 'channel: "t/{device+}/x"  # <-') + "readings: []\n",
        "rest wildcard must be the last level",
    ),
    "invalid inline JSON Schema": (
        HEAD + "payload:\n  schema:\n    type: object\n    properties:\n"
        "      t: {type: numbr}  # <-\nreadings: []\n",
        "invalid JSON Schema",
    ),
    "remote $ref": (
        HEAD + "payload:\n  schema:\n    $ref: https://example.org/x.json  # <-\nreadings: []\n",
        "only local references",
    ),
    "where without foreach": (
        HEAD + "readings:\n  - property: temperature\n    value: $.t\n"
        '    where: {path: "@.n", regex: x}  # <-\n',
        "'where' filters foreach items; add a 'foreach'",
    ),
    "unknown time zone": (
        HEAD + "time: {path: $.ts, format: iso8601, timezone: Mars/Base}  # <-\nreadings: []\n",
        "unknown timezone 'Mars/Base'",
    ),
    "duplicate command name": (
        HEAD + "readings: []\ncommands:\n"
        '  - {name: set, channel: "t/{device}/set", payload: {template: x}}\n'
        "  - name: set  # <-\n    channel: t\n    payload: {template: x}\n",
        "duplicate command name 'set'",
    ),
    "command channel with an unknown variable": (
        HEAD + 'readings: []\ncommands:\n  - name: set\n    channel: "t/{node}/set"  # <-\n'
        "    payload: {template: x}\n",
        "{node} is not a variable of this mapping's things (variables: device)",
    ),
    "method on an MQTT command": (
        HEAD + "readings: []\ncommands:\n  - name: set\n    channel: t\n    method: PUT  # <-\n"
        "    payload: {template: x}\n",
        "'method' is for CoAP and HTTP commands only",
    ),
    "example of an unknown command": (
        HEAD + "readings: []\nexamples:\n  - command: {name: nope}  # <-\n"
        "    expect: {channel: t}\n",
        "unknown command 'nope' (commands: none)",
    ),
    "example without an outcome": (
        HEAD + "readings: []\nexamples:\n  - channel: t/x  # <-\n    payload: {}\n",
        "an example needs 'readings', 'things' or 'rejected'",
    ),
    "capture clashing with a channel variable": (
        HEAD + "captures:\n  device: {path: $.id}  # <-\nreadings: []\n",
        "capture 'device' is already a channel variable",
    ),
    "unsupported YAML tag": (
        HEAD + "readings: !!python/object:os.system []  # <-\n",
        "YAML tag 'tag:yaml.org,2002:python/object:os.system' is not supported",
    ),
}


def _expected_line(text: str) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if "# <-" in line]
    assert len(lines) == 1, "mark exactly one line"
    return lines[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_points_at_the_line(case: str, tmp_path: Path, vocabulary: Vocabulary) -> None:
    text, reason = CASES[case]
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mappings([path], vocabulary)
    error = caught.value
    assert (error.file, error.line) == (str(path), _expected_line(text)), str(error)
    assert reason in error.reason, str(error)
    assert str(error).startswith(f"{path}:{error.line}: ")


def test_duplicate_ids_across_files(
    load_text: Callable[..., MappingSet], minimal: Callable[..., str]
) -> None:
    with pytest.raises(MappingError, match="duplicate mapping id 'same'") as caught:
        load_text(minimal(id="same"), minimal(id="same", channel="u/{device}"))
    assert caught.value.line == 1
    assert caught.value.file.endswith("m1.yaml")


def test_several_problems_report_the_first_and_count_the_rest(vocabulary: Vocabulary) -> None:
    text = HEAD.replace("version: 1", "version: [1]") + (
        "readings:\n  - {property: temperature, value: $.t, uint: x}\n"
    )
    with pytest.raises(MappingError) as caught:
        parse_mapping(text, vocabulary)
    assert str(caught.value) == (
        "<mapping>:2: version: expected string or integer, got a list ([1])"
        " (+1 more problem in this file)"
    )


def test_missing_paths_and_non_mapping_documents(tmp_path: Path, vocabulary: Vocabulary) -> None:
    with pytest.raises(MappingError, match="no such mapping file or folder"):
        load_mappings([tmp_path / "absent.yaml"], vocabulary)
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(MappingError, match="must be a YAML mapping"):
        load_mappings([tmp_path / "list.yaml"], vocabulary)
    (tmp_path / "list.yaml").write_text("")
    with pytest.raises(MappingError, match="the file is empty"):
        load_mappings([tmp_path / "list.yaml"], vocabulary)


def test_folders_load_yaml_and_yml_files_only(
    tmp_path: Path, vocabulary: Vocabulary, minimal: Callable[..., str]
) -> None:
    (tmp_path / "a.yaml").write_text(minimal(id="a"))
    (tmp_path / "b.yml").write_text(minimal(id="b", channel="b/{device}"))
    (tmp_path / "notes.txt").write_text("not a mapping")
    mappings = load_mappings([tmp_path, tmp_path / "a.yaml"], vocabulary)
    assert sorted(mappings.mappings) == ["a", "b"]


def test_schema_file_relative_to_the_mapping(tmp_path: Path, vocabulary: Vocabulary) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "t.json").write_text('{"required": ["t"]}')
    text = HEAD + "payload: {schema_file: schemas/t.json}\nreadings: []\n"
    (tmp_path / "m.yaml").write_text(text)
    plan = load_mappings([tmp_path / "m.yaml"], vocabulary).mappings["broken"]
    assert plan.schema is not None
    assert not plan.schema.is_valid({})
    (tmp_path / "schemas" / "t.json").write_text('{"required": "t"}')
    with pytest.raises(
        MappingError, match=r"invalid JSON Schema.*\(in schemas/t.json at required\)"
    ):
        load_mappings([tmp_path / "m.yaml"], vocabulary)
    (tmp_path / "schemas" / "t.json").write_text("{")
    with pytest.raises(MappingError, match=r"schemas/t\.json is not JSON"):
        load_mappings([tmp_path / "m.yaml"], vocabulary)


def test_parse_mapping_names_the_text(vocabulary: Vocabulary) -> None:
    with pytest.raises(MappingError) as caught:
        parse_mapping(textwrap.dedent(HEAD) + "readings: 5\n", vocabulary, file="upload.yaml")
    assert str(caught.value).startswith("upload.yaml:8: readings: expected array")
