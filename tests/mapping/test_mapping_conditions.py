"""``match.when`` conditions: the compiled tests (direct lookups for ``$.key``) agree with the
definition — the values the RFC 9535 library selects, compared with JSON equality."""

from __future__ import annotations

import json
from typing import Any

import jsonpath_rfc9535 as jsonpath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translator.mapping import parse_mapping
from translator.mapping.json_equality import json_equal
from translator.ontology.vocabulary import Vocabulary

MAPPING = """\
id: m
version: "1"
match:
  protocol: mqtt
  channel: "t/{{device}}"
  when: [{condition}]
thing:
  iri: "urn:dev:test:{{device}}"
readings: []
"""

KEYS = st.sampled_from(["a", "b", "code"])
SCALARS = st.none() | st.booleans() | st.sampled_from([0, 1, 1.0, 2.5, "x", "1", "", "a"])
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=12,
)
PATHS = st.sampled_from(
    ["$.a", "$.code", "$.a.b", "$[0]", "$.a[*]", "$[?@.a == 'x']", "$.a[?@ == 1]", "$"]
)


def _reference(path: str, kind: str, argument: Any, doc: Any) -> bool:
    values = jsonpath.compile(path).find(doc).values()
    if kind == "exists":
        return bool(values) is argument
    if kind == "equals":
        return any(json_equal(value, argument) for value in values)
    return any(json_equal(value, option) for value in values for option in argument)


@settings(max_examples=300, deadline=None)
@given(
    path=PATHS,
    kind=st.sampled_from(["exists", "equals", "in"]),
    argument=SCALARS,
    docs=st.lists(JSON, min_size=1, max_size=6),
)
def test_compiled_conditions_agree_with_their_definition(
    vocabulary: Vocabulary, path: str, kind: str, argument: Any, docs: list[Any]
) -> None:
    if kind == "exists":
        argument = bool(argument)
    elif kind == "in":
        argument = [argument, "x"]
    condition = json.dumps({"path": path, kind: argument})
    plan = parse_mapping(MAPPING.format(condition=condition), vocabulary)
    (compiled,) = plan.when
    for doc in docs:
        assert compiled.test(doc) is _reference(path, kind, argument, doc), (condition, doc)


@pytest.mark.parametrize(
    ("condition", "doc", "holds"),
    [
        ({"path": "$.a", "exists": True}, {"a": None}, True),
        ({"path": "$.a", "exists": False}, {"a": None}, False),
        ({"path": "$.a", "exists": True}, ["a"], False),
        ({"path": "$.a", "equals": "x"}, {"a": "x"}, True),
        ({"path": "$.a", "equals": "x"}, {"b": "x"}, False),
        ({"path": "$.a", "equals": "1"}, {"a": 1}, False),
        ({"path": "$.a", "equals": "true"}, {"a": True}, False),
        ({"path": "$.a", "equals": "x"}, "x", False),
        ({"path": "$.a", "equals": 1}, {"a": True}, False),
        ({"path": "$.a", "equals": 1}, {"a": 1.0}, True),
    ],
)
def test_direct_lookups(
    vocabulary: Vocabulary, condition: dict[str, Any], doc: Any, holds: bool
) -> None:
    plan = parse_mapping(MAPPING.format(condition=json.dumps(condition)), vocabulary)
    assert plan.when[0].test(doc) is holds
