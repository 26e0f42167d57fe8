"""The whole-message fast check never says "conforms" when the evaluator has a result.

``CompiledShapes.evaluate`` first asks ``fastpath.FastPath`` whether a message certainly
conforms, and then returns no result without running the target groups. What must hold is
soundness: the fast check says true ⇒ ``CompiledShapes.report`` (every group on its focus
nodes, the path proved against pyshacl and the W3C suite) finds nothing; when it says
false, ``evaluate`` is ``report``. Proved on the W3C SHACL Core suite and on generated
project messages, valid and broken, one gate serving every example as in the pipeline
(its learnt layouts and term caches carry over). It must also be useful: every valid
project message takes it. Then its parts on their own: what it leaves to the evaluator,
choice folding, layouts past the limit, bounded caches, fused term tests, the fast forms
of ``xsd:dateTime`` / ``xsd:double`` parsing and of one-class patterns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shacl_helpers import EX, graph, pyshacl_conforms, triples
from shacl_messages import build, mutated_messages, readings, suite_cases, valid_messages

from translator.ontology.files import ontology_dir
from translator.rdf.graph import MessageGraph
from translator.rdf.namespaces import QUDT, RDF, SOSA, TR, TRP, XSD
from translator.validation import ShapeGate, compile_shapes, fastchecks, termchecks
from translator.validation import compiled as model
from translator.validation.compiled import CompiledShapes, DatatypeRule, RawResult
from translator.validation.conforming import value_test
from translator.validation.dataview import DataView, Index
from translator.validation.demands import demand_of
from translator.validation.fastpath import FastPath, key_demand
from translator.validation.fastvalues import NodeCheck
from translator.validation.folding import fold, under_layout
from translator.validation.literals import (
    _DOUBLE_RE,
    _parse_datetime,
    _parse_datetime_xsd,
    _parse_double,
)
from translator.validation.patterns import matcher
from translator.validation.termchecks import CachedTest, TermRule, term_test
from translator.validation.terms import Term, TermConverter
from translator.values import Reading

N = ox.NamedNode
GATE = ShapeGate.from_path(ontology_dir() / "shapes.ttl")
FRESH = ShapeGate.from_path(ontology_dir() / "shapes.ttl")
LOOKUP = ShapeGate.from_path(ontology_dir() / "shapes.ttl")  # used with LAYOUT_LIMIT 0 only
SMALL_CACHES = ShapeGate.from_path(ontology_dir() / "shapes.ttl")  # with CACHE_LIMIT 2 only
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def keyed(results: list[RawResult]) -> list[tuple[object, ...]]:
    return [
        (r.shape.key, r.constraint.component, r.focus, r.value, r.path and r.path.text({}))
        for r in results
    ]


def fast(compiled: CompiledShapes, view: DataView) -> bool:
    assert compiled.conforms is not None
    return compiled.conforms(view)


def assert_sound(compiled: CompiledShapes, index: Index) -> bool:
    """The fast verdict on fresh views, twice (learnt layouts); evaluate equals report."""
    verdict = fast(compiled, DataView(index))
    assert fast(compiled, DataView(index)) == verdict
    reported = compiled.report(DataView(index))
    if verdict:
        assert reported == []
    assert keyed(compiled.evaluate(DataView(index))) == keyed(reported)
    return verdict


# -- soundness and use ------------------------------------------------------------------------


def test_fast_check_is_sound_on_the_w3c_core_suite() -> None:
    accepted = conforming = cases = nodes_accepted = 0
    for test_id, data, shapes in suite_cases():
        converter = TermConverter()
        compiled = compile_shapes(shapes, converter)
        assert compiled.unsupported is None, test_id
        index = DataView.from_rdflib(data, converter).out
        accepted += assert_sound(compiled, index)
        conforming += not compiled.report(DataView(index))
        nodes_accepted += assert_sound_per_node(compiled, index)
        cases += 1
    assert cases == 98
    assert accepted == conforming == 4  # the four W3C data graphs that conform
    assert nodes_accepted > 2000  # and the node checks said "conforms" on many nodes


def assert_sound_per_node(compiled: CompiledShapes, index: Index) -> int:
    """Every node check that says "conforms" on any node: its groups report nothing there."""
    fast_path = compiled.conforms
    assert isinstance(fast_path, FastPath)
    checks: list[tuple[Term | None, object, NodeCheck]] = [
        (cls, None, check) for cls, check in fast_path.by_class.items()
    ]
    checks += [(None, finder, check) for finder, check in fast_path.others]
    objects = (v for by_predicate in index.values() for vs in by_predicate.values() for v in vs)
    everything = list(dict.fromkeys([*index, *objects]))
    accepted = 0
    for cls, finder, check in checks:
        groups = [
            g for g in compiled.groups
            if (cls is not None and g.target_class == cls) or g.find_focus is finder
        ]  # fmt: skip
        for node in everything:
            if not check(DataView(index), node, index.get(node, {})):
                continue
            accepted += 1
            out: list[RawResult] = []
            for group in groups:
                replace(group, find_focus=only(node)).run(DataView(index), out)
            assert out == [], (node, [r.constraint.component for r in out])
    return accepted


def only(node: Term) -> Callable[[DataView], list[Term]]:
    return lambda view: [node]


@SETTINGS
@given(message=valid_messages())
def test_valid_project_messages_take_the_fast_path(message: MessageGraph) -> None:
    assert GATE.compiled.report(DataView(message.index)) == []  # valid by construction
    assert fast(GATE.compiled, DataView(message.index))


@SETTINGS
@given(message=mutated_messages())
def test_fast_check_is_sound_on_broken_project_messages(message: MessageGraph) -> None:
    assert_sound(GATE.compiled, message.index)
    assert_sound_per_node(GATE.compiled, message.index)


@SETTINGS
@given(message=mutated_messages())
def test_fast_check_is_sound_with_a_fresh_gate(message: MessageGraph) -> None:
    assert_sound(FRESH.compiled, message.index)  # compiled again: learnt nothing elsewhere


# -- what the fast check leaves to the evaluator ----------------------------------------------

SEQUENCE_SHAPES = """
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
    sh:property [ sh:path ( ex:a ex:b ) ; sh:minCount 1 ; sh:maxCount 1 ;
                  sh:datatype xsd:double ] .
