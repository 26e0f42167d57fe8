"""The pure value transforms a reading may apply, compiled once into small callables.

A mapping lists steps (``map``, ``number``, ``string``, ``regex``, ``scale``, ``offset``);
``compile_transforms`` turns each into a ``Transform`` whose ``apply`` takes one JSON value
and returns the next, or raises ``StepError`` with a reason a mapping author understands.
Nothing here evaluates code: a step is a table lookup, a number parse, a regex capture or
one multiplication/addition.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from translator.mapping.json_equality import json_key

__all__ = [
    "OPERATIONS",
    "LookupTable",
    "StepError",
    "Transform",
    "TransformSpecError",
    "compile_transforms",
    "describe_value",
]

OPERATIONS: Final = ("map", "number", "string", "regex", "scale", "offset")
"""Every step name, in the order the documentation lists them."""

_MISS: Final = object()
_NUMBER_TEXT: Final = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")


class StepError(ValueError):
    """A transform step cannot handle the value it was given (an extraction failure)."""


class TransformSpecError(ValueError):
    """A step in a mapping file is malformed (a load-time failure). ``index`` is the step."""

    def __init__(self, index: int, reason: str, key: str | None = None):
        self.index = index
        self.key = key
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class Transform:
    """One compiled step: ``apply(value) -> value``, raising ``StepError``."""

    name: str
    apply: Callable[[Any], Any]


class LookupTable:
    """A ``map`` table keyed by JSON type and value, with an optional default.

    Text keys (``"ON"``, ``"OFF"``) — nearly every table — are also kept in a plain ``str``
    table, so looking up a ``str`` is one dictionary access.
    """

    __slots__ = ("_default", "_has_default", "_table", "_texts")

    def __init__(self, table: Mapping[Any, Any], default: Any = None, has_default: bool = False):
        self._table = {json_key(key): value for key, value in table.items()}
        self._texts = {key[1]: value for key, value in self._table.items() if key[0] == "s"}
        self._default = default
        self._has_default = has_default

    def lookup(self, value: Any) -> Any:
        """The mapped value. Raises ``StepError`` on a miss without default."""
        if type(value) is str:
            found = self._texts.get(value, _MISS)
            if found is not _MISS:
                return found
        try:
            return self._table[json_key(value)]
        except (KeyError, TypeError):
            if self._has_default:
                return self._default
        known = ", ".join(describe_value(key[1]) for key in list(self._table)[:8])
        raise StepError(f"map: no entry for {describe_value(value)} (known: {known})")


def describe_value(value: Any, limit: int = 60) -> str:
    """A short, safe rendering of a payload value for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compile_transforms(steps: Sequence[Mapping[str, Any]]) -> tuple[Transform, ...]:
    """Compile a ``transform:`` list.

    Raises:
        TransformSpecError: a step names no operation, several, or bad arguments.
    """
    return tuple(_compile_step(index, step) for index, step in enumerate(steps))


def _compile_step(index: int, step: Mapping[str, Any]) -> Transform:
    ops = [key for key in step if key in OPERATIONS]
    extra = [key for key in step if key not in OPERATIONS and key != "default"]
    if extra:
        raise TransformSpecError(index, f"unknown transform {extra[0]!r}", extra[0])
    if len(ops) != 1:
        what = "no operation" if not ops else f"several operations ({', '.join(ops)})"
        raise TransformSpecError(index, f"a step needs exactly one of {OPERATIONS}, got {what}")
    op = ops[0]
    if "default" in step and op != "map":
        raise TransformSpecError(index, "'default' only goes with 'map'", "default")
    builder = _BUILDERS[op]
    try:
        return Transform(op, builder(step[op], step))
    except (ValueError, re.error) as err:
        raise TransformSpecError(index, f"{op}: {err}", op) from err


def _build_map(table: Any, step: Mapping[str, Any]) -> Callable[[Any], Any]:
    if not isinstance(table, Mapping) or not table:
        raise ValueError("expects a non-empty table {vendor value: our value}")
    return LookupTable(table, step.get("default"), "default" in step).lookup


def _build_number(flag: Any, _step: Mapping[str, Any]) -> Callable[[Any], Any]:
    if flag is not True:
        raise ValueError("write 'number: true'")
    return _to_number


def _to_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise StepError(f"number: expected text or a number, got {describe_value(value)}")
    if isinstance(value, str):
        if _NUMBER_TEXT.fullmatch(value) is None:
            raise StepError(f"number: {describe_value(value)} is not a number")
        return float(value)
    return float(value)


def _build_string(flag: Any, _step: Mapping[str, Any]) -> Callable[[Any], Any]:
    if flag is not True:
        raise ValueError("write 'string: true'")
    return _to_string


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    raise StepError(f"string: expected text, a number or a boolean, got {describe_value(value)}")


def _build_regex(pattern: Any, _step: Mapping[str, Any]) -> Callable[[Any], Any]:
    if not isinstance(pattern, str):
        raise ValueError("expects a regular expression (text)")
    compiled = re.compile(pattern)
    group: int | str = 0
    if "value" in compiled.groupindex:
        group = "value"
    elif compiled.groups:
        group = 1

    def capture(value: Any) -> str:
        if not isinstance(value, str):
            raise StepError(f"regex: expected text, got {describe_value(value)}")
        found = compiled.search(value)
        if found is None:
            raise StepError(f"regex: {describe_value(value)} does not match {pattern!r}")
        result = found.group(group)
        if result is None:
            raise StepError(f"regex: group {group!r} did not take part in the match")
        return result

    return capture


def _require_number(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        hint = "; add {number: true} before it" if isinstance(value, str) else ""
        raise StepError(f"{name}: expected a number, got {describe_value(value)}{hint}")


def _operand(operand: Any) -> float:
    if isinstance(operand, bool) or not isinstance(operand, int | float):
        raise ValueError("expects a number")
    if not math.isfinite(operand):
        raise ValueError("expects a finite number")
    return float(operand)


def _build_scale(operand: Any, _step: Mapping[str, Any]) -> Callable[[Any], Any]:
    factor = _operand(operand)

    def scale(value: Any) -> float:
        _require_number("scale", value)
        return float(value * factor)

    return scale


def _build_offset(operand: Any, _step: Mapping[str, Any]) -> Callable[[Any], Any]:
    term = _operand(operand)

    def offset(value: Any) -> float:
        _require_number("offset", value)
        return float(value + term)

    return offset


_BUILDERS: Final[dict[str, Callable[[Any, Mapping[str, Any]], Callable[[Any], Any]]]] = {
    "map": _build_map,
    "number": _build_number,
    "string": _build_string,
    "regex": _build_regex,
    "scale": _build_scale,
    "offset": _build_offset,
}
