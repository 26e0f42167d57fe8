"""The fast path's check of one predicate's values, in the cheapest form that says the same.

``values_check(prop, terms, place)`` compiles a ``PropDemand`` into
``check(view, node, values)``, picked by the demand's shape so that the common cases run
the least code: "exactly one value of this kind", "exactly one value, this term test",
"one value, an instance of this class", "one value, this node check"; anything else runs
the general loop (count, each value, pinned values, set checks). ``place`` compiles the
graph part of a value's own demand (a nested node: ``fastchecks.graph_check``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final, TypeAlias

import pyoxigraph as ox

from translator.validation.conforming import SetTest
from translator.validation.dataview import NO_TERMS, DataView
from translator.validation.demands import NodeDemand, PropDemand
from translator.validation.termchecks import CachedTest, TermCheck, TermChecks
from translator.validation.terms import RDF_TYPE, Term

Adjacency: TypeAlias = Mapping[ox.NamedNode, Sequence[Term]]
"""One node's entry of the index: predicate → its values."""
NodeCheck: TypeAlias = Callable[[DataView, Term, Adjacency], bool]
"""``check(view, node, by_predicate)``: the node's entry of the index is at hand."""
ValuesCheck: TypeAlias = Callable[[DataView, Term, Sequence[Term]], bool]
"""``check(view, node, values)``: one predicate's values at ``node``."""
Placer: TypeAlias = Callable[[NodeDemand], NodeCheck | None]

EMPTY: Final[Adjacency] = {}
_Literal: Final = ox.Literal


def term_test(demand: NodeDemand, terms: TermChecks) -> TermCheck | None:
    """What the demand asks of a node as a term, or None when nothing."""
    kinds, members = demand.kinds, demand.members
    if demand.term_rules:
        return terms.cached(kinds, members, demand.term_rules).test
    if members is not None:
        return lambda view, term: term in members
    if kinds is not None:
        return lambda view, term: type(term) in kinds
    return None


def values_check(prop: PropDemand, terms: TermChecks, place: Placer) -> ValuesCheck:
    """The check of one predicate's values against ``prop`` (folded)."""
    low, high = prop.low, (0 if prop.each.never else prop.high)
    each = prop.each
    if low > high:
        return _never
    graph = place(each)
    if prop.sets or prop.pins or high > 1 or low == 0:
        return _general(low, high, value_test(each, terms, graph), prop)
    kind = _only_kind(each)  # exactly one value from here on
    if graph is None:
        if each.term_rules:
            return _one_cached(terms.cached(each.kinds, each.members, each.term_rules))
        if each.members is not None and each.kinds is None:
            return _one_member(each.members)
        if kind is not None:
            return _one_of_kind(kind)
    elif kind is not None and each.members is None and not each.term_rules:
        only_class = _only_class(each)
        if only_class is not None:
            return _one_instance(kind, only_class)
        return _one_placed(kind, graph)
    value = value_test(each, terms, graph)
    if value is None:
        return _one_value
    return _one(value)


def value_test(each: NodeDemand, terms: TermChecks, graph: NodeCheck | None) -> TermCheck | None:
    """``test(view, value)`` for one value: its term test, then ``graph`` (its own check)."""
    term = term_test(each, terms)
    if graph is None:
        return term
    if term is None:

        def placed(view: DataView, value: Term) -> bool:
            return graph(view, value, view.out.get(value, EMPTY))

        return placed

    def both(view: DataView, value: Term) -> bool:
        return term(view, value) and graph(view, value, view.out.get(value, EMPTY))

    return both


def _only_kind(each: NodeDemand) -> type | None:
    kinds = each.kinds
    if kinds is None or len(kinds) != 1:
        return None
    (kind,) = kinds
    return kind


def _only_class(each: NodeDemand) -> Term | None:
    """The class, when being its instance is all the demand asks of the graph."""
    if len(each.classes) != 1 or each.graph_tests or each.choices or each.props or each.paths:
        return None
    return each.classes[0]


def _never(view: DataView, node: Term, values: Sequence[Term]) -> bool:
    return False


def _one_value(view: DataView, node: Term, values: Sequence[Term]) -> bool:
    return len(values) == 1


def _one_of_kind(kind: type) -> ValuesCheck:
    def one_of_kind(view: DataView, node: Term, values: Sequence[Term]) -> bool:
        return len(values) == 1 and type(values[0]) is kind

    return one_of_kind


def _one_member(members: frozenset[Term]) -> ValuesCheck:
    if len(members) == 1:
        (only,) = members

        def one_equal(view: DataView, node: Term, values: Sequence[Term]) -> bool:
            return len(values) == 1 and values[0] == only

        return one_equal

    def one_member(view: DataView, node: Term, values: Sequence[Term]) -> bool:
        return len(values) == 1 and values[0] in members

    return one_member


def _one_cached(cached: CachedTest) -> ValuesCheck:
    get, fill, last = cached.get, cached.fill, cached.last  # CachedTest.test, inlined

    def one_cached(view: DataView, node: Term, values: Sequence[Term]) -> bool:
        if len(values) != 1:
            return False
        term = values[0]
        memo = last[0]
        if memo[0] is term:
            return memo[1]
        found = get(term)
        if found is None:
            return fill(view, term)
        last[0] = (term, found)
        return found

    def one_computed(view: DataView, node: Term, values: Sequence[Term]) -> bool:
        if len(values) != 1:
            return False
        memo = last[0]
        return memo[1] if memo[0] is values[0] else fill(view, values[0])

    return one_cached if cached.by_value else one_computed


def _one_instance(kind: type, cls: Term) -> ValuesCheck:
    def one_instance(view: DataView, node: Term, values: Sequence[Term]) -> bool:
        if len(values) != 1:
            return False
        value = values[0]
        if type(value) is not kind:
            return False
        if cls in view.out.get(value, EMPTY).get(RDF_TYPE, NO_TERMS):
            return True
        return type(value) is not _Literal and view.is_instance(value, cls)  # subclasses

    return one_instance


def _one_placed(kind: type, graph: NodeCheck) -> ValuesCheck:
    def one_placed(view: DataView, node: Term, values: Sequence[Term]) -> bool:
        if len(values) != 1:
            return False
        value = values[0]
        return type(value) is kind and graph(view, value, view.out.get(value, EMPTY))

    return one_placed


def _one(value: TermCheck) -> ValuesCheck:
    def one(view: DataView, node: Term, values: Sequence[Term]) -> bool:
        return len(values) == 1 and value(view, values[0])

    return one


def _general(low: int, high: int, value: TermCheck | None, prop: PropDemand) -> ValuesCheck:
    pins, sets = tuple(prop.pins), tuple(prop.sets)

    def general(view: DataView, node: Term, values: Sequence[Term]) -> bool:
        return judge(view, node, values, low, high, value, pins, sets)

    return general


def judge(
    view: DataView,
    node: Term,
    values: Sequence[Term],
    low: int,
    high: int,
    value: TermCheck | None,
    pins: tuple[Term, ...],
    sets: tuple[SetTest, ...],
) -> bool:
    """A value set: its count, each value, the pinned values, the set checks."""
    count = len(values)
    if count < low or count > high:
        return False
    if value is not None:
        for v in values:
            if not value(view, v):
                return False
    for pin in pins:
        if pin not in values:
            return False
    for holds in sets:  # noqa: SIM110 (a generator costs a frame: hot path)
        if not holds(view, node, values):
            return False
    return True
