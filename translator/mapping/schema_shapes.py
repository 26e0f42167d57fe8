"""The shapes payload schemas are mostly made of, each fused into one closure.

A vendor payload's schema is an object with ``type``, ``required`` and ``properties`` whose
members are a bare ``type`` (``{type: number}``), a ``const``/``enum`` of texts, or another
such object. Combining one closure per keyword costs a call per keyword and member; here an
object schema is one closure that tests the required names, then accepts each member on
sight when its Python type is one its schema takes whole (``int``/``float`` for ``number``)
or it is one of the allowed texts, and calls the member's own check only otherwise (which
then gives the exact verdict, ``1.0`` an integer, ``true`` not a number). ``schema_compiler``
compiles everything else, and the members, through ``compile_sub``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = ["ANNOTATIONS", "Predicate", "fused_shape"]

Predicate = Callable[[Any], bool]

ANNOTATIONS: Final = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "$defs",
        "definitions",
        "$anchor",
        "$dynamicAnchor",
        "$vocabulary",
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",  # an annotation unless a format checker is configured (none is)
        "contentMediaType",
        "contentEncoding",
        "contentSchema",
    }
)
"""Keywords that never fail a value (no format checker is configured)."""

_OBJECT_KEYWORDS: Final = frozenset({"type", "properties", "required", "additionalProperties"})
_EXACT_TYPES: Final[dict[str, frozenset[type]]] = {
    "object": frozenset({dict}),
    "array": frozenset({list}),
    "string": frozenset({str}),
    "boolean": frozenset({bool}),
    "null": frozenset({type(None)}),
    "number": frozenset({int, float}),
    "integer": frozenset({int}),  # a float is an integer only when whole: checked in full
}
_NOTHING: Final[frozenset[Any]] = frozenset()
_ABSENT: Final = object()


def fused_shape(
    keywords: Mapping[str, Any], compile_sub: Callable[[Any], Predicate]
) -> Predicate | None:
    """One closure for ``keywords`` (a schema without its annotations) when it has a fused
    shape, else ``None``; ``compile_sub`` compiles member schemas."""
    if keywords.keys() <= _OBJECT_KEYWORDS and keywords.get("type", "object") == "object":
        if "properties" in keywords or "required" in keywords:
            return _object(keywords, compile_sub)
        return None
    texts = _texts(keywords)
    if texts:
        return lambda value: isinstance(value, str) and value in texts
    return None


def _object(keywords: Mapping[str, Any], compile_sub: Callable[[Any], Predicate]) -> Predicate:
    """``type: object`` (optional), ``required``, ``properties``, ``additionalProperties``:
    one pass over the names the schema lists, one over the others when it restricts them."""
    typed = "type" in keywords
    names = tuple(keywords.get("required", ()))
    subs = tuple(
        (name, _quick(sub), compile_sub(sub))
        for name, sub in keywords.get("properties", {}).items()
        if not _trivial(sub)
    )
    additional = keywords.get("additionalProperties", True)
    other = None if additional is True else compile_sub(additional)
    known = frozenset(keywords.get("properties", {}))
    absent = _ABSENT

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return not typed
        for name in names:
            if name not in value:
                return False
        for name, quick, sub in subs:
            item = value.get(name, absent)
            if item is absent:
                continue
            kind = type(item)
            if kind in quick or (kind is str and item in quick):
                continue  # a type the member's schema takes whole, or a text it allows
            if not sub(item):
                return False
        return other is None or _others_hold(value, known, other)

    return check


def _others_hold(value: dict[str, Any], known: frozenset[str], other: Predicate) -> bool:
    """``additionalProperties``: every member not in ``properties`` passes ``other``."""
    return all(name in known or other(item) for name, item in value.items())


def _quick(schema: Any) -> frozenset[Any]:
    """What a member's value is accepted on sight by: the Python types its schema takes
    whole (a bare ``type``), or the texts of a ``const``/``enum`` of texts."""
    if not isinstance(schema, dict):
        return _NOTHING
    keywords = {key: value for key, value in schema.items() if key not in ANNOTATIONS}
    return _types(keywords) or _texts(keywords)


def _trivial(schema: Any) -> bool:
    """Whether ``schema`` accepts everything (``true``, or only annotations)."""
    return schema is True or (
        isinstance(schema, dict) and all(key in ANNOTATIONS for key in schema)
    )


def _types(keywords: Mapping[str, Any]) -> frozenset[Any]:
    """The Python types whose every value a bare ``type`` accepts."""
    if keywords.keys() != {"type"}:
        return _NOTHING
    names = keywords["type"]
    found: set[type] = set()
    for name in [names] if isinstance(names, str) else names:
        found |= _EXACT_TYPES[name]
    return frozenset(found)


def _texts(keywords: Mapping[str, Any]) -> frozenset[Any]:
    """The texts a ``const``/``enum`` made only of texts allows."""
    if keywords.keys() == {"const"} and isinstance(keywords["const"], str):
        return frozenset({keywords["const"]})
    if keywords.keys() == {"enum"} and all(isinstance(option, str) for option in keywords["enum"]):
        return frozenset(keywords["enum"])
    return _NOTHING
