"""Broken messages for the benchmark stream, each labelled with the stage that must reject it.

* ``shape``: a value out of its physical range (humidity 140 %RH, a battery at 180 %,
  latitude 95°, SpO2 120 %). It is well-formed and passes the JSON Schema, so only the
  SHACL gate can catch it;
* ``schema``: a field of the wrong type or value (a temperature as text, a plug state
  ``BLINK``, an empty device id), caught by the mapping's JSON Schema;
* ``decode``: truncated JSON or CBOR, a text payload that is not UTF-8;
* ``match``: a channel no mapping claims (an extra topic level, a path under ``v2/``).

``corrupt`` returns ``None`` when the kind of message cannot carry that kind of fault (a
text payload has no schema), and the caller picks another message.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from typing import Any, Final, Literal

import cbor2
import orjson

from translator.values import Envelope, Protocol

Label = Literal["valid", "shape", "schema", "decode", "match"]

Edit = Callable[[Any, random.Random], bool]
"""Changes a decoded payload in place; False when the payload has nothing to change."""

SENML_HUMIDITY_UNIT: Final = "%RH"
CBOR_UNIT_LABEL: Final = 1  # RFC 8428 integer label of "u"
CBOR_VALUE_LABEL: Final = 2  # … and of "v"


def corrupt(label: Label, kind: str, envelope: Envelope, rng: random.Random) -> Envelope | None:
    """A broken copy of ``envelope`` that the pipeline must reject at stage ``label``."""
    if label == "decode":
        return _replace(envelope, payload=_undecodable(envelope))
    if label == "match":
        return _replace(envelope, channel=_unclaimed(envelope))
    if label == "shape":
        edit = SHAPE_EDITS.get(kind)
    elif label == "schema":
        edit = SCHEMA_EDITS.get(kind)
    else:
        return None
    if edit is None:
        return None
    payload = _edited(envelope, edit, rng)
    return None if payload is None else _replace(envelope, payload=payload)


def _replace(envelope: Envelope, **changes: Any) -> Envelope:
    return dataclasses.replace(envelope, **changes)


def _undecodable(envelope: Envelope) -> bytes:
    payload = envelope.payload
    if _is_cbor(envelope) or payload[:1] in (b"{", b"["):
        return payload[: max(1, len(payload) // 2)]  # cut in the middle of a value
    return b"\xff\xfe" + payload  # not UTF-8


def _unclaimed(envelope: Envelope) -> str:
    if envelope.protocol is Protocol.MQTT:
        return f"{envelope.channel}/availability"
    return f"v2/{envelope.channel}"


def _is_cbor(envelope: Envelope) -> bool:
    return (envelope.content_format or "").endswith("cbor")


def _edited(envelope: Envelope, edit: Edit, rng: random.Random) -> bytes | None:
    payload = envelope.payload
    if _is_cbor(envelope):
        doc = cbor2.loads(payload)
        return cbor2.dumps(doc) if edit(doc, rng) else None
    if payload[:1] not in (b"{", b"["):
        return _edited_text(payload, edit, rng)
    doc = orjson.loads(payload)
    return orjson.dumps(doc) if edit(doc, rng) else None


@dataclasses.dataclass(slots=True)
class _Text:
    """A text payload, handed to an edit that may replace it."""

    value: str


def _edited_text(payload: bytes, edit: Edit, rng: random.Random) -> bytes | None:
    box = _Text(payload.decode())
    return box.value.encode() if edit(box, rng) else None


def _set(path: tuple[str, ...], value: Callable[[random.Random], Any]) -> Edit:
    """An edit that sets the field at ``path`` of a JSON object, if the field is there."""

    def edit(doc: Any, rng: random.Random) -> bool:
        node = doc
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict) or path[-1] not in node:
            return False
        node[path[-1]] = value(rng)
        return True

    return edit


def _fhir(code: str, value: Callable[[random.Random], Any], field: str = "value") -> Edit:
    """An edit of a FHIR Observation's valueQuantity, for one LOINC code only."""
    inner = _set(("valueQuantity", field), value)

    def edit(doc: Any, rng: random.Random) -> bool:
        codes = [c.get("code") for c in doc.get("code", {}).get("coding", [])]
        return code in codes and inner(doc, rng)

    return edit


def _senml_humidity(doc: Any, rng: random.Random) -> bool:
    """Humidity over 100 %RH in a SenML pack (JSON or CBOR labels)."""
    for record in doc:
        unit = record.get("u", record.get(CBOR_UNIT_LABEL))
        if unit == SENML_HUMIDITY_UNIT:
            key = "v" if "v" in record else CBOR_VALUE_LABEL
            record[key] = round(rng.uniform(101.0, 180.0), 1)
            return True
    return False


def _text_humidity(box: Any, rng: random.Random) -> bool:
    """A Home Assistant humidity state over 100 %: the state payloads are bare numbers."""
    if not isinstance(box, _Text):
        return False  # a discovery config (JSON)
    text = box.value
    try:
        humidity = float(text)
    except ValueError:
        return False
    if not 0.0 <= humidity <= 100.0 or "." not in text or len(text.split(".")[1]) != 1:
        return False  # only the humidity entity reports one decimal
    box.value = f"{rng.uniform(101.0, 180.0):.1f}"
    return True


def _over(low: float, high: float, digits: int = 1) -> Callable[[random.Random], float]:
    return lambda rng: round(rng.uniform(low, high), digits)


SHAPE_EDITS: Final[dict[str, Edit]] = {
    "zigbee2mqtt-climate": _set(("humidity",), _over(101.0, 180.0, 2)),
    "zigbee2mqtt-contact": _set(("battery",), lambda rng: rng.randint(101, 250)),
    "zigbee2mqtt-plug": _set(("linkquality",), lambda rng: rng.randint(256, 2000)),
    "tasmota-plug": _set(("ENERGY", "Factor"), _over(1.1, 3.0, 2)),
    "shelly-switch": _set(("params", "switch:0", "aenergy", "total"), _over(-9000.0, -1.0, 3)),
    "homeassistant-node": _text_humidity,
    "owntracks": _set(("lat",), _over(90.5, 180.0, 6)),
    "senml-json": _senml_humidity,
    "senml-cbor": _senml_humidity,
    "ttn-lht65": _set(("uplink_message", "decoded_payload", "humidity"), _over(101.0, 180.0)),
    "fhir-oximeter": _fhir("59408-5", _over(101.0, 150.0, 0)),
}
"""Per device kind: a well-formed, schema-valid payload with a value out of range."""

SCHEMA_EDITS: Final[dict[str, Edit]] = {
    "zigbee2mqtt-climate": _set(("temperature",), lambda rng: f"{rng.uniform(18, 26):.2f}"),
    "zigbee2mqtt-contact": _set(("contact",), lambda rng: rng.choice(("true", "false"))),
    "zigbee2mqtt-plug": _set(("state",), lambda rng: "BLINK"),
    "tasmota-plug": _set(("POWER",), lambda rng: "BLINK"),
    "shelly-switch": _set(("params", "switch:0", "output"), lambda rng: "on"),
    "owntracks": _set(("tst",), lambda rng: rng.uniform(1.7e9, 1.8e9)),
    "ttn-lht65": _set(("end_device_ids", "device_id"), lambda rng: ""),
    "fhir-oximeter": _fhir("8867-4", lambda rng: "/s", field="code"),
}
"""Per device kind: a payload that breaks its mapping's JSON Schema."""
