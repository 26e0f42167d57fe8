"""W3C WoT Thing Descriptions 1.1 (JSON-LD), generated from the mappings that describe a thing.

Application layer. ``ThingDescriber.describe`` builds one TD per thing:

* ``@context``: the TD 1.1 context URI, then our prefixes (``saref``, ``sosa``, ``trp``,
  ``qudt-unit``, ``tr``), so ``saref:Switch`` and ``qudt-unit:DEG_C`` are compact IRIs (QUDT
  units cannot use the usual ``unit:`` prefix here: the TD context defines ``unit`` as a term);
* ``id`` (the thing IRI), ``title`` (its label), ``@type`` (``Thing``, i.e. ``td:Thing``, and
  its SAREF type), ``base`` (this server), ``securityDefinitions``: ``bearer`` when tokens
  are configured, else ``nosec``;
* ``properties``: one per property the thing's mappings can produce (their readings; a
  property chosen per message from a ``names`` table gives one per table entry) plus any it
  has reported, each with its data type, canonical ``unit``, physical range, ``readOnly`` and
  ``observable``, and three forms: ``readproperty`` on ``things/{id}/state/{property}`` (the
  bare value), ``observeproperty`` on the SSE stream (``subprotocol: sse``) and on the
  WebSocket stream (``/stream``, subscribe with ``{"type": "subscribe", "things": [id]}``);
* ``actions``: one per command of those mappings, input ``{"value": <the command's JSON
  Schema>}``, output the command record, form ``invokeaction`` = POST
  ``things/{id}/commands/{name}``.

Nothing is fetched: the context is referenced by URI only. The tests validate every TD of
the shipped mappings against the TD 1.1 JSON Schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote, urlencode

from translator.mapping.plan import CommandPlan, MappingPlan, ReadingPlan
from translator.ontology.model import PropertyDef, ValueKind
from translator.rdf.namespaces import PREFIXES
from translator.values import ThingInfo

TD_CONTEXT: Final = "https://www.w3.org/2022/wot/td/v1.1"
TD_MEDIA_TYPE: Final = "application/td+json"
UNIT_PREFIX: Final = "qudt-unit"  # not "unit": the TD context defines that term (schema:unitCode)
CONTEXT_PREFIXES: Final = {
    "saref": PREFIXES["saref"],
    "sosa": PREFIXES["sosa"],
    "trp": PREFIXES["trp"],
    UNIT_PREFIX: PREFIXES["unit"],
    "tr": PREFIXES["tr"],
}
STATUSES: Final = ("pending", "sent", "confirmed", "failed", "timed-out")

_TYPES: Final = {ValueKind.NUMBER: "number", ValueKind.BOOLEAN: "boolean", ValueKind.TEXT: "string"}
_TD_TYPES: Final = frozenset({"boolean", "integer", "number", "string", "object", "array", "null"})
_PLAIN_KEYWORDS: Final = (
    "title",
    "description",
    "const",
    "default",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "multipleOf",
    "required",
    "readOnly",
    "writeOnly",
)
_RECORD_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "description": "The command record; follow it at things/{id}/commands/{command id}.",
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "reason": {"type": "string"},
    },
}


def thing_path(iri: str) -> str:
    """``things/<the IRI, percent-encoded as one path segment>`` (relative to the base)."""
    return "things/" + quote(iri, safe="")


class ThingDescriber:
    """Builds Thing Descriptions; built once with the vocabulary's properties."""

    def __init__(self, properties: Mapping[str, PropertyDef]) -> None:
        self._properties = properties

    def describe(
        self,
        info: ThingInfo,
        plans: Sequence[MappingPlan],
        *,
        base: str,
        secured: bool,
        observed: Iterable[str] = (),
    ) -> dict[str, Any]:
        """The TD of ``info``, described by ``plans`` (``describing_plans``; registering first).

        ``base`` is this server's URL (``http://host:port/``); ``observed`` the properties
        the thing has reported (they are described even when no mapping names them).
        """
        base = base if base.endswith("/") else base + "/"
        path = thing_path(info.iri)
        td: dict[str, Any] = {
            "@context": [TD_CONTEXT, dict(CONTEXT_PREFIXES)],
            "id": info.iri,
            "title": info.label or info.iri,
            "description": _description(plans),
            "base": base,
            "securityDefinitions": _security(secured),
            "security": "bearer_sc" if secured else "nosec_sc",
            "properties": {
                name: self._property(definition, path, base, info.iri)
                for name, definition in self._property_defs(plans, observed).items()
            },
            "actions": {name: _action(command, path) for name, command in _commands(plans).items()},
            "links": [{"rel": "collection", "href": "things", "type": "application/json"}],
        }
        td["@type"] = ["Thing", info.type] if info.type is not None else "Thing"
        td.update(_placement(info))
        if info.mapping_id:
            td["tr:registeredBy"] = info.mapping_id
        return td

    def _property_defs(
        self, plans: Sequence[MappingPlan], observed: Iterable[str]
    ) -> dict[str, PropertyDef]:
        names = [name for plan in plans for r in plan.readings for name in _reading_names(r)]
        found: dict[str, PropertyDef] = {}
        for name in [*names, *sorted(observed)]:
            definition = self._properties.get(name)
            if definition is not None:
                found.setdefault(name, definition)
        return dict(sorted(found.items()))

    def _property(self, definition: PropertyDef, path: str, base: str, iri: str) -> dict[str, Any]:
        element: dict[str, Any] = {
            "title": definition.label or definition.name,
            "sosa:observedProperty": {"@id": f"trp:{definition.name}"},
            "type": _TYPES[definition.kind],
            "readOnly": True,
            "observable": True,
        }
        if definition.canonical_unit is not None:
            element["unit"] = f"{UNIT_PREFIX}:{definition.canonical_unit}"
        if definition.minimum is not None:
            element["minimum"] = definition.minimum
        if definition.maximum is not None:
            element["maximum"] = definition.maximum
        query = urlencode({"things": iri, "properties": definition.name})
        element["forms"] = [
            {
                "href": f"{path}/state/{quote(definition.name, safe='')}",
                "op": "readproperty",
                "contentType": "application/json",
                "htv:methodName": "GET",
            },
            {
                "href": f"stream/sse?{query}",
                "op": "observeproperty",
                "subprotocol": "sse",
                "contentType": "text/event-stream",
            },
            {
                "href": _websocket_url(base) + "stream",
                "op": "observeproperty",
                "contentType": "application/json",
            },
        ]
        return element