"""


@pytest.mark.parametrize(
    ("data", "conforms", "sure"),
    [
        ('ex:x a ex:C ; ex:a ex:y . ex:y ex:b "1.0"^^xsd:double .', True, True),
        ('ex:x a ex:C ; ex:a ex:y1, ex:y2 . ex:y1 ex:b "1.0"^^xsd:double .', True, False),
        ('ex:x a ex:C ; ex:a ex:y1, ex:y2 . ex:y1 ex:b "1.0"^^xsd:double . '
         'ex:y2 ex:b "2.0"^^xsd:double .', False, False),
        ('ex:x a ex:C ; ex:a ex:y . ex:y ex:b "x"^^xsd:double .', False, False),
        ("ex:x a ex:C .", False, False),
    ],
)  # fmt: skip
def test_a_sequence_path_needs_one_first_step_value(data: str, conforms: bool, sure: bool) -> None:
    """``(ex:a ex:b)`` counted: judged fast on one ``ex:a`` value, else by the evaluator."""
    gate = ShapeGate.from_graph(graph(SEQUENCE_SHAPES))
    view = DataView.from_triples(triples(data))
    assert fast(gate.compiled, view) == sure
    assert (gate.check(triples(data)) == ()) == conforms == pyshacl_conforms(data, SEQUENCE_SHAPES)


CLASS_SHAPES = """
ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .
"""


@pytest.mark.parametrize(
    "data",
    [
        "ex:D rdfs:subClassOf ex:C . ex:x a ex:D .",
        "ex:D rdfs:subClassOf ex:C . ex:x a ex:D ; ex:p 1 .",
        "ex:C rdfs:subClassOf ex:B . ex:x a ex:C ; ex:p 1 .",
    ],
)
def test_subclasses_in_the_data_are_left_to_the_evaluator(data: str) -> None:
    gate = ShapeGate.from_graph(graph(CLASS_SHAPES))
    assert not fast(gate.compiled, DataView.from_triples(triples(data)))
    assert (gate.check(triples(data)) == ()) == pyshacl_conforms(data, CLASS_SHAPES)


@SETTINGS
@given(found=readings(valid=True))
def test_several_dispatch_keys_are_left_to_the_evaluator(found: list[Reading]) -> None:
    index = {s: dict(by) for s, by in build(found).index.items()}
    observed = N(SOSA + "observedProperty")
    for by_predicate in index.values():
        if observed in by_predicate:
            by_predicate[observed] = [*by_predicate[observed], N(EX + "other")]
    assert not fast(GATE.compiled, DataView(index))
    assert GATE.compiled.evaluate(DataView(index))  # not in sh:in, and two values


# -- folding ------------------------------------------------------------------------------

XONE_SHAPES = """
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
    sh:xone ( ex:WithP ex:WithQ ) ;
    sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:maxCount 1 ] .
