"""The conforming path: every shape specialised once into one flat ``conforms`` closure.

Most messages conform, so the gate asks each targeted shape first whether the focus node
conforms and builds the detailed report only when it does not (``compiled.TargetGroup``).
``specialize`` runs after the compiler's last pass and replaces each shape's generic
``conforms`` with a closure over flat data:

* per shape, its demands on every value node merged from the constraints' ``each`` rules
  (one kind set, one ``sh:in`` set, datatypes, single-value tests, shapes that must or must
  not conform), its ``sh:hasValue`` pins and its remaining value-set checks;
* the property shapes of a node shape inlined as tuples, so a node shape with six property
  shapes costs one call and one look-up of the focus node's predicates, not seven calls.

Nothing is decided differently: a rule is the same predicate as its constraint's check (see
``compiled.Constraint.each``), intersecting two kind sets or two ``sh:in`` sets demands the
same as testing both, and the order of independent tests cannot change a conjunction.
Deactivated and recursive shapes keep their own ``conforms``. ``CompiledShape.reference_conforms``
stays the generic definition; the tests compare both on every shape and node they meet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Final, TypeAlias

import pyoxigraph as ox

from translator.validation.compiled import (
    Check,
    ClassRule,
    CompiledShape,
    DatatypeRule,
    KindRule,
    MemberRule,
    ShapeRule,
    ValueTest,
)
from translator.validation.dataview import NO_TERMS, DataView
from translator.validation.paths import Path
from translator.validation.terms import RDF_TYPE, Term

Conforms: TypeAlias = Callable[[DataView, Term], bool]

Rest: TypeAlias = tuple[
    tuple[tuple[ox.NamedNode, bool], ...],  # datatypes: (datatype, lexical form checked)
    tuple[Term, ...],  # classes: the value must be an instance of each
    tuple[ValueTest, ...],  # tests that must hold (sh:node targets' conforms among them)
    tuple[Conforms, ...],  # tests that must not hold (sh:not targets' conforms)
]
"""The demands on a value node that need more than a set look-up."""

Spec: TypeAlias = tuple[
    ox.NamedNode | None,  # predicate of a plain-predicate path
    Path | None,  # any other path (both None: the focus node itself)
    int,  # fewest value nodes
    int,  # most value nodes
    frozenset[type] | None,  # kinds: type(value) must be one of them (sh:nodeKind)
    frozenset[Term] | None,  # members: value must be one of them (sh:in)
    Rest | None,  # the other per-value demands, None when there are none
    tuple[Term, ...],  # pins: terms that must be among the value nodes (sh:hasValue)
    tuple[Check, ...],  # value-set checks that have no rule (pairs, qualified, closed …)
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
    rules = [rule for constraint in shape.all_constraints() for rule in constraint.each]
    refs += [rule.shape for rule in rules if isinstance(rule, ShapeRule)]
    return refs + list(shape.properties)


def flatten(shape: CompiledShape) -> Spec:
    """The flat form of ``shape``'s own constraints (its ``sh:property`` shapes aside)."""
    kinds: frozenset[type] | None = None
    members: frozenset[Term] | None = None
    datatypes: list[tuple[ox.NamedNode, bool]] = []
    classes: list[Term] = []
    tests: list[ValueTest] = []
    negated: list[Conforms] = []
    pins: list[Term] = []
    checks: list[Check] = []
    for constraint in shape.constraints:  # cardinality is folded into low / high already
        if constraint.pin is not None:
            pins.append(constraint.pin)
        elif not constraint.each:
            checks.append(constraint.check)
        for rule in constraint.each:
            if isinstance(rule, KindRule):
                kinds = rule.kinds if kinds is None else kinds & rule.kinds
            elif isinstance(rule, MemberRule):
                members = rule.members if members is None else members & rule.members
            elif isinstance(rule, DatatypeRule):
                datatypes.append((rule.datatype, rule.checked))
            elif isinstance(rule, ClassRule):
                classes.append(rule.cls)
            elif isinstance(rule, ShapeRule):
                (negated if rule.negated else tests).append(rule.shape.conforms)
            else:
                tests.append(rule.test)
    rest: Rest | None = (tuple(datatypes), tuple(classes), tuple(tests), tuple(negated))
    if rest == ((), (), (), ()):
        rest = None
    return (
        shape.predicate, shape.path, shape.low, shape.high,
        kinds, members, rest, tuple(pins), tuple(checks),
    )  # fmt: skip


