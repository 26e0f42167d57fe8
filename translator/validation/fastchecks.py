"""The fast path's node checks: a folded ``NodeDemand`` compiled against the node's layout.

A ``NodeCheck`` is ``check(view, node, by_predicate)``, ``by_predicate`` being the node's
entry of the index (``predicate → values``), which the caller already holds. Messages of
one kind have nodes of one *layout* (the same predicates in the same order: the builder
writes each node in one expression, with the same predicate objects), so a check learns
the layouts it meets: for each, the demand is folded once under "these predicates have
values, all others have none" (``folding.under_layout``) and compiled into a list of
``(position, values check)``. A node of a known layout is then checked without one
dictionary look-up: its keys are compared with the layout (a tuple comparison, term by
term, by identity first) and its values read by position. Absent predicates cost nothing;
alternatives that only count values (``sh:or ( Unconverted Converted )``) are decided by
the layout. Past ``LAYOUT_LIMIT`` layouts, a check looks each predicate up instead.

Every check decides exactly what its (folded) demand says; only the demand itself may be
stricter than the shapes (see ``demands``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, TypeAlias

import pyoxigraph as ox

from translator.validation.compiled import ChoiceRule
from translator.validation.conforming import value_test as rule_test
from translator.validation.dataview import NO_TERMS, DataView
from translator.validation.demands import NodeDemand, PropDemand
from translator.validation.fastvalues import (
    Adjacency,
    NodeCheck,
    Placer,
    ValuesCheck,
    judge,
    term_test,
    value_test,
    values_check,
)
from translator.validation.folding import CountForm, count_form, under_layout
from translator.validation.paths import Path
from translator.validation.termchecks import TermCheck, TermChecks
from translator.validation.terms import RDF_TYPE, Term

Layout: TypeAlias = tuple[ox.NamedNode, ...]
Positional: TypeAlias = tuple[Layout, tuple[tuple[int, ValuesCheck], ...], tuple[NodeCheck, ...]]
"""A learnt layout: the values checks by position, then the checks that need the node."""

LAYOUT_LIMIT: Final = 16  # layouts one check learns, at most
_Literal: Final = ox.Literal


def always(view: DataView, node: Term, by_predicate: Adjacency) -> bool:
    """The check of a demand that asks nothing."""
    return True


def never(view: DataView, node: Term, by_predicate: Adjacency) -> bool:
    """The check of a demand no node meets (or that the fast path leaves to the evaluator)."""
    return False


def node_check(demand: NodeDemand, terms: TermChecks) -> NodeCheck:
    """The check of a focus node against a folded demand: as a term, then in the graph."""
    if demand.never:
        return never
    term = term_test(demand, terms)
    graph = graph_check(demand, terms)
    if term is None:
        return graph or always
    if graph is None:

        def as_term(view: DataView, node: Term, by_predicate: Adjacency) -> bool:
            return term(view, node)

        return as_term

    def both(view: DataView, node: Term, by_predicate: Adjacency) -> bool:
        return term(view, node) and graph(view, node, by_predicate)

    return both


def graph_check(demand: NodeDemand, terms: TermChecks) -> NodeCheck | None:
    """What the demand asks of the node's place in the graph, or None when nothing."""
    if demand.never:
        return never
    if not demand.props:
        return _all_of([*_class_checks(demand), *_rest(demand, terms)])
    return _by_layout(demand, terms)


def _by_layout(demand: NodeDemand, terms: TermChecks) -> NodeCheck:
    seen: list[Positional] = []
    by_lookup: list[NodeCheck] = []  # compiled on first need

    def check(view: DataView, node: Term, by_predicate: Adjacency) -> bool:
        keys = tuple(by_predicate)
        for layout, entries, rest in seen:
            if layout == keys:
                values = tuple(by_predicate.values())
                for position, holds in entries:
                    if not holds(view, node, values[position]):
                        return False
                for also in rest:  # noqa: SIM110 (a generator costs a frame: hot path)
                    if not also(view, node, by_predicate):
                        return False
                return True
        if len(seen) < LAYOUT_LIMIT:
            seen.append(_positional(demand, keys, terms))
            return check(view, node, by_predicate)
        if not by_lookup:
            by_lookup.append(_by_lookup(demand, terms))
        return by_lookup[0](view, node, by_predicate)

    return check


