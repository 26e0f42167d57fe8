"""The fast path: does a whole message conform? One flat check per kind of focus node.

``build_fast_path`` turns the target groups into a ``FastPath``: per target class, the
merged, folded demand (``demands``) of every shape that targets it, compiled into checks
that read the message's index directly (``predicate → values`` of the node in hand) —
each predicate looked up once per node, whatever the number of shapes that constrain it.
For a group with a dispatch table (the per-property shapes of ``ontology/shapes.ttl``)
there is one merged check per table key, the key's own demands decided at compile time.

``FastPath(view)`` is true only if no shape has a result on the data, so the caller may
skip evaluation; false means "not sure" and the generic evaluator decides. It says false,
among others, when the data describes a class that is a node's type (``rdfs:subClassOf``
in the data), when a node has several dispatch keys, and when a sequence path's first
step has several values (``demands``). Term tests (datatype, ranges, patterns, lengths,
languages, kinds, members) are functions of the term alone, so their answers are cached
per term, across messages (bounded).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final, TypeAlias

import pyoxigraph as ox

from translator.validation.compiled import TargetGroup
from translator.validation.conforming import any_of
from translator.validation.dataview import DataView
from translator.validation.demands import NodeDemand, demand_of, merge_shape
from translator.validation.dispatch import kept_alternatives
from translator.validation.fastchecks import node_check
from translator.validation.fastvalues import Adjacency, NodeCheck
from translator.validation.folding import fold, pin_value
from translator.validation.paths import Path, PredicatePath
from translator.validation.termchecks import TermChecks
from translator.validation.terms import RDF_TYPE, RDFS_SUBCLASS_OF, Term

EMPTY: Final[Mapping[ox.NamedNode, Sequence[Term]]] = {}
Focused: TypeAlias = tuple[Callable[[DataView], Sequence[Term]], NodeCheck]


class FastPath:
    """Whether a message certainly conforms: ``fast_path(view)`` (false: not sure)."""

    __slots__ = ("by_class", "others")

    def __init__(self, by_class: dict[Term, NodeCheck], others: list[Focused]) -> None:
        self.by_class = by_class  # target class → the check of its instances
        self.others = tuple(others)  # other targets: the group's own focus finder

    def __call__(self, view: DataView) -> bool:
        out = view.out
        by_class = self.by_class
        for node, by_predicate in out.items():
            types = by_predicate.get(RDF_TYPE)
            if types is None:
                continue
            for type_ in types:
                if type_ in out and RDFS_SUBCLASS_OF in out[type_]:
                    return False  # subclasses in the data: the generic finders decide
                check = by_class.get(type_)
                if check is not None and not check(view, node, by_predicate):
                    return False
        for find_focus, check in self.others:
            for focus in find_focus(view):
                if not check(view, focus, out.get(focus, EMPTY)):
                    return False
        return True


def build_fast_path(groups: Sequence[TargetGroup]) -> FastPath:
    """Compile the fast check of every target group (after ``conforming.specialize``)."""
    terms = TermChecks()
    by_class: dict[Term, list[NodeCheck]] = {}
    others: list[Focused] = []
    for group in groups:
        check = _group_check(group, terms)
        if group.target_class is not None:
            by_class.setdefault(group.target_class, []).append(check)
        else:
            others.append((group.find_focus, check))
    return FastPath({cls: _all_of(checks) for cls, checks in by_class.items()}, others)


def _all_of(checks: list[NodeCheck]) -> NodeCheck:
    if len(checks) == 1:
        return checks[0]
    every = tuple(checks)

    def all_hold(view: DataView, node: Term, by_predicate: Adjacency) -> bool:
        for check in every:  # noqa: SIM110 (a generator costs a frame: hot path)
            if not check(view, node, by_predicate):
                return False
        return True

    return all_hold


def _group_check(group: TargetGroup, terms: TermChecks) -> NodeCheck:
    base = demand_of(group.shapes)
    fold(base)
    checks = node_check(base, terms)
    if not group.table:
        return checks
    scratch = DataView({})  # the typed-value cache of the key's term tests
    by_key = {key: node_check(key_demand(group, key, scratch), terms) for key in group.table}
    return _dispatcher(group.path, checks, by_key)


def key_demand(group: TargetGroup, key: Term, scratch: DataView) -> NodeDemand:
    """The folded demand on a focus node whose one dispatch key is ``key``.

    The group's shapes, and the shapes of the table's entry for ``key`` as ``dispatch``
    simplifies them for that key; then what the demand asks of the key itself is decided.
    """
    demand = demand_of(group.shapes)
    for shape in group.table[key]:
        kept = kept_alternatives(shape, group.path, key)
        if kept is None:
            merge_shape(demand, shape)
        elif len(kept) == 1:
            merge_shape(demand, kept[0])
        elif not kept:
            demand.never = True
        else:
            demand.graph_tests.append(any_of(tuple(alt.conforms for alt in kept)))
    fold(demand)
    if isinstance(group.path, PredicatePath):
        pin_value(demand, group.path.predicate, key, scratch)
    return demand


def _dispatcher(path: Path | None, base: NodeCheck, by_key: dict[Term, NodeCheck]) -> NodeCheck:
    """Pick the check of the node's one key (several keys: not sure)."""
    if isinstance(path, PredicatePath):
        predicate = path.predicate

        def by_value(view: DataView, node: Term, by_predicate: Adjacency) -> bool:
            keys = by_predicate.get(predicate)
            if keys is None:
                return base(view, node, by_predicate)
            if len(keys) != 1:
                return False
            return by_key.get(keys[0], base)(view, node, by_predicate)

        return by_value

    def by_path(view: DataView, node: Term, by_predicate: Adjacency) -> bool:
        keys: Sequence[Term] = (node,) if path is None else path.values(view, node)
        if not keys:
            return base(view, node, by_predicate)
        if len(keys) != 1:
            return False
        return by_key.get(keys[0], base)(view, node, by_predicate)

    return by_path