def _reading_names(reading: ReadingPlan) -> list[str]:
    fixed = reading.property.fixed
    if fixed is not None:
        return [fixed.name]
    return list(dict.fromkeys(reading.property.names.values()))


def _commands(plans: Sequence[MappingPlan]) -> dict[str, CommandPlan]:
    found: dict[str, CommandPlan] = {}
    for plan in plans:
        for name, command in plan.commands.items():
            found.setdefault(name, command)
    return dict(sorted(found.items()))


def _action(command: CommandPlan, path: str) -> dict[str, Any]:
    value = command.value_schema.schema if command.value_schema is not None else True
    action: dict[str, Any] = {
        "title": command.name,
        "input": {
            "type": "object",
            "properties": {"value": td_data_schema(value)},
            "required": ["value"],
        },
        "output": _RECORD_SCHEMA,
        "safe": False,
        "idempotent": False,
        "synchronous": False,
        "forms": [
            {
                "href": f"{path}/commands/{quote(command.name, safe='')}",
                "op": "invokeaction",
                "contentType": "application/json",
                "htv:methodName": "POST",
            }
        ],
    }
    if command.property is not None:
        action["sosa:actsOnProperty"] = {"@id": f"trp:{command.property}"}
        action["description"] = (
            f"Confirmed when the thing reports {command.property} equal to the value."
        )
    return action


def td_data_schema(schema: Any) -> dict[str, Any]:
    """A command's JSON Schema as a TD data schema (the subset TD 1.1 defines).

    ``type: [a, b]`` becomes ``oneOf``; keywords TD does not know are left out, so the TD
    may accept more than the command does (the command path checks the full schema).
    """
    if not isinstance(schema, Mapping):
        return {}
    out: dict[str, Any] = {k: schema[k] for k in _PLAIN_KEYWORDS if k in schema}
    kind = schema.get("type")
    if isinstance(kind, str) and kind in _TD_TYPES:
        out["type"] = kind
    elif isinstance(kind, list):
        out["oneOf"] = [{"type": k} for k in kind if isinstance(k, str) and k in _TD_TYPES]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        out["enum"] = list(schema["enum"])
    if isinstance(schema.get("oneOf"), list):
        out["oneOf"] = [td_data_schema(s) for s in schema["oneOf"]]
    if isinstance(schema.get("items"), Mapping):
        out["items"] = td_data_schema(schema["items"])
    if isinstance(schema.get("properties"), Mapping):
        out["properties"] = {k: td_data_schema(v) for k, v in schema["properties"].items()}
    return out


def _security(secured: bool) -> dict[str, Any]:
    if secured:
        return {
            "bearer_sc": {
                "scheme": "bearer",
                "in": "header",
                "name": "Authorization",
                "description": "A translator API token: reads need the 'read' scope, "
                "commands 'actuate', the stream 'stream'.",
            }
        }
    return {"nosec_sc": {"scheme": "nosec", "description": "No tokens configured (loopback)."}}


def _description(plans: Sequence[MappingPlan]) -> str:
    if not plans:
        return "Described by no loaded mapping."
    ids = ", ".join(plan.id for plan in plans)
    return f"Translated by the semantic translator with the mapping(s) {ids}."


def _placement(info: ThingInfo) -> dict[str, Any]:
    placement = info.placement
    if placement is None:
        return {}
    out: dict[str, Any] = {}
    if placement.area is not None:
        out["tr:area"] = placement.area
    if placement.position is not None:
        x, y, z = placement.position
        out.update({"tr:positionX": x, "tr:positionY": y, "tr:positionZ": z})
    if placement.model is not None:
        out["tr:model"] = placement.model
    return out


def _websocket_url(base: str) -> str:
    if base.startswith("https://"):
        return "wss://" + base.removeprefix("https://")
    return "ws://" + base.removeprefix("http://")
