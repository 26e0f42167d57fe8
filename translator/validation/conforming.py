"""The conforming path: every shape specialised once into one flat ``conforms`` closure.

Most messages conform, so the gate asks each targeted shape first whether the focus node
conforms and builds the detailed report only when it does not (``compiled.TargetGroup``).
``specialize`` runs after the compiler's last pass and replaces each shape's generic
``conforms`` with a closure over flat data (a ``Spec`` per shape):

* its demands on every value node, merged from the constraints' ``each`` rules: one kind set
  (sh:nodeKind), one member set (sh:in), then single-value tests (sh:datatype, sh:class,
  sh:node, sh:not, sh:or, sh:xone, ranges, patterns …);
* its sh:hasValue pins and the value-set checks that have no rule (pairs, qualified …);
* the property shapes of a node shape inlined as specs, so a node shape with six property
  shapes costs one call and one look-up of the focus node's predicates, not seven calls.

Nothing is decided differently: a rule is the same predicate as its constraint's check (see
``compiled.Constraint.each``), intersecting two kind sets or two member sets demands the same
as testing both, and the order of independent tests cannot change a conjunction. Deactivated
and recursive shapes keep their own ``conforms``. ``CompiledShape.reference_conforms`` stays
the generic definition; the tests compare both on every shape and node they meet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Final, TypeAlias

import pyoxigraph as ox

from translator.validation.compiled import (
    Check,
    ChoiceRule,
    Choices,
    ClassRule,
    CompiledShape,
    Constraint,
    DatatypeRule,
    KindRule,
    MemberRule,
    ShapeRule,
    TestRule,
    ValueRule,
    ValueTest,
)
from translator.validation.dataview import NO_TERMS, DataView
from translator.validation.paths import Path
from translator.validation.terms import RDF_TYPE, Term

Conforms: TypeAlias = Callable[[DataView, Term], bool]
SetTest: TypeAlias = Callable[[DataView, Term, Sequence[Term]], bool]
"""``holds(view, focus, values)`` for a demand on the value nodes together."""

Spec: TypeAlias = tuple[
    ox.NamedNode | None,  # predicate of a plain-predicate path
    Path | None,  # any other path (both None: the focus node itself)
    int,  # fewest value nodes
    int,  # most value nodes
    frozenset[type] | None,  # kinds: type(value) must be one of them (sh:nodeKind)
    frozenset[Term] | None,  # members: value must be one of them (sh:in)
    tuple[ValueTest, ...],  # tests every value node must pass
    tuple[SetTest, ...] | None,  # demands on the value nodes together (sh:hasValue …)
]
"""A shape flattened: where its value nodes come from and what they must satisfy."""

_NO_PREDICATES: Final[dict[ox.NamedNode, list[Term]]] = {}


def specialize(shapes: Iterable[CompiledShape]) -> None:
    """Give every active, non-recursive shape its flat ``conforms`` closure.

    Shapes are specialised after the shapes they reference, so a closure captures the final
    ``conforms`` of each reference (recursive and deactivated shapes keep theirs).
    """
    for shape in _dependencies_first(shapes):
        if not (shape.deactivated or shape.recursive):
            shape.conforms = _closure(shape)
            shape.specialized = True


def flatten(shape: CompiledShape) -> Spec:
    """The flat form of ``shape``'s own constraints (its ``sh:property`` shapes aside)."""
    kinds: frozenset[type] | None = None
    members: frozenset[Term] | None = None
    tests: list[ValueTest] = []
    together: list[SetTest] = []
    for constraint in shape.constraints:  # cardinality is folded into low / high already
        if constraint.pin is not None or not constraint.each:
            together.append(set_test(constraint))
        for rule in constraint.each:
            if isinstance(rule, KindRule):
                kinds = rule.kinds if kinds is None else kinds & rule.kinds
            elif isinstance(rule, MemberRule):
                members = rule.members if members is None else members & rule.members
            else:
                tests.append(value_test(rule))
    return (
        shape.predicate, shape.path, shape.low, shape.high,
        kinds, members, tuple(tests), tuple(together) or None,
    )  # fmt: skip