def _positional(demand: NodeDemand, layout: Layout, terms: TermChecks) -> Positional:
    """The checks of ``demand`` on nodes of ``layout``, by position."""
    folded = under_layout(demand, layout)
    if folded.never:
        return layout, (), (never,)
    entries: list[tuple[int, ValuesCheck]] = []
    rest: list[NodeCheck] = []
    for predicate, prop in folded.props.items():
        if predicate in layout:
            entries.append((layout.index(predicate), values_check(prop, terms, _placer(terms))))
        elif prop.sets:  # set checks on no values (sh:equals with another predicate …)
            rest.append(_on_no_values(values_check(prop, terms, _placer(terms))))
    if folded.classes:
        if RDF_TYPE not in layout:
            return layout, (), (never,)  # no rdf:type: an instance of no class
        position = layout.index(RDF_TYPE)
        entries.extend((position, _class_values(cls)) for cls in folded.classes)
    rest.extend(_rest(folded, terms))
    return layout, tuple(entries), tuple(rest)


def _by_lookup(demand: NodeDemand, terms: TermChecks) -> NodeCheck:
    """The checks of ``demand``, each predicate looked up (for layouts past the limit)."""
    entries = [(p, values_check(prop, terms, _placer(terms))) for p, prop in demand.props.items()]
    rest = [*_class_checks(demand), *_rest(demand, terms)]

    def by_lookup(view: DataView, node: Term, by_predicate: Adjacency) -> bool:
        for predicate, holds in entries:
            if not holds(view, node, by_predicate.get(predicate, NO_TERMS)):
                return False
        for also in rest:  # noqa: SIM110 (a generator costs a frame: hot path)
            if not also(view, node, by_predicate):
                return False
        return True

    return by_lookup


def _placer(terms: TermChecks) -> Placer:
    """How a values check compiles the graph part of a value's own demand."""
    return lambda each: graph_check(each, terms)


def _rest(demand: NodeDemand, terms: TermChecks) -> list[NodeCheck]:
    """The checks that take the whole node: other paths, choices, graph tests."""
    checks = [_path_check(path, prop, terms) for path, prop in demand.paths]
    checks.extend(_choice_check(choice) for choice in demand.choices)
    checks.extend(_graph_test(test) for test in demand.graph_tests)
    return checks


def _all_of(checks: Sequence[NodeCheck]) -> NodeCheck | None:
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    every = tuple(checks)

    def all_hold(view: DataView, node: Term, by_predicate: Adjacency) -> bool:
        for check in every:  # noqa: SIM110 (a generator costs a frame: hot path)
            if not check(view, node, by_predicate):
                return False
        return True

    return all_hold


def _graph_test(test: TermCheck) -> NodeCheck:
    return lambda view, node, by_predicate: test(view, node)


def _class_values(cls: Term) -> ValuesCheck:
    """sh:class on the node, given its rdf:type values."""

    def instance(view: DataView, node: Term, types: Sequence[Term]) -> bool:
        if cls in types:
            return True
        return type(node) is not _Literal and view.is_instance(node, cls)  # subclasses

    return instance


def _class_checks(demand: NodeDemand) -> list[NodeCheck]:
    return [_on_values(RDF_TYPE, _class_values(cls)) for cls in demand.classes]


def _on_values(predicate: ox.NamedNode, check: ValuesCheck) -> NodeCheck:
    """A values check as a node check, on the predicate's values."""
    return lambda view, node, by_predicate: check(view, node, by_predicate.get(predicate, NO_TERMS))


def _on_no_values(check: ValuesCheck) -> NodeCheck:
    """A values check as a node check, on no values (a predicate the layout lacks)."""
    return lambda view, node, by_predicate: check(view, node, NO_TERMS)


def _choice_check(choice: ChoiceRule) -> NodeCheck:
    forms = [count_form(alt) for alt in choice.choices.alternatives]
    if any(form is None for form in forms):
        return _graph_test(rule_test(choice))
    return _counting_choice(tuple(f for f in forms if f is not None), choice.exactly_one)


def _counting_choice(forms: tuple[CountForm, ...], exactly_one: bool) -> NodeCheck:
    """sh:or / sh:xone of alternatives that only count values, from the counts."""

    def choose(view: DataView, node: Term, by_predicate: Adjacency) -> bool:
        hits = 0
        for form in forms:
            for predicate, low, high in form:
                count = len(by_predicate.get(predicate, NO_TERMS))
                if count < low or count > high:
                    break
            else:
                if not exactly_one:
                    return True
                hits += 1
                if hits > 1:
                    return False
        return hits == 1

    return choose


def _path_check(path: Path, prop: PropDemand, terms: TermChecks) -> NodeCheck:
    low, high = prop.low, (0 if prop.each.never else prop.high)
    value = value_test(prop.each, terms, graph_check(prop.each, terms))
    pins, sets = tuple(prop.pins), tuple(prop.sets)

    def along(view: DataView, node: Term, by_predicate: Adjacency) -> bool:
        return judge(view, node, path.values(view, node), low, high, value, pins, sets)

    return along
