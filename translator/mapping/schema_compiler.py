"""JSON Schema (draft 2020-12) compiled into nested closures: the fast verdict on a payload.

The common vocabulary (``type``, ``enum``, ``const``, ``properties``, ``required``,
``additionalProperties``, ``items``, ``prefixItems``, the numeric, string, array and object
bounds, ``pattern``, ``allOf``/``anyOf``/``oneOf``/``not``) becomes closures with exact
jsonschema semantics (``true`` is not ``1``; ``1.0`` is an integer; keywords apply only to
their instance types). Annotations are skipped. The shapes payload schemas are mostly made
of (an object's ``type``/``required``/``properties``, a ``const``/``enum`` of texts) are
fused into one closure each (``schema_shapes``). Any other keyword, or another draft, makes
``compile_predicate`` return ``None`` and the caller runs jsonschema instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from translator.mapping.json_equality import json_equal
from translator.mapping.schema_shapes import ANNOTATIONS, Predicate, fused_shape

__all__ = ["DRAFT_2020_12", "Predicate", "compile_predicate"]

DRAFT_2020_12: Final = "https://json-schema.org/draft/2020-12/schema"


class _Unsupported(Exception):
    """The schema uses a keyword outside the compiled subset."""


def compile_predicate(schema: Mapping[str, Any] | bool) -> Predicate | None:
    """The schema as one predicate, or ``None`` when it uses a keyword outside the subset."""
    if isinstance(schema, dict) and schema.get("$schema", DRAFT_2020_12) != DRAFT_2020_12:
        return None  # other drafts differ in details; let jsonschema run them
    try:
        return _compile(schema)
    except _Unsupported:
        return None


def _always(_value: Any) -> bool:
    return True


def _never(_value: Any) -> bool:
    return False


def _compile(schema: Any) -> Predicate:
    if schema is True:
        return _always
    if schema is False:
        return _never
    keywords = {key: value for key, value in schema.items() if key not in ANNOTATIONS}
    fused = fused_shape(keywords, _compile)
    if fused is not None:
        return fused
    checks: list[Predicate] = []
    for keyword, argument in keywords.items():
        builder = _KEYWORDS.get(keyword)
        if builder is None:
            raise _Unsupported(keyword)
        checks.append(builder(argument, schema))
    return _all_of(checks)


def _all_of(checks: Sequence[Predicate]) -> Predicate:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)
    frozen = tuple(checks)

    def every(value: Any) -> bool:
        for check in frozen:  # noqa: SIM110 (a generator costs a frame: hot path)
            if not check(value):
                return False
        return True

    return every


def _is_number(value: Any) -> bool:
    kind = type(value)
    if kind is float or kind is int:
        return True
    return isinstance(value, int | float) and kind is not bool


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPES: Final[dict[str, Predicate]] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
    "number": _is_number,
    "integer": _is_integer,
}


def _type(argument: Any, _schema: Mapping[str, Any]) -> Predicate:
    names = [argument] if isinstance(argument, str) else list(argument)
    tests = tuple(_TYPES[name] for name in names)
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda value: first(value) or second(value)

    def any_type(value: Any) -> bool:
        for test in tests:  # noqa: SIM110 (a generator costs a frame: hot path)
            if test(value):
                return True
        return False

    return any_type


def _enum(argument: Any, _schema: Mapping[str, Any]) -> Predicate:
    options = tuple(argument)
    return lambda value: any(json_equal(option, value) for option in options)


def _const(argument: Any, _schema: Mapping[str, Any]) -> Predicate:
    return lambda value: json_equal(value, argument)


def _properties(argument: Any, _schema: Mapping[str, Any]) -> Predicate:
    subs = tuple((name, _compile(sub)) for name, sub in argument.items())

    def properties(value: Any) -> bool:
        if isinstance(value, dict):
            for name, check in subs:
                if name in value and not check(value[name]):
                    return False
        return True

    return properties


def _required(argument: Any, _schema: Mapping[str, Any]) -> Predicate:
    names = tuple(argument)

    def required(value: Any) -> bool:
        if isinstance(value, dict):
            for name in names:
                if name not in value:
                    return False
        return True

    return required


def _additional_properties(argument: Any, schema: Mapping[str, Any]) -> Predicate:
    if "patternProperties" in schema:
        raise _Unsupported("patternProperties")
    known = frozenset(schema.get("properties", {}))
    check = _compile(argument)

    def additional(value: Any) -> bool:
        if isinstance(value, dict):
            for name, item in value.items():
                if name not in known and not check(item):
                    return False
        return True

    return additional


def _items(argument: Any, schema: Mapping[str, Any]) -> Predicate:
    start = len(schema.get("prefixItems", ()))
    check = _compile(argument)

    def items(value: Any) -> bool:
        if isinstance(value, list):
            for index in range(start, len(value)):
                if not check(value[index]):
                    return False
        return True

    return items


def _prefix_items(argument: Any, _schema: Mapping[str, Any]) -> Predicate:
    checks = tuple(_compile(sub) for sub in argument)

    def prefix(value: Any) -> bool:
        if isinstance(value, list):
            for check, item in zip(checks, value, strict=False):
                if not check(item):
                    return False
        return True

    return prefix


def _bound(
    applies: Predicate, measure: Callable[[Any], Any], ok: Callable[[Any, Any], bool]
) -> Callable[[Any, Mapping[str, Any]], Predicate]:
    def build(argument: Any, _schema: Mapping[str, Any]) -> Predicate:
        return lambda value: not applies(value) or ok(measure(value), argument)

    return build


def _identity(value: Any) -> Any:
    return value


def _is_list(value: Any) -> bool:
    return isinstance(value, list)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


def _pattern(argument: Any, _schema: Mapping[str, Any]) -> Predicate:
    compiled = re.compile(argument)
    return lambda value: not isinstance(value, str) or compiled.search(value) is not None


def _any_of(argument: Any, _schema: Mapping[str, Any]) -> Predicate:
    checks = tuple(_compile(sub) for sub in argument)
    return lambda value: any(check(value) for check in checks)


def _one_of(argument: Any, _schema: Mapping[str, Any]) -> Predicate:
    checks = tuple(_compile(sub) for sub in argument)
    return lambda value: sum(1 for check in checks if check(value)) == 1


def _all_of_keyword(argument: Any, _schema: Mapping[str, Any]) -> Predicate:
    return _all_of([_compile(sub) for sub in argument])


def _not(argument: Any, _schema: Mapping[str, Any]) -> Predicate:
    check = _compile(argument)
    return lambda value: not check(value)


def _ge(a: Any, b: Any) -> bool:
    return bool(a >= b)


def _le(a: Any, b: Any) -> bool:
    return bool(a <= b)


def _gt(a: Any, b: Any) -> bool:
    return bool(a > b)


def _lt(a: Any, b: Any) -> bool:
    return bool(a < b)


_KEYWORDS: Final[dict[str, Callable[[Any, Mapping[str, Any]], Predicate]]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "properties": _properties,
    "required": _required,
    "additionalProperties": _additional_properties,
    "items": _items,
    "prefixItems": _prefix_items,
    "minimum": _bound(_is_number, _identity, _ge),
    "maximum": _bound(_is_number, _identity, _le),
    "exclusiveMinimum": _bound(_is_number, _identity, _gt),
    "exclusiveMaximum": _bound(_is_number, _identity, _lt),
    "minLength": _bound(_is_str, len, _ge),
    "maxLength": _bound(_is_str, len, _le),
    "minItems": _bound(_is_list, len, _ge),
    "maxItems": _bound(_is_list, len, _le),
    "minProperties": _bound(_is_dict, len, _ge),
    "maxProperties": _bound(_is_dict, len, _le),
    "pattern": _pattern,
    "allOf": _all_of_keyword,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "not": _not,
}