def set_test(constraint: Constraint) -> SetTest:
    """``holds(view, focus, values)`` for a constraint without per-value rules."""
    if constraint.pin is not None:
        return partial(_pinned, constraint.pin)
    return partial(_passes, constraint.check)


def value_test(rule: ValueRule) -> ValueTest:
    """The single-value test of a rule other than a kind or member set."""
    if isinstance(rule, DatatypeRule):
        return partial(_datatype_checked if rule.checked else _datatype, rule.datatype)
    if isinstance(rule, ClassRule):
        return partial(_instance, rule.cls)
    if isinstance(rule, ShapeRule):
        conforms = rule.shape.conforms  # final: references are specialised first
        return partial(_conforms_not, conforms) if rule.negated else conforms
    if isinstance(rule, ChoiceRule):
        return _choice_test(rule.choices, exactly_one=rule.exactly_one)
    if isinstance(rule, TestRule):
        return rule.test
    raise TypeError(f"no single-value test for {rule!r}")  # kinds and members are inlined


def _closure(shape: CompiledShape) -> Conforms:
    spec = flatten(shape)
    if shape.path is not None:
        nested = tuple(prop.conforms for prop in shape.properties if not prop.deactivated)
        return partial(_property_conforms, spec, nested) if nested else partial(_holds, (spec,))
    _, _, low, high, kinds, members, tests, together = spec
    if not low <= 1 <= high:  # a node shape has exactly one value node: the focus
        return _never
    inline: list[Spec] = []
    called: list[Conforms] = []
    for prop in shape.properties:
        if prop.deactivated:
            continue  # conforms whatever the data
        if prop.recursive or prop.properties or prop.path is None:
            called.append(prop.conforms)
        else:
            inline.append(flatten(prop))
    if kinds is not None or members is not None or together is not None:
        return partial(_focus_conforms, spec, tuple(inline), tuple(called))
    tests += tuple(called)
    if not tests:
        return partial(_holds, tuple(inline))
    if not inline:
        return _all_of(tests)
    return partial(_node_conforms, tests, tuple(inline))


def _holds(specs: tuple[Spec, ...], view: DataView, focus: Term) -> bool:
    """Whether ``focus`` meets every spec: value count, each value's demands, the set's."""
    by_predicate = view.out.get(focus, _NO_PREDICATES)
    for predicate, path, low, high, kinds, members, tests, together in specs:
        if predicate is not None:
            values = by_predicate.get(predicate, NO_TERMS)
        else:
            values = (focus,) if path is None else path.values(view, focus)
        count = len(values)
        if count < low or count > high:
            return False
        for value in values:
            if kinds is not None and type(value) not in kinds:
                return False
            if members is not None and value not in members:
                return False
            for test in tests:
                if not test(view, value):
                    return False
        if together is not None and not _together(view, focus, values, together):
            return False
    return True


def _together(
    view: DataView, focus: Term, values: Sequence[Term], tests: tuple[SetTest, ...]
) -> bool:
    for holds in tests:  # noqa: SIM110 (a generator costs a frame: hot path)
        if not holds(view, focus, values):
            return False
    return True


def _node_conforms(
    tests: tuple[ValueTest, ...], specs: tuple[Spec, ...], view: DataView, focus: Term
) -> bool:
    """A node shape: tests on the focus node, then its property shapes inline."""
    for test in tests:
        if not test(view, focus):
            return False
    return _holds(specs, view, focus)


def _focus_conforms(
    spec: Spec, specs: tuple[Spec, ...], called: tuple[Conforms, ...], view: DataView, focus: Term
) -> bool:
    """A node shape with set demands on its focus node: the focus as a one-value spec first."""
    return (
        _holds((spec,), view, focus)
        and _holds(specs, view, focus)
        and _all_hold(called, view, focus)
    )


