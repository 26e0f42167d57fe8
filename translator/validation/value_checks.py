"""Constraint components that judge each value node on its own.

sh:class, sh:datatype, sh:nodeKind, sh:in, sh:hasValue, sh:minExclusive, sh:minInclusive,
sh:maxExclusive, sh:maxInclusive, sh:minLength, sh:maxLength, sh:pattern (+ sh:flags) and
sh:languageIn. Each compiles to a closure over pyoxigraph terms; hot components (datatype,
in, numeric ranges) get a specialised loop.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from typing import Any, Final

import pyoxigraph as ox

from translator.rdf.namespaces import RDF, RDFS, SH, XSD
from translator.validation.compiled import (
    PASS,
    Check,
    ClassRule,
    CompiledShape,
    Constraint,
    DatatypeRule,
    Failure,
    KindRule,
    MemberRule,
    TestRule,
    ValueRule,
)
from translator.validation.dataview import DataView
from translator.validation.literals import (
    KNOWN_DATATYPES,
    Parsed,
    float_bound,
    less,
    less_or_equal,
    parse_literal,
)
from translator.validation.paths import UnsupportedShapes
from translator.validation.patterns import matcher
from translator.validation.source import ComponentCompiler, ShapeSource
from translator.validation.terms import RdfTerm, Term

Literal: Final = ox.Literal
NamedNode: Final = ox.NamedNode
BlankNode: Final = ox.BlankNode


def each_value(test: Callable[[DataView, Term], bool]) -> Check:
    """A check failing every value node for which ``test`` is false."""

    def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
        failures: list[Failure] | None = None
        for value in values:
            if not test(view, value):
                if failures is None:
                    failures = []
                failures.append((value, None))
        return failures or PASS

    return check


def compile_class(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:class: each value is a SHACL instance of the class in the data graph."""
    cls = src.term(param)

    def test(view: DataView, value: Term) -> bool:
        return type(value) is not Literal and view.is_instance(value, cls)

    name = src.render(cls)
    return [
        Constraint(
            "ClassConstraintComponent",
            each_value(test),
            lambda v: f"value {src.render(v)} is not an instance of {name}",
            cost=2,
            each=(ClassRule(cls),),
        )
    ]