ex:WithP sh:property [ sh:path ex:p ; sh:minCount 1 ] .
ex:WithQ sh:property [ sh:path ex:q ; sh:minCount 1 ] .
"""


def test_a_choice_that_only_counts_folds_into_bounds() -> None:
    """``ex:p`` is required, so ``ex:WithP`` holds and the xone demands no ``ex:q``."""
    compiled = compile_shapes(graph(XONE_SHAPES))
    (group,) = compiled.groups
    demand = demand_of(group.shapes)
    assert demand.choices
    fold(demand)
    assert not demand.choices
    assert demand.props[N(EX + "q")].high == 0


@pytest.mark.parametrize(
    ("alternatives", "data"),
    [
        (alts, data)
        for alts in ["ex:WithP ex:WithQ", "ex:WithP ex:NoQ", "ex:NoQ ex:WithP", "ex:WithQ ex:NoQ",
                     "ex:WithP ex:WithP", "ex:WithQ ex:TwoQ", "ex:NoQ ex:TwoQ ex:WithP",
                     "ex:NoQ ex:TwoQ"]
        for data in ["ex:x a ex:C ; ex:p 1 .", "ex:x a ex:C ; ex:p 1 ; ex:q 2 .",
                     "ex:x a ex:C ; ex:p 1 ; ex:q 2, 3 .", "ex:x a ex:C ."]
    ],
)  # fmt: skip
@pytest.mark.parametrize("operator", ["xone", "or"])
def test_folded_choices_decide_as_pyshacl(alternatives: str, data: str, operator: str) -> None:
    shapes = f"""
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:{operator} ( {alternatives} ) ;
            sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:maxCount 1 ] .
        ex:WithP sh:property [ sh:path ex:p ; sh:minCount 1 ] .
        ex:WithQ sh:property [ sh:path ex:q ; sh:minCount 1 ] .
        ex:NoQ sh:property [ sh:path ex:q ; sh:maxCount 0 ] .
        ex:TwoQ sh:property [ sh:path ex:q ; sh:minCount 2 ] .
    """
    index = DataView.from_triples(triples(data)).out
    compiled = compile_shapes(graph(shapes))
    assert (not compiled.evaluate(DataView(index))) == pyshacl_conforms(data, shapes)
    assert_sound(compiled, index)
    with pytest.MonkeyPatch.context() as patch:  # no layouts: choices counted at run time
        patch.setattr(fastchecks, "LAYOUT_LIMIT", 0)
        assert_sound(compile_shapes(graph(shapes)), index)


KEYED_SHAPES = """
ex:Kinds a sh:NodeShape ; sh:targetClass ex:Reading ;
    sh:property [ sh:path ex:kind ; sh:in ( ex:A ) ; sh:minCount 1 ; sh:maxCount 1 ] .