def _property_conforms(
    spec: Spec, nested: tuple[Conforms, ...], view: DataView, focus: Term
) -> bool:
    """A property shape with nested property shapes, which judge each of its value nodes."""
    if not _holds((spec,), view, focus):
        return False
    predicate, path = spec[0], spec[1]
    if predicate is not None:
        values = view.out.get(focus, _NO_PREDICATES).get(predicate, NO_TERMS)
    else:
        assert path is not None  # a property shape has a path
        values = path.values(view, focus)
    return all(prop(view, value) for prop in nested for value in values)


def _all_of(tests: tuple[ValueTest, ...]) -> Conforms:
    return partial(_all_hold, tests)


def _all_hold(tests: tuple[ValueTest, ...], view: DataView, node: Term) -> bool:
    for test in tests:  # noqa: SIM110 (a generator costs a frame: hot path)
        if not test(view, node):
            return False
    return True


def any_of(tests: tuple[ValueTest, ...]) -> Conforms:
    return partial(_any_holds, tests)


def _any_holds(tests: tuple[ValueTest, ...], view: DataView, node: Term) -> bool:
    for test in tests:  # noqa: SIM110 (a generator costs a frame: hot path)
        if test(view, node):
            return True
    return False


def _one_holds(tests: tuple[ValueTest, ...], view: DataView, node: Term) -> bool:
    hits = 0
    for test in tests:
        if test(view, node):
            hits += 1
            if hits > 1:
                return False
    return hits == 1


def _choice_test(choices: Choices, *, exactly_one: bool) -> ValueTest:
    """sh:or / sh:xone: straight over the alternatives, or through their dispatch table."""
    if not choices.indexed():
        tests = tuple(alt.conforms for alt in choices.alternatives)
        return partial(_one_holds if exactly_one else _any_holds, tests)

    def test(view: DataView, node: Term) -> bool:
        hits = 0
        for alt in choices.candidates(view, node):
            if alt.conforms(view, node):
                hits += 1
                if not exactly_one or hits > 1:
                    return not exactly_one
        return hits == 1

    return test


def _datatype(datatype: ox.NamedNode, view: DataView, value: Term) -> bool:
    return type(value) is ox.Literal and value.datatype == datatype


def _datatype_checked(datatype: ox.NamedNode, view: DataView, value: Term) -> bool:
    return (
        type(value) is ox.Literal and value.datatype == datatype and view.parsed(value) is not None
    )


def _instance(cls: Term, view: DataView, value: Term) -> bool:
    if type(value) is ox.Literal:
        return False
    if cls in view.out.get(value, _NO_PREDICATES).get(RDF_TYPE, NO_TERMS):
        return True
    return view.is_instance(value, cls)  # subclasses in the data graph


def _conforms_not(conforms: Conforms, view: DataView, value: Term) -> bool:
    return not conforms(view, value)


def _pinned(pin: Term, view: DataView, focus: Term, values: Sequence[Term]) -> bool:
    return pin in values


def _passes(check: Check, view: DataView, focus: Term, values: Sequence[Term]) -> bool:
    return not check(view, focus, values)


def _never(view: DataView, focus: Term) -> bool:
    return False


# -- ordering ------------------------------------------------------------------------------


def _dependencies_first(shapes: Iterable[CompiledShape]) -> list[CompiledShape]:
    """Every shape after the non-recursive shapes it references (depth-first post-order)."""
    ordered: list[CompiledShape] = []
    seen: set[int] = set()
    for root in shapes:
        todo: list[tuple[CompiledShape, bool]] = [(root, False)]
        while todo:
            shape, expanded = todo.pop()
            if expanded:
                ordered.append(shape)
                continue
            if shape.key in seen:
                continue
            seen.add(shape.key)
            todo.append((shape, True))
            if not shape.recursive:  # a cycle's shapes call each other through attributes
                todo.extend((ref, False) for ref in _references(shape) if ref.key not in seen)
    return ordered


def _references(shape: CompiledShape) -> list[CompiledShape]:
    refs = [ref for constraint in shape.all_constraints() for ref in constraint.refs]
    for constraint in shape.all_constraints():
        for rule in constraint.each:
            if isinstance(rule, ShapeRule):
                refs.append(rule.shape)
            elif isinstance(rule, ChoiceRule):
                refs.extend(rule.choices.alternatives)
    return refs + list(shape.properties)
