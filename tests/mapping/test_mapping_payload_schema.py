"""Payload JSON Schemas: the compiled checks agree with jsonschema (differential), failures
are explained with a path, and bad schemas are refused at load with their location."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translator.mapping.json_equality import json_equal
from translator.mapping.payload_schema import (
    compile_payload_schema,
    format_path,
    schema_problems,
)

KEYS = st.sampled_from(["a", "b", "c"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(-3, 3, allow_nan=False)
    | st.sampled_from([0.0, 1.0, 2.5])
    | st.text(alphabet="ab", max_size=3)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=12,
)
TYPES = st.sampled_from(["object", "array", "string", "boolean", "null", "number", "integer"])
NUMBER = st.integers(-2, 2) | st.sampled_from([0.5, -1.5])
COUNT = st.integers(0, 3)

ONLY_TYPE = st.fixed_dictionaries(  # the shape payload schemas' properties mostly have
    {"type": TYPES | st.lists(TYPES, min_size=1, max_size=3, unique=True)},
    optional={"title": st.just("annotations are ignored")},
)
LEAF = (
    st.booleans()
    | ONLY_TYPE
    | st.fixed_dictionaries(
        {},
        optional={
            "type": TYPES | st.lists(TYPES, min_size=1, max_size=3, unique=True),
            "minimum": NUMBER,
            "maximum": NUMBER,
            "exclusiveMinimum": NUMBER,
            "exclusiveMaximum": NUMBER,
            "minLength": COUNT,
            "maxLength": COUNT,
            "minItems": COUNT,
            "maxItems": COUNT,
            "minProperties": COUNT,
            "maxProperties": COUNT,
            "pattern": st.sampled_from(["^a", "b$", "a+", "^$"]),
            "enum": st.lists(VALUES, min_size=1, max_size=3),
            "const": VALUES,
            "required": st.lists(KEYS, max_size=2, unique=True),
            "title": st.just("annotations are ignored"),
            "format": st.just("date-time"),
        },
    )
)


def _extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {},
        optional={
            "type": TYPES,
            "properties": st.dictionaries(KEYS, inner, max_size=2),
            "additionalProperties": inner,
            "items": inner,
            "prefixItems": st.lists(inner, max_size=2),
            "allOf": st.lists(inner, min_size=1, max_size=2),
            "anyOf": st.lists(inner, min_size=1, max_size=2),
            "oneOf": st.lists(inner, min_size=1, max_size=2),
            "not": inner,
        },
    )


SCHEMAS = st.recursive(LEAF, _extend, max_leaves=6)


@settings(max_examples=400, deadline=None)
@given(schema=SCHEMAS, values=st.lists(VALUES, min_size=1, max_size=5))
def test_compiled_verdict_equals_jsonschema(schema: Any, values: list[Any]) -> None:
    compiled = compile_payload_schema(schema)
    assert compiled.compiled  # the subset above is all compiled
    reference = jsonschema.Draft202012Validator(schema)
    for value in values:
        verdict = reference.is_valid(value)
        assert compiled.is_valid(value) is verdict, (schema, value)
        assert (compiled.violation(value) is None) is verdict


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"type": "integer"}, 1.0), ({"type": "integer"}, 1.5), ({"type": "integer"}, True),
        ({"type": "number"}, False), ({"type": "boolean"}, 0), ({"enum": [1]}, True),
        ({"enum": [True]}, 1), ({"const": 0}, False), ({"const": [1, {"a": 1.0}]}, [1.0, {"a": 1}]),
        ({"minimum": 1}, True), ({"maximum": 0}, "x"), ({"minLength": 2}, 12),
        ({"pattern": "^a"}, 1),
        ({"required": ["a"]}, []), ({"properties": {"a": False}}, {"a": None}),
        ({"properties": {"a": False}}, {"b": None}), ({"additionalProperties": False}, {"a": 1}),
        ({"properties": {"a": {}}, "additionalProperties": False}, {"a": 1}),
        ({"prefixItems": [{"type": "string"}], "items": False}, ["a"]),
        ({"prefixItems": [{"type": "string"}], "items": False}, ["a", 1]),
        ({"oneOf": [{"type": "number"}, {"type": "integer"}]}, 1),
        ({"oneOf": [{"type": "number"}, {"type": "integer"}]}, 1.5),
        ({"not": {"type": "null"}}, None), ({"anyOf": [False, {"const": "x"}]}, "x"),
        ({"minProperties": 1}, {}), ({"maxItems": 0}, [None]), ({"type": ["null", "string"]}, None),
        # the fused shapes: string const/enum, object schemas
        ({"enum": ["a", "b"]}, ["a"]), ({"enum": ["a"]}, {"a": 1}), ({"enum": ["1"]}, 1),
        ({"const": "a"}, ["a"]), ({"const": "true"}, True), ({"enum": ["a", "b"]}, "b"),
        ({"type": "object", "required": ["a"]}, "a"), ({"required": ["a"]}, "a"),
        ({"type": "object", "properties": {"a": {"const": "x"}}}, {"a": "x", "b": 1}),
        ({"type": "object", "properties": {"a": {"const": "x"}}}, {"a": "y"}),
        ({"properties": {"a": True}, "additionalProperties": {"type": "integer"}}, {"b": 1.0}),
        ({"properties": {"a": True}, "additionalProperties": {"type": "integer"}}, {"b": 1.5}),
        ({"type": "object", "additionalProperties": False}, {}),
        ({"type": "object", "required": ["a"], "properties": {"a": {"type": "number"}}},
         {"a": True}),
        ({"properties": {"a": {"type": "integer"}}}, {"a": 1.5}),
        ({"properties": {"a": {"type": "integer"}}}, {"a": 1.0}),
        ({"properties": {"a": {"type": "integer"}}}, {"a": True}),
        ({"properties": {"a": {"type": "boolean"}}}, {"a": 1}),
        ({"properties": {"a": {"type": ["number", "null"]}}}, {"a": None}),
        ({"properties": {"a": {"type": ["number", "null"]}}}, {"a": "x"}),
        ({"properties": {"a": {"type": "number", "title": "t"}}}, {"a": False}),
        ({"properties": {"a": {"title": "only an annotation"}}}, {"a": 1}),
        ({"type": "object", "properties": {"a": {"type": "string"}}}, {"a": 1}),
        ({"properties": {"a": {"enum": ["x", "y"]}}}, {"a": ["x"]}),
        ({"properties": {"a": {"enum": ["x", "y"]}}}, {"a": "y"}),
        ({"properties": {"a": {"enum": ["1"]}}}, {"a": 1}),
        ({"properties": {"a": {"const": "x", "title": "t"}}}, {"a": "z"}),
        ({"properties": {"a": {"const": "x"}, "b": {"type": "null"}, "c": {"minimum": 2}}},
         {"a": "x", "b": None, "c": 1}),
    ],
)  # fmt: skip
def test_tricky_cases_agree(schema: Any, value: Any) -> None:
    compiled = compile_payload_schema(schema)
    assert compiled.compiled
    assert compiled.is_valid(value) is jsonschema.Draft202012Validator(schema).is_valid(value)


@settings(max_examples=300)
@given(one=VALUES, two=VALUES)
def test_json_equal_matches_jsonschema_const(one: Any, two: Any) -> None:
    assert json_equal(one, two) is jsonschema.Draft202012Validator({"const": one}).is_valid(two)


def test_violation_names_path_keyword_and_rule() -> None:
    schema = compile_payload_schema(
        {
            "type": "object",
            "required": ["temperature"],
            "properties": {
                "temperature": {"type": "number"},
                "sensors": {"type": "array", "items": {"properties": {"t c": {"maximum": 5}}}},
            },
        }
    )
    violation = schema.violation({"temperature": "hot"})
    assert violation is not None
    assert violation.path == "$.temperature"
    assert violation.schema_path == "/properties/temperature/type"
    assert violation.keyword == "type"
    assert violation.message == "'hot' is not of type 'number'"
    nested = schema.violation({"temperature": 1, "sensors": [{}, {"t c": 9}]})
    assert nested is not None
    assert nested.path == "$.sensors[1]['t c']"
    missing = schema.violation({})
    assert missing is not None
    assert (missing.path, missing.keyword) == ("$", "required")


def test_unsupported_keywords_run_on_jsonschema() -> None:
    schema = compile_payload_schema(
        {"$defs": {"n": {"type": "number"}}, "properties": {"x": {"$ref": "#/$defs/n"}},
         "patternProperties": {"^y": {"type": "string"}}}
    )  # fmt: skip
    assert not schema.compiled
    assert schema.is_valid({"x": 1, "y1": "a"})
    assert not schema.is_valid({"x": "1"})
    assert not schema.is_valid({"y1": 1})


def test_other_drafts_run_on_jsonschema() -> None:
    draft7 = {"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "string"}]}
    schema = compile_payload_schema(draft7)
    assert not schema.compiled
    assert not schema.is_valid([1])


def test_long_messages_are_cut() -> None:
    schema = compile_payload_schema({"type": "string"})
    violation = schema.violation(list(range(1000)))
    assert violation is not None
    assert len(violation.message) <= 300


@pytest.mark.parametrize(
    ("schema", "path", "message"),
    [
        ({"type": "objct"}, ("type",), "invalid JSON Schema"),
        ({"minimum": "0"}, ("minimum",), "is not of type 'number'"),
        ({"pattern": "("}, ("pattern",), "is not a 'regex'"),
        ({"properties": {"a": {"$ref": "https://example.org/s.json"}}},
         ("properties", "a", "$ref"), "only local references"),
        ({"properties": {"a": {"$ref": "#/$defs/missing"}}},
         ("properties", "a", "$ref"), "points to nothing"),
        ({"$ref": "#nowhere"}, ("$ref",), "no $anchor"),
        ("text", (), "a JSON Schema is an object"),
    ],
)  # fmt: skip
def test_schema_problems(schema: Any, path: tuple[Any, ...], message: str) -> None:
    problems = schema_problems(schema)
    assert problems
    assert problems[0].path == path
    assert message in problems[0].message


def test_good_schemas_have_no_problems() -> None:
    assert schema_problems({"$defs": {"a": {"$anchor": "x"}}, "$ref": "#x"}) == []
    assert schema_problems({"$defs": {"a~b": {}}, "$ref": "#/$defs/a~0b"}) == []
    assert schema_problems(True) == []


def test_format_path() -> None:
    assert format_path(["a", 0, "b c", "it's"]) == "$.a[0]['b c']['it\\'s']"
    assert format_path([]) == "$"
