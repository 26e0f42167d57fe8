"""Transform steps: each one's result and its failures, and malformed steps at load."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translator.mapping.json_equality import json_key
from translator.mapping.transforms import StepError, TransformSpecError, compile_transforms


def run(steps: list[dict[str, Any]], value: Any) -> Any:
    for step in compile_transforms(steps):
        value = step.apply(value)
    return value


@pytest.mark.parametrize(
    ("steps", "value", "result"),
    [
        ([{"map": {"ON": True, "OFF": False}}], "ON", True),
        ([{"map": {True: "on"}}], True, "on"),
        ([{"map": {1: "one"}}], 1.0, "one"),  # 1 and 1.0 are one JSON number
        ([{"map": {"a": 1}, "default": 0}], "zzz", 0),
        ([{"number": True}], " -12.5e1 ", -125.0),
        ([{"number": True}], 7, 7.0),
        ([{"string": True}], 12, "12"),
        ([{"string": True}], True, "true"),
        ([{"regex": "^(?P<value>[0-9.]+) ?W$"}], "12.5 W", "12.5"),
        ([{"regex": "x=(\\d+)"}], "a x=42 b", "42"),
        ([{"regex": "\\d+"}], "ab123", "123"),
        ([{"scale": 0.001}], 1500, 1.5),
        ([{"offset": -273.15}], 273.15, 0.0),
        ([{"regex": "(\\d+)"}, {"number": True}, {"scale": 2}, {"offset": 1}], "v=20", 41.0),
    ],
)
def test_steps(steps: list[dict[str, Any]], value: Any, result: Any) -> None:
    got = run(steps, value)
    assert got == result
    assert type(got) is type(result)


@pytest.mark.parametrize(
    ("steps", "value", "message"),
    [
        ([{"map": {1: "one"}}], True, "no entry for True"),  # true is not 1
        ([{"map": {"ON": True}}], "STANDBY", "no entry for 'STANDBY'"),
        ([{"number": True}], "abc", "'abc' is not a number"),
        ([{"number": True}], "1_000", "is not a number"),  # Python-only syntax refused
        ([{"number": True}], "nan", "is not a number"),
        ([{"number": True}], True, "expected text or a number"),
        ([{"string": True}], [1], "expected text, a number or a boolean"),
        ([{"regex": "^\\d+$"}], "12a", "does not match"),
        ([{"regex": "\\d+"}], 12, "expected text"),
        ([{"regex": "(a)|(?P<value>b)"}], "a", "did not take part"),
        ([{"scale": 2}], "12", "add {number: true} before it"),
        ([{"offset": 2}], None, "expected a number"),
        ([{"scale": 2}], True, "expected a number"),
    ],
)
def test_step_failures(steps: list[dict[str, Any]], value: Any, message: str) -> None:
    with pytest.raises(StepError, match=message):
        run(steps, value)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([{"map": {}}], "non-empty table"),
        ([{"map": ["a"]}], "non-empty table"),
        ([{"number": False}], "write 'number: true'"),
        ([{"regex": "("}], "regex: "),
        ([{"scale": "x"}], "expects a number"),
        ([{"scale": True}], "expects a number"),
        ([{"offset": float("inf")}], "finite"),
        ([{"scale": 1, "offset": 2}], "several operations"),
        ([{"default": 1}], "no operation"),
        ([{"number": True, "default": 1}], "'default' only goes with 'map'"),
        ([{"lookup": {}}], "unknown transform 'lookup'"),
    ],
)
def test_malformed_steps(steps: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(TransformSpecError, match=message):
        compile_transforms(steps)


def test_json_key_keeps_types_apart() -> None:
    assert json_key(True) != json_key(1)
    assert json_key(1) == json_key(1.0)
    assert json_key("1") != json_key(1)
    assert json_key(None) != json_key(False)


SCALARS = st.none() | st.booleans() | st.sampled_from([0, 1, 1.0, 2.5, "1", "ON", "OFF", "", "a"])
VALUES = SCALARS | st.just([1]) | st.just({"a": 1})


def _reference_map(table: dict[Any, Any], default: Any, has_default: bool, value: Any) -> Any:
    """A ``map`` step by its definition: JSON-typed equality of the value and a key."""
    for key, mapped in table.items():
        if json_key(key) == json_key(value):
            return ("value", mapped)
    return ("value", default) if has_default else ("miss", None)


@settings(max_examples=300)
@given(
    table=st.dictionaries(SCALARS, st.integers(0, 9), min_size=1, max_size=4),
    default=st.none() | st.integers(0, 9),
    has_default=st.booleans(),
    values=st.lists(VALUES, min_size=1, max_size=5),
)
def test_map_lookups_agree_with_their_definition(
    table: dict[Any, Any], default: Any, has_default: bool, values: list[Any]
) -> None:
    step: dict[str, Any] = {"map": table}
    if has_default:
        step["default"] = default
    (compiled,) = compile_transforms([step])
    for value in values:
        expected = _reference_map(table, default, has_default, value)
        try:
            got: Any = ("value", compiled.apply(value))
        except StepError:
            got = ("miss", None)
        assert got == expected, (table, value)
