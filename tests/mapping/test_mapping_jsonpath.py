"""JSONPath: the fast step walk agrees with the RFC 9535 library on every document."""

from __future__ import annotations

import json
from typing import Any

import jsonpath_rfc9535 as jsonpath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translator.mapping.jsonpath import MISSING, PathQueryError, PathSyntaxError, compile_path

KEYS = st.sampled_from(["a", "b", "temp", "x y", "0", "ü", "'q'"])
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False)
    | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)
STEP = st.one_of(KEYS, st.integers(-4, 4))


def _render(steps: list[Any], wildcard: bool) -> str:
    text = "$" + "".join(f"[{json.dumps(s)}]" if isinstance(s, str) else f"[{s}]" for s in steps)
    return text + ("[*]" if wildcard else "")


@settings(max_examples=300)
@given(steps=st.lists(STEP, max_size=4), wildcard=st.booleans(), doc=JSON)
def test_fast_path_agrees_with_the_library(steps: list[Any], wildcard: bool, doc: Any) -> None:
    text = _render(steps, wildcard)
    query = compile_path(text)
    assert query.steps is not None  # it took the fast path
    expected = jsonpath.compile(text).find(doc).values()
    assert query.values(doc) == expected
    if not wildcard:
        got = query.one(doc)
        if expected:
            assert got == expected[0]
        else:
            assert got is MISSING


@settings(max_examples=100)
@given(doc=JSON)
def test_relative_paths_run_on_the_item(doc: Any) -> None:
    query = compile_path("@.a[0]")
    assert query.relative
    assert query.values(None, {"a": [doc]}) == [doc]
    assert query.values({"a": [1]}, None) == []


@pytest.mark.parametrize(
    ("text", "singular"),
    [("$", True), ("$.a.b[0]", True), ("$['a b'][-1]", True), ("@.v", True), ("$[*]", False),
     ("$.a[*]", False), ("$..x", False), ("$.a[?@.x > 1]", False), ("$[0:2]", False)],
)  # fmt: skip
def test_singular_or_not(text: str, singular: bool) -> None:
    assert compile_path(text).singular is singular


def test_library_queries_still_work() -> None:
    doc = {"list": [{"n": "a", "v": 1}, {"n": "b", "v": 2}], "deep": {"x": {"x": 3}}}
    assert compile_path("$.list[?@.v > 1].n").values(doc) == ["b"]
    assert compile_path("$..x").values(doc) == [{"x": 3}, 3]
    assert compile_path("$.list[?@.v > 1].n").one(doc) == "b"
    with pytest.raises(PathQueryError, match="selects 2 values"):
        compile_path("$.list[*].v").one(doc)


def test_wildcard_over_objects_keeps_member_order() -> None:
    assert compile_path("$[*]").values({"b": 1, "a": 2}) == [1, 2]
    assert compile_path("$.x[*]").values({"x": 5}) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [("temperature", "must start with '[$]' or '@'"), ("$.a[", "bad JSONPath"),
     ("$[?@.a ==]", "bad JSONPath"), ("$.a.", "bad JSONPath")],
)  # fmt: skip
def test_syntax_errors_are_explained(text: str, message: str) -> None:
    with pytest.raises(PathSyntaxError, match=message):
        compile_path(text)


def test_relative_path_refused_where_no_item_exists() -> None:
    with pytest.raises(PathSyntaxError, match="only allowed inside a 'foreach'"):
        compile_path("@.v", allow_relative=False)


def test_single_name_queries_expose_their_key() -> None:
    assert compile_path("$.temperature").key == "temperature"
    assert compile_path("$.a.b").key is None
    assert compile_path("$[0]").key is None