ex:A-Shape a sh:NodeShape ; sh:targetClass ex:Reading ; sh:or ( ex:A-Other ex:A-Fits ) .
ex:B-Shape a sh:NodeShape ; sh:targetClass ex:Reading ; sh:or ( ex:B-Other ex:B-Fits ) .
ex:A-Other sh:not [ sh:property [ sh:path ex:kind ; sh:hasValue ex:A ] ] .
ex:B-Other sh:not [ sh:property [ sh:path ex:kind ; sh:hasValue ex:B ] ] .
ex:A-Fits sh:property [ sh:path ex:value ; sh:datatype xsd:integer ; sh:minCount 1 ] .
ex:B-Fits sh:property [ sh:path ex:value ; sh:datatype xsd:string ; sh:minCount 1 ] .
"""


@pytest.mark.parametrize(
    "data",
    [
        "ex:r a ex:Reading ; ex:kind ex:A ; ex:value 1 .",
        'ex:r a ex:Reading ; ex:kind ex:A ; ex:value "1" .',
        'ex:r a ex:Reading ; ex:kind ex:B ; ex:value "1" .',
        "ex:r a ex:Reading ; ex:kind ex:B ; ex:value 1 .",
        "ex:r a ex:Reading ; ex:kind ex:C ; ex:value 1 .",
        "ex:r a ex:Reading ; ex:kind ex:A, ex:B ; ex:value 1 .",
        "ex:r a ex:Reading ; ex:value 1 .",
    ],
)
def test_a_dispatch_key_is_judged_at_compile_time(data: str) -> None:
    """``ex:B`` has shapes of its own but is not allowed: its check says no, once."""
    gate = ShapeGate.from_graph(graph(KEYED_SHAPES))
    (group,) = [g for g in gate.compiled.groups if g.table]
    assert key_demand(group, N(EX + "B"), DataView({})).never
    assert not key_demand(group, N(EX + "A"), DataView({})).never
    assert (gate.check(triples(data)) == ()) == pyshacl_conforms(data, KEYED_SHAPES)
    assert_sound(gate.compiled, DataView.from_triples(triples(data)).out)


def test_the_project_observation_checks_are_folded() -> None:
    """Per observed property: the sh:xone decided, the key itself checked at compile time."""
    (group,) = [g for g in GATE.compiled.groups if g.table]
    scratch = DataView({})
    has_result, has_simple = N(SOSA + "hasResult"), N(SOSA + "hasSimpleResult")
    numeric = key_demand(group, N(TRP + "temperature"), scratch)
    boolean = key_demand(group, N(TRP + "onOff"), scratch)
    for demand in (numeric, boolean):
        assert not demand.never
        assert not demand.choices
        assert N(SOSA + "observedProperty") not in demand.props
    assert numeric.props[has_simple].high == 0
    assert (numeric.props[has_result].low, numeric.props[has_result].high) == (1, 1)
    assert boolean.props[has_result].high == 0
    result = numeric.props[has_result].each
    assert result.choices  # sh:or ( Unconverted Converted ): decided per layout
    layout = (N(RDF + "type"), N(QUDT + "numericValue"), N(QUDT + "unit"))
    assert not under_layout(result, layout).choices
    converted = (*layout, N(TR + "sourceValue"), N(TR + "sourceUnit"))
    assert not under_layout(result, converted).choices
    assert under_layout(result, (*layout, N(TR + "sourceValue"))).never


# -- layouts and caches ---------------------------------------------------------------------


@SETTINGS
@given(message=mutated_messages())
def test_layouts_past_the_limit_are_looked_up(message: MessageGraph) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastchecks, "LAYOUT_LIMIT", 0)
        assert_sound(LOOKUP.compiled, message.index)


@SETTINGS
@given(message=mutated_messages())
def test_term_caches_stay_bounded_and_right(message: MessageGraph) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(termchecks, "CACHE_LIMIT", 2)
        assert_sound(SMALL_CACHES.compiled, message.index)


def test_a_cached_test_answers_by_value_and_by_identity() -> None:
    calls: list[ox.Literal] = []

    def compute(view: DataView, term: object) -> bool:
        calls.append(term)  # type: ignore[arg-type]
        return isinstance(term, ox.Literal) and term.value == "yes"

    view = DataView({})
    for by_value in (True, False):
        calls.clear()
        cached = CachedTest(compute, by_value=by_value)
        yes, yes_again, no = ox.Literal("yes"), ox.Literal("yes"), ox.Literal("no")
        assert cached.test(view, yes)
        assert cached.test(view, yes)
        assert not cached.test(view, no)
        assert cached.test(view, yes_again)
        assert len(calls) == (2 if by_value else 3)  # equal terms: one answer by value


# -- fused term tests ---------------------------------------------------------------------------

TERM_SHAPES = {
    "double in range": "sh:datatype xsd:double ; sh:minInclusive -273.15 ; sh:maxExclusive 1e3",
    "integer": "sh:datatype xsd:integer ; sh:maxInclusive 10",
    "dateTime": 'sh:datatype xsd:dateTime ; sh:minInclusive "2026-01-01T00:00:00Z"^^xsd:dateTime',
    "string pattern": 'sh:datatype xsd:string ; sh:pattern "^[0-9a-f]{4}$"',
    "langString": "sh:datatype rdf:langString ; sh:maxLength 3",
    "range only": "sh:minExclusive 0",
    "two datatypes": "sh:datatype xsd:double ; sh:datatype xsd:float",
    "any literal": "sh:datatype rdfs:Literal ; sh:minLength 1",
}
LEXICALS = ["1.5", "-273.15", "-273.150001", "1e3", "999", "NaN", "INF", "abc", "", "10",
            "11", "+7", "2026-11-25T10:00:00Z", "2025-11-25T10:00:00Z", "2026-02-30T00:00:00Z",
            "0a9f", "0A9F", "0a9f\n", "de"]  # fmt: skip
DATATYPES = [XSD + d for d in ("double", "float", "integer", "decimal", "dateTime", "string")]


def rules_of(parameters: str) -> list[TermRule]:
    shapes = graph(f"ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:property [ sh:path ex:p ; "
                   f"{parameters} ] .")  # fmt: skip
    (group,) = compile_shapes(shapes).groups
    (prop,) = group.shapes[0].properties
    found: list[TermRule] = []
    for constraint in prop.constraints:
        found.extend(r for r in constraint.each if isinstance(r, DatatypeRule | model.TestRule))
    return found


literals = st.one_of(
    st.builds(lambda lexical, dt: ox.Literal(lexical, datatype=N(dt)),
              st.sampled_from(LEXICALS), st.sampled_from(DATATYPES)),
    st.builds(lambda lexical: ox.Literal(lexical, language="en"), st.sampled_from(LEXICALS)),
    st.sampled_from([N(EX + "iri"), ox.BlankNode("b")]),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(TERM_SHAPES)), term=literals)
def test_fused_term_tests_equal_their_rules(name: str, term: ox.Literal) -> None:
    rules = rules_of(TERM_SHAPES[name])
    assert rules
    view = DataView({})
    expected = all(value_test(rule)(view, term) for rule in rules)
    assert term_test(None, None, rules)(DataView({}), term) == expected


# -- fast literal parsing and patterns ----------------------------------------------------------

DATETIME_EDGES = [
    "2026-11-25T06:00:05.815967Z", "2026-11-25T06:00:05Z", "2026-11-25T06:00:05.8159678Z",
    "2026-11-25T06:00:Z", "2026-11-25T06:00:0Z", "2026-11-25T06:00:05.Z", "2026-11-25T24:00:00Z",
    "2026-11-25T06:00:60Z", "2026-02-30T06:00:05Z", "2024-02-29T06:00:05Z", "0000-11-25T06:00:05Z",
    "2026-11-25T06:00:05,5Z", "2026-11-25T06:00:05 Z", "2026-11-25T06:00:05.5 Z",
    "2026-11-25 06:00:05Z", "2026-1\u0661-25T06:00:05Z", "2026-11-25T06:00:05.\u0663Z",
    "2026-11-25T06:00:05.\u00b2Z", "20261125T060005Z", "Z", "",
]  # fmt: skip


@pytest.mark.parametrize("lexical", DATETIME_EDGES)
def test_the_fast_datetime_parse_is_the_xsd_parse(lexical: str) -> None:
    assert _parse_datetime(lexical) == _parse_datetime_xsd(lexical)
    assert _parse_datetime(lexical, stamp=True) == _parse_datetime_xsd(lexical, stamp=True)


@settings(max_examples=500, deadline=None)
@given(
    template=st.sampled_from(DATETIME_EDGES[:3]),
    edits=st.lists(st.tuples(st.integers(0, 30), st.sampled_from("0912-T:.Z ,+\u0663")),
                   max_size=3),
)  # fmt: skip
def test_edited_datetimes_parse_alike(template: str, edits: list[tuple[int, str]]) -> None:
    lexical = template
    for position, char in edits:
        lexical = lexical[:position] + char + lexical[position + 1 :]
    assert _parse_datetime(lexical) == _parse_datetime_xsd(lexical)


def xsd_double(lexical: str) -> tuple[str, float] | None:
    return ("num", float(lexical)) if _DOUBLE_RE.fullmatch(lexical) else None


@settings(max_examples=500, deadline=None)
@given(lexical=st.text(alphabet="0123456789.eE+-_ INFaN\u0663", max_size=8))
def test_the_fast_double_parse_is_the_xsd_parse(lexical: str) -> None:
    found, expected = _parse_double(lexical), xsd_double(lexical)
    assert (found is None) == (expected is None)
    if found is not None and expected is not None:
        assert repr(found) == repr(expected)  # NaN equals nothing, its repr does


CLASS_BODIES = ["0-9a-f", "a-z", "A-Z0-9", "abc", "x", "0-9", "a-f0-9A-F", "z-a", "a-Z", "^a"]


@settings(max_examples=500, deadline=None)
@given(
    body=st.sampled_from(CLASS_BODIES),
    quantifier=st.sampled_from(["{2}", "{0}", "{1,3}", "{2,}", "+", "*", "{3,1}", "?"]),
    text=st.text(alphabet="0af9AZxz-\n \u0663", max_size=6),
)
def test_one_class_patterns_match_as_python_re(body: str, quantifier: str, text: str) -> None:
    source = f"^[{body}]{quantifier}$"
    try:
        expected = re.search(source, text) is not None
    except re.error:
        with pytest.raises(re.error):
            matcher(source, 0)
        return
    assert matcher(source, 0)(text) == expected
    assert matcher(source, re.IGNORECASE)(text) == (re.search(source, text, re.I) is not None)


def test_the_digest_pattern_of_the_project_shapes_is_a_one_class_pattern() -> None:
    digest = "9f86d081" * 8
    match = matcher("^[0-9a-f]{64}$", 0)
    assert match(digest)
    assert match(digest + "\n")  # Python's "$": also before a final newline
    assert not match(digest.upper())
    assert not match(digest[1:])
    assert not match(digest + "\n\n")
