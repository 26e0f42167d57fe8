"""Commands: value checked against the schema, mapped, rendered into channel and payload."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest

from translator.errors import CommandError
from translator.mapping import MappingSet
from translator.values import Command, Protocol

Load = Callable[..., MappingSet]

PLUG = """
id: plug
version: "1"
match: {protocol: mqtt, channel: "z2m/{device}"}
thing: {iri: "urn:dev:{device}"}
readings: []
commands:
  - name: setOnOff
    property: onOff
    value: {type: boolean}
    channel: "z2m/{device}/set"
    payload:
      template: {state: "{value}", source: "{device}", note: "turned {value}", n: 1}
      map: {true: "ON", false: "OFF"}
  - name: setLevel
    value: {type: integer, minimum: 0, maximum: 254}
    channel: "z2m/{device}/set"
    payload: {template: {brightness: "{value}", transition: [1, "{value}"]}}
  - name: raw
    channel: "cmnd/{device}/POWER"
    payload: {format: text, template: "{value}"}
"""

REST = """
id: rest
version: "1"
match: {protocol: coap, channel: "dev/{path+}"}
thing: {iri: "urn:dev:{path}"}
readings: []
commands:
  - name: set
    channel: "dev/{path}/set"
    method: POST
    payload: {format: text, template: "v={value}"}
  - name: put
    channel: "dev/{path}"
    payload: {template: "{value}"}
"""


def test_json_payload_with_map(load_text: Load) -> None:
    mappings = load_text(PLUG)
    rendered = mappings.render_command(
        "plug", Command("urn:dev:k", "setOnOff", True), {"device": "k"}
    )
    assert rendered.protocol is Protocol.MQTT
    assert rendered.channel == "z2m/k/set"
    assert orjson.loads(rendered.payload) == {
        "state": "ON", "source": "k", "note": "turned ON", "n": 1,
    }  # fmt: skip
    assert rendered.content_format == "application/json"
    assert rendered.method is None
    assert rendered.mapping_id == "plug"
    assert rendered.command.value is True


def test_typed_value_stays_typed(load_text: Load) -> None:
    rendered = load_text(PLUG).render_command("plug", Command("t", "setLevel", 12), {"device": "k"})
    assert orjson.loads(rendered.payload) == {"brightness": 12, "transition": [1, 12]}


def test_text_payload(load_text: Load) -> None:
    mappings = load_text(PLUG)
    rendered = mappings.render_command("plug", Command("t", "raw", "TOGGLE"), {"device": "k"})
    assert (rendered.channel, rendered.payload) == ("cmnd/k/POWER", b"TOGGLE")
    assert rendered.content_format == "text/plain"
    number = mappings.render_command("plug", Command("t", "raw", 1.5), {"device": "k"})
    assert number.payload == b"1.5"


def test_coap_method_and_rest_variables(load_text: Load) -> None:
    mappings = load_text(REST)
    rendered = mappings.render_command("rest", Command("t", "set", 3), {"path": "a/b"})
    assert (rendered.protocol, rendered.channel, rendered.method) == (Protocol.COAP, "dev/a/b/set",
                                                                      "POST")  # fmt: skip
    assert rendered.payload == b"v=3"
    put = mappings.render_command("rest", Command("t", "put", {"x": [1]}), {"path": "a"})
    assert (put.method, orjson.loads(put.payload)) == ("PUT", {"x": [1]})
    with pytest.raises(CommandError, match="would change the channel"):
        mappings.render_command("rest", Command("t", "set", 3), {"path": "a?x=1"})


@pytest.mark.parametrize(
    ("command", "variables", "message"),
    [
        (Command("t", "nope"), {"device": "k"}, "has no command 'nope' (commands: raw, setLevel"),
        (Command("t", "setOnOff", "ON"), {"device": "k"}, "'ON' is not of type 'boolean'"),
        (Command("t", "setLevel", 255), {"device": "k"}, "255 is greater than the maximum of 254"),
        (Command("t", "setLevel", True), {"device": "k"}, "True is not of type 'integer'"),
        (Command("t", "setOnOff", True), {}, "no value for {device} in the channel"),
        (Command("t", "setOnOff", True), {"device": ""}, "{device} is empty"),
        (Command("t", "setOnOff", True), {"device": "a/b"}, "would change the channel"),
        (Command("t", "setOnOff", True), {"device": "#"}, "would change the channel"),
        (Command("t", "setOnOff", True), {"device": "a+"}, "would change the channel"),
        (Command("t", "raw", object()), {"device": "k"}, "command raw"),
    ],
)
def test_refused_commands(
    load_text: Load, command: Command, variables: dict[str, str], message: str
) -> None:
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace("{", r"\{")):
        load_text(PLUG).render_command("plug", command, variables)


def test_unmapped_value_is_refused(load_text: Load) -> None:
    text = PLUG.replace("    value: {type: boolean}\n", "")
    with pytest.raises(CommandError, match="no entry for 'maybe'"):
        load_text(text).render_command("plug", Command("t", "setOnOff", "maybe"), {"device": "k"})


def test_unknown_mapping(load_text: Load) -> None:
    with pytest.raises(CommandError, match="no mapping 'ghost' is loaded"):
        load_text(PLUG).render_command("ghost", Command("t", "setOnOff", True), {"device": "k"})
