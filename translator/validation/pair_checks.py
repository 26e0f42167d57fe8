"""Constraint components that judge the value nodes of a focus node together.

Cardinality (sh:minCount, sh:maxCount), property pairs (sh:equals, sh:disjoint, sh:lessThan,
sh:lessThanOrEquals), sh:uniqueLang and sh:closed (+ sh:ignoredProperties).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import pyoxigraph as ox
import rdflib

from translator.validation.compiled import PASS, CompiledShape, Constraint, Failure
from translator.validation.dataview import DataView
from translator.validation.literals import Parsed, less, less_or_equal
from translator.validation.paths import PredicatePath, UnsupportedShapes
from translator.validation.source import ComponentCompiler, ShapeSource
from translator.validation.terms import RdfTerm, Term
from translator.validation.value_checks import int_param

_NO_VALUE: Final[Sequence[Failure]] = ((None, None),)
_UNBOUNDED: Final = 2**62


def compile_min_count(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:minCount: at least n value nodes."""
    limit = int_param(src, param)

    def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
        return _NO_VALUE if len(values) < limit else PASS

    message = f"needs at least {limit} value(s)"
    return [
        Constraint(
            "MinCountConstraintComponent", check, lambda v: message, bounds=(limit, _UNBOUNDED)
        )
    ]


def compile_max_count(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:maxCount: at most n value nodes."""
    limit = int_param(src, param)

    def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
        return _NO_VALUE if len(values) > limit else PASS

    message = f"allows at most {limit} value(s)"
    return [Constraint("MaxCountConstraintComponent", check, lambda v: message, bounds=(0, limit))]


def _predicate(src: ShapeSource, param: RdfTerm, name: str) -> ox.NamedNode:
    term = src.term(param)
    if not isinstance(term, ox.NamedNode):
        raise UnsupportedShapes(f"sh:{name} {param!r} is not an IRI")
    return term


def compile_equals(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:equals: the value nodes are exactly the focus node's values of the predicate."""
    other = _predicate(src, param, "equals")

    def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
        others = view.objects(focus, other)
        failures = [(v, None) for v in values if v not in others]
        failures += [(o, None) for o in others if o not in values]
        return failures or PASS

    name = src.render(other)
    return [
        Constraint(
            "EqualsConstraintComponent",
            check,
            lambda v: f"value {src.render(v)} is not shared with {name}",
        )
    ]


def compile_disjoint(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:disjoint: no value node is also a value of the predicate at the focus node."""
    other = _predicate(src, param, "disjoint")

    def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
        others = view.objects(focus, other)
        failures = [(v, None) for v in values if v in others]
        return failures or PASS

    name = src.render(other)
    return [
        Constraint(
            "DisjointConstraintComponent",
            check,
            lambda v: f"value {src.render(v)} is also a value of {name}",
        )
    ]


def _ordered_pair_compiler(or_equal: bool) -> ComponentCompiler:
    compare: Callable[[Parsed, Parsed], bool | None] = less_or_equal if or_equal else less
    local = "lessThanOrEquals" if or_equal else "lessThan"

    def compile_pair(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
        other = _predicate(src, param, local)

        def holds(view: DataView, left: Term, right: Term) -> bool:
            if type(left) is not ox.Literal or type(right) is not ox.Literal:
                return False
            a, b = view.parsed(left), view.parsed(right)
            return a is not None and b is not None and compare(a, b) is True

        def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
            others = view.objects(focus, other)
            # one result per failing (value, other) pair, as the spec words it
            failures = [(v, None) for v in values for o in others if not holds(view, v, o)]
            return failures or PASS

        name = src.render(other)
        wording = "not less than or equal to" if or_equal else "not less than"
        component = (
            "LessThanOrEqualsConstraintComponent" if or_equal else "LessThanConstraintComponent"
        )
        return [
            Constraint(
                component,
                check,
                lambda v: f"value {src.render(v)} is {wording} the values of {name}",
            )
        ]

    return compile_pair


def compile_unique_lang(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:uniqueLang true: no two value nodes share a language tag (one result per tag)."""
    if not src.is_true(param):
        return []

    def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
        seen: set[str] = set()
        duplicated: set[str] = set()
        for value in values:
            if type(value) is ox.Literal and value.language:
                tag = value.language.lower()
                (duplicated if tag in seen else seen).add(tag)
        return [(None, None)] * len(duplicated) or PASS

    return [
        Constraint(
            "UniqueLangConstraintComponent",
            check,
            lambda v: "two or more values share a language tag",
        )
    ]


def compile_closed(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:closed true: value nodes use only the shape's property paths and ignored properties."""
    if not src.is_true(param):
        return []
    allowed: set[ox.NamedNode] = set()
    for prop in src.values(shape.node, "property"):
        for path in src.values(prop, "path"):
            if isinstance(path, rdflib.URIRef):
                allowed.add(ox.NamedNode(str(path)))
    for ignored in src.values(shape.node, "ignoredProperties"):
        allowed.update(_predicate(src, i, "ignoredProperties") for i in src.items(ignored))

    def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
        failures: list[Failure] = []
        for value in values:
            for predicate, objects in view.out.get(value, {}).items():
                if predicate not in allowed:
                    path = PredicatePath(rdflib.URIRef(predicate.value), predicate)
                    failures.extend((o, path) for o in objects)
        return failures or PASS

    return [
        Constraint(
            "ClosedConstraintComponent",
            check,
            lambda v: f"value {src.render(v)} is on a predicate the closed shape does not allow",
        )
    ]


PAIR_COMPONENTS: Final[dict[str, ComponentCompiler]] = {
    "minCount": compile_min_count,
    "maxCount": compile_max_count,
    "equals": compile_equals,
    "disjoint": compile_disjoint,
    "lessThan": _ordered_pair_compiler(or_equal=False),
    "lessThanOrEquals": _ordered_pair_compiler(or_equal=True),
    "uniqueLang": compile_unique_lang,
    "closed": compile_closed,
}
"""Parameter local name → compiler, for the components in this module."""