def _closure(shape: CompiledShape) -> Conforms:
    spec = flatten(shape)
    if shape.path is not None:
        nested = tuple(prop.conforms for prop in shape.properties if not prop.deactivated)
        return _property_closure(spec, nested)
    inline: list[Spec] = []
    called: list[Conforms] = []
    for prop in shape.properties:
        if prop.deactivated:
            continue  # conforms whatever the data
        if prop.recursive or prop.properties or prop.path is None:
            called.append(prop.conforms)
        else:
            inline.append(flatten(prop))
    return _node_closure(spec, tuple(inline), tuple(called))


def _node_closure(spec: Spec, inline: tuple[Spec, ...], called: tuple[Conforms, ...]) -> Conforms:
    """A node shape: its own demands on the focus node, then its property shapes inline."""
    _, _, low, high, kinds, members, rest, pins, checks = spec
    if not low <= 1 <= high:  # a node shape has exactly one value node: the focus
        return _never
    own = kinds is not None or members is not None or rest is not None or pins or checks

    def conforms(view: DataView, focus: Term) -> bool:
        if own and not _focus_holds(view, focus, spec):
            return False
        if inline and not _specs_hold(view, focus, inline):
            return False
        for prop in called:  # noqa: SIM110 (all() with a generator costs a frame: hot path)
            if not prop(view, focus):
                return False
        return True

    return conforms


def _property_closure(spec: Spec, nested: tuple[Conforms, ...]) -> Conforms:
    """A property shape: its value nodes, their count, their demands, nested shapes per value."""
    one = (spec,)

    def conforms(view: DataView, focus: Term) -> bool:
        if not _specs_hold(view, focus, one):
            return False
        if nested:
            values = _values(view, focus, spec)
            for prop in nested:
                for value in values:
                    if not prop(view, value):
                        return False
        return True

    return conforms


def _never(view: DataView, focus: Term) -> bool:
    return False


def _values(view: DataView, focus: Term, spec: Spec) -> Sequence[Term]:
    predicate, path = spec[0], spec[1]
    if predicate is not None:
        return view.out.get(focus, _NO_PREDICATES).get(predicate, NO_TERMS)
    assert path is not None
    return path.values(view, focus)


def _focus_holds(view: DataView, focus: Term, spec: Spec) -> bool:
    """A node shape's own demands, on its one value node: the focus."""
    _, _, _, _, kinds, members, rest, pins, checks = spec
    if kinds is not None and type(focus) not in kinds:
        return False
    if members is not None and focus not in members:
        return False
    if rest is not None and not _value_holds(view, focus, rest):
        return False
    for pin in pins:
        if pin != focus:
            return False
    if checks:
        values = (focus,)
        for check in checks:
            if check(view, focus, values):
                return False
    return True


def _specs_hold(view: DataView, focus: Term, specs: tuple[Spec, ...]) -> bool:
    """Whether ``focus`` meets each property spec: count, per-value demands, pins, checks."""
    by_predicate = view.out.get(focus, _NO_PREDICATES)
    for predicate, path, low, high, kinds, members, rest, pins, checks in specs:
        if predicate is not None:
            values = by_predicate.get(predicate, NO_TERMS)
        else:
            assert path is not None  # specs of property shapes always have a path
            values = path.values(view, focus)
        count = len(values)
        if count < low or count > high:
            return False
        for value in values:
            if kinds is not None and type(value) not in kinds:
                return False
            if members is not None and value not in members:
                return False
            if rest is not None and not _value_holds(view, value, rest):
                return False
        for pin in pins:
            if pin not in values:
                return False
        for check in checks:
            if check(view, focus, values):
                return False
    return True


def _value_holds(view: DataView, value: Term, rest: Rest) -> bool:
    """Whether one value node meets the demands that need more than a set look-up."""
    datatypes, classes, tests, negated = rest
    for datatype, checked in datatypes:
        if type(value) is not ox.Literal or value.datatype != datatype:
            return False
        if checked and view.parsed(value) is None:
            return False
    for cls in classes:
        if type(value) is ox.Literal:
            return False
        types = view.out.get(value, _NO_PREDICATES).get(RDF_TYPE, NO_TERMS)
        if cls not in types and not view.is_instance(value, cls):
            return False
    for test in tests:
        if not test(view, value):
            return False
    for test in negated:  # noqa: SIM110 (all() with a generator costs a frame: hot path)
        if test(view, value):
            return False
    return True
