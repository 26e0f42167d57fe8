"""Demands: every shape a node must conform to, merged into one conjunction (compile time).

The fast path (``fastpath``) asks one question of a message: does every focus node conform
to every shape that targets it? For each kind of focus node, ``demand_of`` merges all those
shapes into one ``NodeDemand``: what the node itself must be (a kind, a member of a set,
term tests, classes) and, per predicate, what its values must satisfy together (a
``PropDemand``: count bounds, pinned values, set checks) and one by one (a nested
``NodeDemand``). Merging is a conjunction, so demands on the same predicate meet:
bounds intersect, kind and member sets intersect, tests add up, and the shape a value must
conform to (``sh:node``, the nested ``sh:property`` shapes) merges into the value's demand.

The merge is exact but for one deliberate tightening: a sequence path ``p1/p2`` whose demand
counts or pins its values becomes a demand on ``p2`` of the single ``p1`` value, and the
``p1`` count is tightened to exactly one. A node with several ``p1`` values then fails the
fast check and is judged by the generic evaluator, so the fast check may say "not sure"
(false) but never "conforms" for a node that does not. ``folding`` then simplifies merged
demands, exactly.

Shapes are merged only when their meaning is plain: a recursive shape, ``sh:not``, an
``sh:or`` / ``sh:xone`` (kept as a choice for ``folding``), and set checks (``sh:equals``,
qualified counts, ``sh:closed`` …) stay calls of the exact closures of ``conforming``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Final

import pyoxigraph as ox

from translator.validation.compiled import (
    ChoiceRule,
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
from translator.validation.conforming import SetTest, set_test, value_test
from translator.validation.dataview import DataView
from translator.validation.paths import Path, PredicatePath, SequencePath
from translator.validation.termchecks import TermRule
from translator.validation.terms import Term

UNBOUNDED: Final = 2**62


@dataclass(eq=False)
class PropDemand:
    """What the values of one path from a node must satisfy, together and one by one."""

    low: int = 0
    high: int = UNBOUNDED
    pins: list[Term] = field(default_factory=list)  # sh:hasValue: among the values
    sets: list[SetTest] = field(default_factory=list)  # exact checks of the value set
    each: NodeDemand = field(default_factory=lambda: NodeDemand())


@dataclass(eq=False)
class NodeDemand:
    """What one node must satisfy: the conjunction of every shape merged into it."""

    kinds: frozenset[type] | None = None  # type(node) is one of them
    members: frozenset[Term] | None = None  # node is one of them
    term_rules: list[TermRule] = field(default_factory=list)  # functions of the term alone
    classes: list[Term] = field(default_factory=list)  # SHACL instance of each
    graph_tests: list[ValueTest] = field(default_factory=list)  # exact tests reading the graph
    choices: list[ChoiceRule] = field(default_factory=list)  # sh:or / sh:xone
    props: dict[ox.NamedNode, PropDemand] = field(default_factory=dict)  # predicate paths
    paths: list[tuple[Path, PropDemand]] = field(default_factory=list)  # any other path
    never: bool = False  # no node satisfies it
    merged: set[int] = field(default_factory=set)  # keys of the shapes merged in

    def term_only(self) -> bool:
        """Whether nothing here reads the graph (the term decides)."""
        return not (self.classes or self.graph_tests or self.choices or self.props or self.paths)


def demand_of(shapes: Iterable[CompiledShape]) -> NodeDemand:
    """The demand of conforming to every shape of ``shapes`` (not yet folded)."""
    demand = NodeDemand()
    for shape in shapes:
        merge_shape(demand, shape)
    return demand


def merge_shape(demand: NodeDemand, shape: CompiledShape) -> None:
    """Add "the node conforms to ``shape``" to ``demand``."""
    if shape.deactivated or shape.key in demand.merged:
        return  # a deactivated shape holds for every node; a conjunction is idempotent
    demand.merged.add(shape.key)
    if shape.recursive:
        demand.graph_tests.append(shape.conforms)  # guarded against cycles: call it
        return
    if shape.path is not None:
        _merge_property(demand, shape)
        return
    if not shape.low <= 1 <= shape.high:  # a node shape has exactly one value node
        demand.never = True
        return
    for constraint in shape.constraints:  # cardinality is folded into low / high already
        _merge_constraint(demand, constraint)
    for prop in shape.properties:
        merge_shape(demand, prop)


def _merge_constraint(demand: NodeDemand, constraint: Constraint) -> None:
    """A node shape's constraint: its value nodes are the node itself."""
    if constraint.pin is not None:
        demand.members = meet(demand.members, frozenset((constraint.pin,)))
    elif not constraint.each:
        demand.graph_tests.append(partial(_set_on_focus, set_test(constraint)))
    for rule in constraint.each:
        apply_rule(demand, rule)


