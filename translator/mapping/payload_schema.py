"""JSON Schema on the vendor payload (``payload.schema``): checked at load, compiled once.

``jsonschema`` is the reference, but its ``is_valid`` costs tens of microseconds on a small
payload, far over the per-message budget. So ``compile_payload_schema`` gives the verdict
with the closures of ``schema_compiler`` (same semantics, a differential test holds them
equal) and falls back to jsonschema for schemas outside that subset. Only a payload that
fails is handed to jsonschema, to explain the failure (path, keyword, message).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from translator.mapping.schema_compiler import Predicate, compile_predicate

__all__ = [
    "PayloadSchema",
    "PayloadViolation",
    "SchemaProblem",
    "compile_payload_schema",
    "format_path",
    "schema_problems",
]

logger = logging.getLogger(__name__)

MAX_MESSAGE: Final = 300

_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
        check = compile_predicate(schema)
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