def compile_datatype(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:datatype: each value is a well-typed literal of the datatype."""
    datatype = src.term(param)
    if not isinstance(datatype, NamedNode):
        raise UnsupportedShapes(f"sh:datatype {param!r} is not an IRI")
    # every lexical form is a valid xsd:string; language tags are checked by pyoxigraph
    checked = datatype.value in KNOWN_DATATYPES - {RDF + "langString", XSD + "string"}
    any_literal = datatype.value == RDFS + "Literal"  # pyshacl's reading: every literal is one

    def test(view: DataView, value: Term) -> bool:
        if type(value) is not Literal:
            return False
        if value.datatype == datatype:
            return not checked or view.parsed(value) is not None
        return any_literal

    rule: ValueRule = TestRule(test) if any_literal else DatatypeRule(datatype, checked)
    name = src.render(datatype)
    return [
        Constraint(
            "DatatypeConstraintComponent",
            each_value(test),
            lambda v: f"value {src.render(v)} is not a well-typed literal of datatype {name}",
            each=(rule,),
        )
    ]


_NODE_KINDS: Final[dict[str, tuple[type, ...]]] = {
    SH + "IRI": (NamedNode,),
    SH + "BlankNode": (BlankNode,),
    SH + "Literal": (Literal,),
    SH + "BlankNodeOrIRI": (BlankNode, NamedNode),
    SH + "BlankNodeOrLiteral": (BlankNode, Literal),
    SH + "IRIOrLiteral": (NamedNode, Literal),
}


def compile_node_kind(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:nodeKind: each value is an IRI / blank node / literal as required."""
    allowed = _NODE_KINDS.get(str(param))
    if allowed is None:
        raise UnsupportedShapes(f"unknown sh:nodeKind {param!r}")
    kinds = frozenset(allowed)
    kind = src.render(src.term(param))

    def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
        for value in values:
            if type(value) not in kinds:
                return [(v, None) for v in values if type(v) not in kinds]
        return PASS

    return [
        Constraint(
            "NodeKindConstraintComponent",
            check,
            lambda v: f"value {src.render(v)} is not of node kind {kind}",
            each=(KindRule(kinds),),
        )
    ]


def compile_in(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:in: each value is one of the listed terms (sameTerm)."""
    members = [src.term(i) for i in src.items(param)]
    allowed = frozenset(members)

    def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
        failures = [(value, None) for value in values if value not in allowed]
        return failures or PASS

    listed = src.render_list(members)
    return [
        Constraint(
            "InConstraintComponent",
            check,
            lambda v: f"value {src.render(v)} is not one of {listed}",
            each=(MemberRule(allowed),),
        )
    ]


def compile_has_value(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:hasValue: the value nodes include the term."""
    required = src.term(param)
    shape.pins = (*shape.pins, required)
    missing: Sequence[Failure] = ((None, None),)

    def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
        return PASS if required in values else missing

    name = src.render(required)
    return [
        Constraint(
            "HasValueConstraintComponent", check, lambda v: f"missing value {name}", pin=required
        )
    ]


_RANGES: Final = {
    "minExclusive": ("MinExclusiveConstraintComponent", "is not above", False, True),
    "minInclusive": ("MinInclusiveConstraintComponent", "is below the minimum", True, True),
    "maxExclusive": ("MaxExclusiveConstraintComponent", "is not below", False, False),
    "maxInclusive": ("MaxInclusiveConstraintComponent", "is above the maximum", True, False),
}


def _range_compiler(local: str) -> ComponentCompiler:
    component, wording, inclusive, lower = _RANGES[local]

    def compile_range(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
        bound_term = src.term(param)
        bound = parse_literal(bound_term) if isinstance(bound_term, Literal) else None
        typed = _range_typed(bound, inclusive=inclusive, lower=lower)
        test = _typed_test(typed)
        name = src.render(bound_term)
        return [
            Constraint(
                component,
                each_value(test),
                lambda v: f"value {src.render(v)} {wording} {name}",
                each=(TestRule(test, typed=typed),),
            )
        ]

    return compile_range


_NUMERIC_ORDER: Final[dict[tuple[bool, bool], Callable[[Any, Any], bool]]] = {
    (True, True): operator.le,  # bound <= value
    (True, False): operator.lt,
    (False, True): operator.ge,  # bound >= value
    (False, False): operator.gt,
}


def _typed_test(typed: Callable[[Parsed], bool]) -> Callable[[DataView, Term], bool]:
    """The value test of a test on typed values: literals only, ill-typed ones fail."""

    def test(view: DataView, value: Term) -> bool:
        if type(value) is not Literal:
            return False
        parsed = view.parsed(value)
        return parsed is not None and typed(parsed)

    return test


def _range_typed(bound: Parsed | None, *, inclusive: bool, lower: bool) -> Callable[[Parsed], bool]:
    """``bound <(=) value`` for lower bounds, ``value <(=) bound`` for upper bounds."""
    if bound is None:
        return lambda parsed: False
    compare = less_or_equal if inclusive else less
    if bound[0] == "num":
        limit: Any = bound[1]
        numeric = _NUMERIC_ORDER[(lower, inclusive)]
        on_float, threshold = float_bound(limit, lower=lower, inclusive=inclusive)

        def in_range(parsed: Parsed) -> bool:
            if parsed[0] != "num":
                return False
            number = parsed[1]
            if type(number) is float:  # doubles: compared as floats, exactly (float_bound)
                return on_float(number, threshold)
            try:
                return bool(numeric(limit, number))
            except ArithmeticError:  # a NaN limit against a Decimal: SPARQL says false
                return False

        return in_range

    def ordered(parsed: Parsed) -> bool:
        return (compare(bound, parsed) if lower else compare(parsed, bound)) is True

    return ordered


def _length_compiler(longest: bool) -> ComponentCompiler:
    def compile_length(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
        limit = int_param(src, param)
        if longest:
            test = lambda view, value: type(value) is not BlankNode and len(value.value) <= limit  # noqa: E731
        else:
            test = lambda view, value: type(value) is not BlankNode and len(value.value) >= limit  # noqa: E731
        component = "MaxLengthConstraintComponent" if longest else "MinLengthConstraintComponent"
        wording = "longer than" if longest else "shorter than"
        return [
            Constraint(
                component,
                each_value(test),
                lambda v: f"value {src.render(v)} is {wording} {limit} characters",
                each=(TestRule(test),),
            )
        ]

    return compile_length


def int_param(src: ShapeSource, param: RdfTerm) -> int:
    """The integer value of a parameter such as sh:minCount; refuses anything else."""
    term = src.term(param)
    parsed = parse_literal(term) if isinstance(term, Literal) else None
    if parsed is None or parsed[0] != "num" or not isinstance(parsed[1], int):
        raise UnsupportedShapes(f"expected an integer, got {param!r}")
    return parsed[1]


_FLAGS: Final = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


def compile_pattern(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:pattern (+ sh:flags): the IRI or lexical form matches the regular expression."""
    flags_terms = src.values(shape.node, "flags")
    flag_text = str(flags_terms[0]) if flags_terms else ""
    source = str(param)
    flags = 0
    for letter in flag_text:
        flags |= _FLAGS.get(letter, 0)
    if "q" in flag_text:
        source = re.escape(source)
    try:
        match = matcher(source, flags)
    except re.error as err:
        raise UnsupportedShapes(f"sh:pattern {source!r}: {err}") from err

    def test(view: DataView, value: Term) -> bool:
        return type(value) is not BlankNode and match(value.value)

    return [
        Constraint(
            "PatternConstraintComponent",
            each_value(test),
            lambda v: f"value {src.render(v)} does not match the pattern {source!r}",
            cost=2,
            each=(TestRule(test),),
        )
    ]


def compile_language_in(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:languageIn: each value is a literal whose language tag matches one of the ranges."""
    ranges = tuple(str(i).lower() for i in src.items(param))

    def test(view: DataView, value: Term) -> bool:
        if type(value) is not Literal or not value.language:
            return False
        tag = value.language.lower()
        return any(r == "*" or tag == r or tag.startswith(r + "-") for r in ranges)

    listed = ", ".join(ranges)
    return [
        Constraint(
            "LanguageInConstraintComponent",
            each_value(test),
            lambda v: f"value {src.render(v)} has no language tag in ({listed})",
            each=(TestRule(test),),
        )
    ]


VALUE_COMPONENTS: Final[dict[str, ComponentCompiler]] = {
    "class": compile_class,
    "datatype": compile_datatype,
    "nodeKind": compile_node_kind,
    "in": compile_in,
    "hasValue": compile_has_value,
    **{local: _range_compiler(local) for local in _RANGES},
    "minLength": _length_compiler(longest=False),
    "maxLength": _length_compiler(longest=True),
    "pattern": compile_pattern,
    "languageIn": compile_language_in,
}
"""Parameter local name → compiler, for the components in this module."""