def _set_on_focus(holds: SetTest, view: DataView, focus: Term) -> bool:
    return holds(view, focus, (focus,))


def apply_rule(demand: NodeDemand, rule: ValueRule) -> None:
    """Add one value rule of a constraint to the demand on that value."""
    if isinstance(rule, KindRule):
        demand.kinds = rule.kinds if demand.kinds is None else demand.kinds & rule.kinds
    elif isinstance(rule, MemberRule):
        demand.members = meet(demand.members, rule.members)
    elif isinstance(rule, ClassRule):
        if rule.cls not in demand.classes:
            demand.classes.append(rule.cls)
    elif isinstance(rule, ShapeRule) and not rule.negated:
        merge_shape(demand, rule.shape)
    elif isinstance(rule, ChoiceRule):
        if rule not in demand.choices:
            demand.choices.append(rule)
    elif isinstance(rule, DatatypeRule) or (isinstance(rule, TestRule) and rule.term_only):
        if rule not in demand.term_rules:
            demand.term_rules.append(rule)
    else:  # sh:not, and any test that reads the graph
        demand.graph_tests.append(value_test(rule))


def _merge_property(demand: NodeDemand, shape: CompiledShape) -> None:
    """A property shape: its demands on the values of its path from the node."""
    assert shape.path is not None
    prop = PropDemand(low=shape.low, high=shape.high)
    for constraint in shape.constraints:
        if constraint.pin is not None:
            prop.pins.append(constraint.pin)
        elif not constraint.each:
            prop.sets.append(set_test(constraint))
        for rule in constraint.each:
            apply_rule(prop.each, rule)
    for nested in shape.properties:  # they judge each value node
        merge_shape(prop.each, nested)
    _attach(demand, shape.path, prop)


def _attach(demand: NodeDemand, path: Path, prop: PropDemand) -> None:
    """Put a path's demand where the fast check reads it: per predicate when it can."""
    if isinstance(path, PredicatePath):
        absorb_prop(demand.props.setdefault(path.predicate, PropDemand()), prop)
        return
    steps = path.predicates if isinstance(path, SequencePath) else None
    if steps is None or prop.sets:  # set checks take the focus node: keep the path whole
        demand.paths.append((path, prop))
        return
    per_value = prop.low == 0 and prop.high >= UNBOUNDED and not prop.pins
    node = demand
    for predicate in steps[:-1]:
        step = node.props.setdefault(predicate, PropDemand())
        if not per_value:  # the values of p1/p2 are those of p2 on the one p1 value
            step.low, step.high = max(step.low, 1), min(step.high, 1)
        node = step.each
    absorb_prop(node.props.setdefault(steps[-1], PropDemand()), prop)


def absorb_prop(into: PropDemand, other: PropDemand) -> None:
    """``into`` and ``other`` both hold: merge ``other`` into ``into``."""
    into.low, into.high = max(into.low, other.low), min(into.high, other.high)
    into.pins.extend(p for p in other.pins if p not in into.pins)
    into.sets.extend(other.sets)
    absorb(into.each, other.each)


def absorb(into: NodeDemand, other: NodeDemand) -> None:
    """``into`` and ``other`` both hold: merge ``other`` into ``into``."""
    if other.kinds is not None:
        into.kinds = other.kinds if into.kinds is None else into.kinds & other.kinds
    if other.members is not None:
        into.members = meet(into.members, other.members)
    into.term_rules.extend(r for r in other.term_rules if r not in into.term_rules)
    into.classes.extend(c for c in other.classes if c not in into.classes)
    into.graph_tests.extend(other.graph_tests)
    into.choices.extend(c for c in other.choices if c not in into.choices)
    for predicate, prop in other.props.items():
        absorb_prop(into.props.setdefault(predicate, PropDemand()), prop)
    into.paths.extend(other.paths)
    into.never = into.never or other.never
    into.merged |= other.merged


def meet(members: frozenset[Term] | None, more: frozenset[Term]) -> frozenset[Term]:
    """Both member sets hold: their intersection (None: no member set yet)."""
    return more if members is None else members & more
