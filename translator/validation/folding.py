"""Folding: a merged demand simplified under its own bounds, exactly (compile time).

``fold`` rewrites a ``NodeDemand`` (``demands``) into an equivalent one that is cheaper to
check: a kind set and a member set become the members of that kind; a pin on a predicate
with at most one value becomes a member set of one; an ``sh:or`` / ``sh:xone`` of
alternatives that only count values (``count_form``) is decided under the bounds the
demand itself enforces — dropped when an alternative surely holds, turned into bounds
when only one can (for an observation, ``sh:xone ( WithResult WithSimpleResult )`` becomes
"no ``sosa:hasSimpleResult``" once a result is required). Each rewrite is exact relative to
the demand: a node meets the folded demand iff it meets the original one.

``under_layout`` folds again for nodes whose predicates are exactly known (a layout of
``fastchecks``); ``pin_value`` decides at compile time what a demand asks of a dispatch key.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import TypeAlias

import pyoxigraph as ox

from translator.validation.compiled import CompiledShape
from translator.validation.conforming import value_test
from translator.validation.dataview import DataView
from translator.validation.demands import UNBOUNDED, NodeDemand, PropDemand, meet
from translator.validation.terms import Term

CountForm: TypeAlias = tuple[tuple[ox.NamedNode, int, int], ...]
"""A shape that only counts values: ``(predicate, fewest, most)`` for each of its paths."""


def fold(demand: NodeDemand) -> None:
    """Simplify ``demand`` in place, exactly, under its own bounds (see the module doc)."""
    if demand.kinds is not None and demand.members is not None:
        demand.members = frozenset(m for m in demand.members if type(m) in demand.kinds)
        demand.kinds = None
    props = [*demand.props.values(), *(prop for _, prop in demand.paths)]
    for prop in props:
        _fold_pins(prop)
    for _ in range(len(demand.choices)):  # each pass folds one choice, or stops
        if not _fold_choices(demand):
            break
    for prop in [*demand.props.values(), *(prop for _, prop in demand.paths)]:
        fold(prop.each)
        if prop.each.never:
            prop.high = 0  # no value can meet it: there must be none
        if prop.low > prop.high:
            demand.never = True


def under_layout(demand: NodeDemand, layout: Collection[ox.NamedNode]) -> NodeDemand:
    """``demand`` for nodes whose predicates are exactly ``layout``, folded (top level).

    A predicate outside the layout has no value: its demand becomes "none" (exact); one in
    the layout has values: "at least one" (checked again on the values, so exact as well).
    The choices that only count values are folded under those bounds. The result shares
    the nested demands of ``demand``; the term part is left out (checked apart).
    """
    props = {
        p: replace(prop, pins=list(prop.pins), sets=list(prop.sets))
        for p, prop in demand.props.items()
    }
    restricted = NodeDemand(
        classes=list(demand.classes),
        graph_tests=list(demand.graph_tests),
        choices=list(demand.choices),
        props=props,
        paths=list(demand.paths),
        never=demand.never,
    )
    for choice in demand.choices:
        for alternative in choice.choices.alternatives:
            for predicate, _, _ in count_form(alternative) or ():
                restricted.props.setdefault(predicate, PropDemand())
    for predicate, prop in restricted.props.items():
        if predicate in layout:
            prop.low = max(prop.low, 1)
        else:
            prop.high = 0
    for _ in range(len(restricted.choices)):
        if not _fold_choices(restricted):
            break
    if any(prop.low > prop.high for prop in restricted.props.values()):
        restricted.never = True
    return restricted


def _fold_pins(prop: PropDemand) -> None:
    if prop.pins:
        prop.low = max(prop.low, 1)  # a pinned value is a value
        if prop.high == 1:  # the one value is the pin: a member set of one
            for pin in prop.pins:
                prop.each.members = meet(prop.each.members, frozenset((pin,)))
            prop.pins = []


def count_form(shape: CompiledShape) -> CountForm | None:
    """The shape as ``(predicate, fewest, most)`` conditions if it only counts values."""
    if shape.deactivated:
        return ()
    if shape.recursive or shape.path is not None or shape.constraints:
        return None
    if not shape.low <= 1 <= shape.high:
        return None
    bounds: dict[ox.NamedNode, tuple[int, int]] = {}
    for prop in shape.properties:
        if prop.deactivated:
            continue
        if prop.recursive or prop.properties or prop.constraints or prop.predicate is None:
            return None
        low, high = bounds.get(prop.predicate, (0, UNBOUNDED))
        bounds[prop.predicate] = (max(low, prop.low), min(high, prop.high))
    return tuple((p, low, high) for p, (low, high) in bounds.items())


_TRUE, _FALSE, _UNKNOWN = "true", "false", "unknown"


def _status(form: CountForm, demand: NodeDemand) -> str:
    """Whether a count-only alternative holds on every node that meets ``demand``'s bounds."""
    sure = True
    for predicate, low, high in form:
        prop = demand.props.get(predicate)
        have_low, have_high = (prop.low, prop.high) if prop else (0, UNBOUNDED)
        if have_high < low or have_low > high:
            return _FALSE
        if not (low <= have_low and have_high <= high):
            sure = False
    return _TRUE if sure else _UNKNOWN


