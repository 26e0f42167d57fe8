"""JSON Schema on the vendor payload (``payload.schema``): checked at load, compiled once.

``jsonschema`` is the reference, but its ``is_valid`` costs tens of microseconds on a small
payload, far over the per-message budget. So ``compile_payload_schema`` compiles the common
draft 2020-12 vocabulary (``type``, ``enum``, ``const``, ``properties``, ``required``,
``additionalProperties``, ``items``, ``prefixItems``, the numeric, string, array and object
bounds, ``pattern``, ``allOf``/``anyOf``/``oneOf``/``not``) into nested closures with the
exact semantics of jsonschema (``true`` is not ``1``; ``1.0`` is an integer). A schema using
anything else (``$ref``, ``patternProperties``, ``if``…) runs on jsonschema itself. Only a
payload that fails is handed to jsonschema, to explain the failure (path, keyword, message).
A differential test holds the compiled verdict equal to jsonschema's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

__all__ = [
    "PayloadSchema",
    "PayloadViolation",
    "SchemaProblem",
    "compile_payload_schema",
    "format_path",
    "json_equal",
    "schema_problems",
]

logger = logging.getLogger(__name__)

Predicate = Callable[[Any], bool]

DRAFT_2020_12: Final = "https://json-schema.org/draft/2020-12/schema"
MAX_MESSAGE: Final = 300

_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ANNOTATIONS: Final = frozenset(
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


@dataclass(frozen=True, slots=True)
class PayloadViolation:
    """Why a payload fails its schema: where (JSONPath), which rule (schema pointer), what."""

    path: str
    schema_path: str
    keyword: str
    message: str

    def as_detail(self) -> dict[str, str]:
        """The violation as a dead-letter ``detail`` dictionary."""
        return {"path": self.path, "schema_path": self.schema_path, "keyword": self.keyword}


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """A mistake in a schema itself: ``path`` is the location inside the schema."""

    path: tuple[str | int, ...]
    message: str


class PayloadSchema:
    """A schema compiled once; ``violation(value)`` is the per-message call."""

    __slots__ = ("_check", "_reference", "compiled", "schema")

    def __init__(self, schema: Mapping[str, Any] | bool):
        self.schema = schema
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        self._reference = cls(schema)
        check = _compile_document(schema)
        self.compiled = check is not None
        self._check: Predicate = check if check is not None else self._reference.is_valid

    def is_valid(self, value: Any) -> bool:
        """The verdict alone (the compiled closures when the schema allows)."""
        return self._check(value)

    def violation(self, value: Any) -> PayloadViolation | None:
        """``None`` when ``value`` conforms, else the most relevant violation."""
        if self._check(value):
            return None
        error = best_match(self._reference.iter_errors(value))
        if error is None:
            logger.error(
                "compiled schema and jsonschema disagree on a payload; trusting jsonschema"
            )
            return None
        return _violation(error)


def compile_payload_schema(schema: Mapping[str, Any] | bool) -> PayloadSchema:
    """Compile a schema that ``schema_problems`` found no fault with."""
    return PayloadSchema(schema)


def schema_problems(schema: Any) -> list[SchemaProblem]:
    """Everything wrong with ``schema`` as a draft 2020-12 schema, plus remote ``$ref``s."""
    if not isinstance(schema, dict | bool):
        return [SchemaProblem((), "a JSON Schema is an object (or true/false)")]
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    checker = cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER)
    problems = []
    for found in checker.iter_errors(schema):
        error = _cause(found)
        problems.append(
            SchemaProblem(tuple(error.absolute_path), f"invalid JSON Schema: {error.message}")
        )
    problems.extend(_reference_problems(schema, (), schema))
    return problems


def _cause(error: ValidationError) -> ValidationError:
    """The telling part of an anyOf/oneOf failure ("not one of [...]" beats "not valid")."""
    while error.context:
        error = max(
            error.context, key=lambda sub: (len(sub.absolute_path), sub.validator == "enum")
        )
    return error


def _reference_problems(
    node: Any, path: tuple[str | int, ...], root: Any
) -> Iterable[SchemaProblem]:
    """Refuse remote references (no fetch is ever made) and local ones that lead nowhere."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                problem = _reference_problem(value, root)
                if problem:
                    yield SchemaProblem((*path, key), problem)
            else:
                yield from _reference_problems(value, (*path, key), root)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _reference_problems(value, (*path, index), root)


def _reference_problem(ref: str, root: Any) -> str | None:
    if not ref.startswith("#"):
        return f"only local references ('#/...') are allowed, not {ref!r}"
    fragment = unquote(ref[1:])
    if fragment and not fragment.startswith("/"):
        return None if fragment in set(_anchors(root)) else f"no $anchor {fragment!r} for {ref!r}"
    target = root
    for raw in fragment.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return f"reference {ref!r} points to nothing in this schema"
    return None


def _anchors(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$anchor", "$dynamicAnchor") and isinstance(value, str):
                yield value
            else:
                yield from _anchors(value)
    elif isinstance(node, list):
        for value in node:
            yield from _anchors(value)


def _violation(error: ValidationError) -> PayloadViolation:
    message = error.message
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    pointer = "".join(f"/{part}" for part in error.absolute_schema_path)
    return PayloadViolation(
        path=format_path(error.absolute_path),
        schema_path=pointer or "/",
        keyword=str(error.validator),
        message=message,
    )


def format_path(parts: Iterable[str | int]) -> str:
    """``("a", 0, "b c")`` as ``$.a[0]['b c']`` (RFC 9535 syntax)."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.fullmatch(part):
            out.append(f".{part}")
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            out.append(f"['{escaped}']")
    return "".join(out)


def json_equal(one: Any, two: Any) -> bool:
    """Equality as JSON (and jsonschema) sees it: ``true != 1``, ``1 == 1.0``, deep."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, bool) or isinstance(two, bool):
        return False  # distinct objects, at least one a boolean: never equal
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(map(json_equal, one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return len(one) == len(two) and all(
            key in two and json_equal(value, two[key]) for key, value in one.items()
        )
    if isinstance(one, list | dict) or isinstance(two, list | dict):
        return False
    return bool(one == two)


# --- the compiler ------------------------------------------------------------------------


class _Unsupported(Exception):
    """The schema uses a keyword outside the compiled subset."""


def _compile_document(schema: Mapping[str, Any] | bool) -> Predicate | None:
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
    checks: list[Predicate] = []
    for keyword, argument in schema.items():
        if keyword in _ANNOTATIONS:
            continue
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
    frozen = tuple(checks)

    def every(value: Any) -> bool:
        return all(check(value) for check in frozen)

    return every


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


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
    return lambda value: any(test(value) for test in tests)


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
