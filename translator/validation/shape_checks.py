"""Constraint components that evaluate other shapes on the value nodes.

sh:node, sh:not, sh:and, sh:or, sh:xone and sh:qualifiedValueShape (+ sh:qualifiedMinCount,
sh:qualifiedMaxCount, sh:qualifiedValueShapesDisjoint). sh:property is not a constraint here:
its results are the nested shape's own, so ``CompiledShape`` runs property shapes itself.

``sh:or`` / ``sh:xone`` dispatch: when alternatives pin ``sh:hasValue`` on the same path (the
usual "if the property is X then the unit must be Y" table), an alternative can only conform
if its pinned value is among the node's values on that path, so a dict from pinned value to
alternatives picks the few candidates instead of trying every alternative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from translator.validation.compiled import (
    PASS,
    Check,
    ChoiceRule,
    CompiledShape,
    Constraint,
    Failure,
    ShapeRule,
)
from translator.validation.dataview import DataView
from translator.validation.dispatch import Dispatch
from translator.validation.source import ComponentCompiler, ShapeSource
from translator.validation.terms import RdfTerm, Term
from translator.validation.value_checks import int_param

_SHAPE_COST: Final = 5


def compile_node(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:node: each value node conforms to the shape."""
    target = src.shape(param)

    def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
        failures = [(v, None) for v in values if not target.conforms(view, v)]
        return failures or PASS

    name = src.render(src.term(param))
    return [
        Constraint(
            "NodeConstraintComponent",
            check,
            lambda v: f"value {src.render(v)} does not conform to shape {name}",
            refs=(target,),
            cost=_SHAPE_COST,
            each=(ShapeRule(target),),
        )
    ]


def compile_not(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:not: no value node conforms to the shape."""
    target = src.shape(param)

    def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
        failures = [(v, None) for v in values if target.conforms(view, v)]
        return failures or PASS

    name = src.render(src.term(param))
    return [
        Constraint(
            "NotConstraintComponent",
            check,
            lambda v: f"value {src.render(v)} conforms to shape {name}, which it must not",
            refs=(target,),
            cost=_SHAPE_COST,
            each=(ShapeRule(target, negated=True),),
        )
    ]


def compile_and(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:and: each value node conforms to every listed shape."""
    members = tuple(src.shape(i) for i in src.items(param))

    def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
        failures = [(v, None) for v in values if not all(m.conforms(view, v) for m in members)]
        return failures or PASS

    return [
        Constraint(
            "AndConstraintComponent",
            check,
            lambda v: f"value {src.render(v)} does not conform to all of the sh:and shapes",
            refs=members,
            cost=_SHAPE_COST,
            each=tuple(ShapeRule(member) for member in members),
        )
    ]


def _logical_compiler(exactly_one: bool) -> ComponentCompiler:
    def compile_logical(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
        dispatch = Dispatch([src.shape(i) for i in src.items(param)])
        src.after_compile(dispatch.build)

        def any_conforms(view: DataView, node: Term) -> bool:
            for alt in dispatch.candidates(view, node):  # noqa: SIM110 (a generator costs a frame)
                if alt.conforms(view, node):
                    return True
            return False

        def one_conforms(view: DataView, node: Term) -> bool:
            hits = 0
            for alt in dispatch.candidates(view, node):
                if alt.conforms(view, node):
                    hits += 1
                    if hits > 1:
                        return False
            return hits == 1

        test = one_conforms if exactly_one else any_conforms

        def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
            failures = [(v, None) for v in values if not test(view, v)]
            return failures or PASS

        wording = "not exactly one" if exactly_one else "none"
        return [
            Constraint(
                "XoneConstraintComponent" if exactly_one else "OrConstraintComponent",
                check,
                lambda v: f"value {src.render(v)} conforms to {wording} of the alternatives",
                refs=dispatch.alternatives,
                cost=_SHAPE_COST,
                each=(ChoiceRule(dispatch, exactly_one),),
            )
        ]

    return compile_logical


def compile_qualified(src: ShapeSource, shape: CompiledShape, param: RdfTerm) -> list[Constraint]:
    """sh:qualifiedValueShape with sh:qualifiedMinCount / sh:qualifiedMaxCount."""
    qualified = src.shape(param)
    siblings: tuple[CompiledShape, ...] = ()
    disjoint = src.values(shape.node, "qualifiedValueShapesDisjoint")
    if disjoint and src.is_true(disjoint[0]):
        siblings = tuple(
            src.shape(sibling)
            for parent in src.parent_properties(shape.node)
            for prop in src.values(parent, "property")
            for sibling in src.values(prop, "qualifiedValueShape")
            if sibling != param
        )

    def count(view: DataView, values: Sequence[Term]) -> int:
        return sum(
            1
            for v in values
            if qualified.conforms(view, v) and not any(s.conforms(view, v) for s in siblings)
        )

    constraints: list[Constraint] = []
    refs = (qualified, *siblings)
    for term in src.values(shape.node, "qualifiedMinCount"):
        low = int_param(src, term)
        constraints.append(
            Constraint(
                "QualifiedMinCountConstraintComponent",
                _count_check(count, low=low, high=None),
                _fixed(f"fewer than {low} value(s) conform to the qualified shape"),
                refs=refs,
                cost=_SHAPE_COST,
            )
        )
    for term in src.values(shape.node, "qualifiedMaxCount"):
        high = int_param(src, term)
        constraints.append(
            Constraint(
                "QualifiedMaxCountConstraintComponent",
                _count_check(count, low=None, high=high),
                _fixed(f"more than {high} value(s) conform to the qualified shape"),
                refs=refs,
                cost=_SHAPE_COST,
            )
        )
    return constraints


def _fixed(message: str) -> Callable[[Term | None], str]:
    return lambda value: message


def _count_check(
    count: Callable[[DataView, Sequence[Term]], int], *, low: int | None, high: int | None
) -> Check:
    no_value: Sequence[Failure] = ((None, None),)

    def check(view: DataView, focus: Term, values: Sequence[Term]) -> Sequence[Failure]:
        n = count(view, values)
        if (low is not None and n < low) or (high is not None and n > high):
            return no_value
        return PASS

    return check


SHAPE_COMPONENTS: Final[dict[str, ComponentCompiler]] = {
    "node": compile_node,
    "not": compile_not,
    "and": compile_and,
    "or": _logical_compiler(exactly_one=False),
    "xone": _logical_compiler(exactly_one=True),
    "qualifiedValueShape": compile_qualified,
}
"""Parameter local name → compiler, for the components in this module."""