def _fold_choices(demand: NodeDemand) -> bool:
    """Fold one sh:or / sh:xone of count-only alternatives; whether one was folded."""
    for choice in demand.choices:
        forms = [count_form(alt) for alt in choice.choices.alternatives]
        if any(form is None for form in forms):
            continue
        known = [f for f in forms if f is not None]
        statuses = [_status(form, demand) for form in known]
        unknown = [form for form, s in zip(known, statuses, strict=True) if s == _UNKNOWN]
        sure = statuses.count(_TRUE)
        if choice.exactly_one:
            folded = _fold_xone(demand, sure, unknown)
        else:
            folded = _fold_or(demand, sure, unknown)
        if folded:
            demand.choices.remove(choice)
            return True
    return False


def _fold_or(demand: NodeDemand, sure: int, unknown: Sequence[CountForm]) -> bool:
    if sure:
        return True  # holds whenever the rest of the demand holds
    if not unknown:
        demand.never = True
    elif len(unknown) == 1:
        _require(demand, unknown[0])  # the only alternative that can hold must hold
    else:
        return False
    return True


def _fold_xone(demand: NodeDemand, sure: int, unknown: Sequence[CountForm]) -> bool:
    if sure > 1 or (sure == 0 and not unknown):
        demand.never = True
        return True
    if sure == 0:
        if len(unknown) != 1:
            return False
        _require(demand, unknown[0])
        return True
    complements = [_complement(form, demand) for form in unknown]  # the others must fail
    if any(c is None for c in complements):
        return False
    for complement in complements:
        assert complement is not None
        _require(demand, complement)
    return True


def _complement(form: CountForm, demand: NodeDemand) -> CountForm | None:
    """The bounds under which ``form`` fails, when that is one interval on one predicate."""
    if len(form) != 1:
        return None
    predicate, low, high = form[0]
    prop = demand.props.get(predicate)
    have_low, have_high = (prop.low, prop.high) if prop else (0, UNBOUNDED)
    if low <= have_low:
        return ((predicate, high + 1, have_high),)
    if high >= have_high:
        return ((predicate, have_low, low - 1),)
    return None  # fails on both sides: not one interval


def _require(demand: NodeDemand, form: CountForm) -> None:
    for predicate, low, high in form:
        prop = demand.props.setdefault(predicate, PropDemand())
        prop.low, prop.high = max(prop.low, low), min(prop.high, high)


def pin_value(demand: NodeDemand, predicate: ox.NamedNode, value: Term, view: DataView) -> None:
    """Specialise ``demand`` for nodes whose only value on ``predicate`` is ``value``.

    What ``demand`` asks of that value as a term is decided here, once (``view`` only
    serves the typed-value cache of the term rules); what is left to check at run time is
    what reads the graph. Call after ``fold``; the caller checks the single value.
    """
    prop = demand.props.get(predicate)
    if prop is None:
        return
    each = prop.each
    passes = (
        prop.low <= 1 <= prop.high
        and all(pin == value for pin in prop.pins)
        and not each.never
        and (each.kinds is None or type(value) in each.kinds)
        and (each.members is None or value in each.members)
        and all(value_test(rule)(view, value) for rule in each.term_rules)
    )
    if not passes:
        demand.never = True
        return
    each.kinds, each.members, each.term_rules = None, None, []
    prop.pins = []
    if each.term_only() and not prop.sets:
        del demand.props[predicate]  # nothing left that the one value could fail
