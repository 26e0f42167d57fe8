"""Compiled JSONPath selections (filters, unions, wildcards) agree with the RFC 9535 library.

Random filter expressions — comparisons of singular queries and literals of every JSON
type, existence tests, ``!``, ``&&``, ``||``, nested filters, ``$`` inside filters — run
on random documents, through ``compile_path`` (the compiled selection) and through the
library; both must select the very same nodes in the same order.
"""

from __future__ import annotations

import json
from typing import Any

import jsonpath_rfc9535 as jsonpath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translator.mapping.jsonpath import MISSING, compile_path

KEYS = st.sampled_from(["a", "b", "code", "0"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-2, 2)
    | st.sampled_from([0.0, 1.0, -1.5, 2.5])
    | st.sampled_from(["", "a", "b", "8867-4", "1"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=25,
)
LITERALS = st.sampled_from(
    ["'a'", "'b'", "''", "'8867-4'", "'1'", "0", "1", "-1", "2", "1.0", "-1.5", "2.5",
     "true", "false", "null"]
)  # fmt: skip
STEPS = st.lists(
    KEYS.map(lambda key: f"[{json.dumps(key)}]") | st.integers(-2, 2).map(lambda i: f"[{i}]"),
    max_size=2,
)
SINGULAR = st.builds(
    lambda start, steps: start + "".join(steps), st.sampled_from(["@", "$"]), STEPS
)
OPERATORS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
COMPARISON = st.builds(
    lambda left, op, right: f"{left} {op} {right}",
    SINGULAR | LITERALS,
    OPERATORS,
    SINGULAR | LITERALS,
).filter(lambda text: "@" in text or "$" in text)  # two literals: the library refuses some
EXISTENCE = SINGULAR | st.builds(lambda steps: "@" + "".join(steps) + "[*]", STEPS)


def _logical(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return (
        st.builds(lambda e: f"!({e})", inner)
        | st.builds(lambda a, b: f"({a} && {b})", inner, inner)
        | st.builds(lambda a, b: f"({a} || {b})", inner, inner)
        | st.builds(lambda e: f"@[?{e}]", inner)  # a nested filter as an existence test
    )


EXPRESSIONS = st.recursive(COMPARISON | EXISTENCE, _logical, max_leaves=4)
PREFIX = st.lists(
    st.sampled_from(["['a']", "['code']", "[0]", "[*]", "['a','b']", "[0,'a']"]), max_size=2
)
SUFFIX = st.sampled_from(["", "['a']", "[0]", "[*]", "['code','a']"])


@settings(max_examples=500, deadline=None)
@given(prefix=PREFIX, expression=EXPRESSIONS, suffix=SUFFIX, doc=JSON)
def test_compiled_filters_select_what_the_library_selects(
    prefix: list[str], expression: str, suffix: str, doc: Any
) -> None:
    text = "$" + "".join(prefix) + f"[?{expression}]" + suffix
    query = compile_path(text)
    assert query.select is not None, text  # it took the compiled path
    expected = jsonpath.compile(text).find(doc).values()
    got = query.values(doc)
    assert len(got) == len(expected), (text, doc)
    assert all(one is two for one, two in zip(got, expected, strict=True)), (text, doc)


@settings(max_examples=200, deadline=None)
@given(expression=EXPRESSIONS, doc=JSON)
def test_compiled_relative_filters_take_the_item_as_root(expression: str, doc: Any) -> None:
    query = compile_path(f"@[*][?{expression}]")
    assert query.relative
    assert query.select is not None
    expected = jsonpath.compile(f"$[*][?{expression}]").find(doc).values()
    got = query.values({"ignored": doc}, doc)
    assert len(got) == len(expected)
    assert all(one is two for one, two in zip(got, expected, strict=True))


FHIR_CODING = "$.code.coding[?@.system == 'http://loinc.org' && @.code == '8867-4']"


@pytest.mark.parametrize(
    ("coding", "selected"),
    [
        ([{"system": "http://loinc.org", "code": "8867-4"}], 1),
        ([{"system": "http://snomed.info/sct", "code": "8867-4"}], 0),
        ([{"system": "http://loinc.org", "code": "59408-5"},
          {"system": "http://loinc.org", "code": "8867-4"}], 1),
        ([{"system": "http://loinc.org"}], 0),
        ({"one": {"system": "http://loinc.org", "code": "8867-4"}}, 1),  # object members too
        ("not a list", 0),
    ],
)  # fmt: skip
def test_fhir_coding_filter(coding: Any, selected: int) -> None:
    query = compile_path(FHIR_CODING)
    assert query.select is not None
    doc = {"code": {"coding": coding}}
    assert len(query.values(doc)) == selected
    assert len(jsonpath.compile(FHIR_CODING).find(doc)) == selected


@pytest.mark.parametrize(
    "text", ["$..a", "$[0:2]", "$[?length(@) > 1]", "$[?match(@.a, 'x')]", "$..[?@.a]"]
)
def test_queries_outside_the_subset_keep_the_library(text: str) -> None:
    query = compile_path(text)
    assert query.select is None
    assert query.steps is None
    doc = [{"a": "x"}, {"a": [1, 2]}, "ab"]
    assert query.values(doc) == jsonpath.compile(text).find(doc).values()


def test_one_on_a_compiled_filter() -> None:
    query = compile_path("$[?@.n == 'x'].v")
    assert query.one([{"n": "x", "v": 3}, {"n": "y", "v": 4}]) == 3
    assert query.one([{"n": "y", "v": 4}]) is MISSING


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the library runs `@[...]` as a query of its own: `$` inside is the outer `@`
        ("$.x[?@[?@ == $.a]]", []),
        ("$.x[?@[?@ == $[0]]]", [[1, 2], [3]]),
        ("$.x[?@[?@ == 3]]", [[3]]),
        ("$.x[?@[0] > $.a]", [[3]]),
        ("$.x[?!@[1]]", [[3]]),
    ],
)
def test_root_inside_nested_filters(text: str, expected: list[Any]) -> None:
    doc = {"a": 1, "x": [[1, 2], [3]]}
    query = compile_path(text)
    assert query.select is not None
    assert query.values(doc) == expected == jsonpath.compile(text).find(doc).values()


@pytest.mark.parametrize(
    "text",
    [
        "$[?@.a == 'x' || @.b == 'y']",  # two members: not one member with two texts
        "$[?@.a == 'x' || @.a == 'y']",
        "$[?@.a == 'x' && (@.b == 'y' || @.b == 'z')]",
        "$[?'x' == @.a && @.b == 'y']",
        "$[?@.a == 'x' && @.a == 'y']",
        "$[?(@.a == 'x' || @.a == 'y') || @.a == 'z']",
        "$[?@.a == 'x' || (@.a == 'y' && @.b == 'y')]",
    ],
)
def test_member_equality_filters(text: str) -> None:
    doc = [
        {"a": "x"}, {"b": "y"}, {"a": "y", "b": "y"}, {"a": "x", "b": "z"}, {"a": ["x"]},
        {"a": None}, {"b": "z"}, "x", {"a": "z"}, {"a": "x", "b": "y"},
    ]  # fmt: skip
    query = compile_path(text)
    assert query.select is not None
    expected = jsonpath.compile(text).find(doc).values()
    assert query.values(doc) == expected
