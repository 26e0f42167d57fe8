"""Compiled shapes: constraint closures grouped per shape, evaluated over a ``DataView``.

A ``CompiledShape`` runs in two modes. ``report`` collects one ``RawResult`` per failure (the
top-level validation, and ``sh:property``, whose results are the nested shape's own). ``conforms``
answers yes/no and stops at the first failure (``sh:node``, ``sh:not``, ``sh:and``, ``sh:or``,
``sh:xone``, ``sh:qualifiedValueShape``, and first of all the top level: a shape reports only
for the focus nodes that do not conform). Shapes on a reference cycle are guarded: a
(shape, node) pair met again while it is being evaluated is assumed to conform.

``conforms`` starts as the generic ``CompiledShape.reference_conforms``; once every shape is
compiled, ``conforming.specialize`` replaces it with one flat closure per shape, built from the
constraints' ``each`` rules (what every value node must satisfy) and ``pin``s (sh:hasValue).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol, TypeAlias

import pyoxigraph as ox
import rdflib

from translator.validation.dataview import NO_TERMS, DataView
from translator.validation.literals import Parsed
from translator.validation.paths import Path, PredicatePath
from translator.validation.terms import RdfTerm, Term

Failure: TypeAlias = tuple[Term | None, Path | None]
"""One failure of a constraint: ``(sh:value or None, sh:resultPath override or None)``."""

Check: TypeAlias = Callable[[DataView, Term, Sequence[Term]], Sequence[Failure]]
"""``check(view, focus, value_nodes)`` → failures; empty when the constraint holds."""

ValueTest: TypeAlias = Callable[[DataView, Term], bool]
"""``test(view, value)``: whether one value node passes (whatever the focus and other values)."""


@dataclass(frozen=True, slots=True)
class KindRule:
    """Each value node's Python type is one of ``kinds`` (sh:nodeKind)."""

    kinds: frozenset[type]


@dataclass(frozen=True, slots=True)
class MemberRule:
    """Each value node is one of ``members`` (sh:in, sameTerm)."""

    members: frozenset[Term]


@dataclass(frozen=True, slots=True)
class DatatypeRule:
    """Each value node is a literal of ``datatype``, well-typed when ``checked`` (sh:datatype)."""

    datatype: ox.NamedNode
    checked: bool


@dataclass(frozen=True, slots=True)
class ClassRule:
    """Each value node is a SHACL instance of ``cls`` in the data graph (sh:class)."""

    cls: Term


@dataclass(frozen=True, slots=True)
class ShapeRule:
    """Each value node conforms to ``shape`` (sh:node, sh:and), or does not (sh:not)."""

    shape: CompiledShape
    negated: bool = False


class Choices(Protocol):
    """The alternatives of an sh:or / sh:xone, and the ones worth trying for a node."""

    @property
    def alternatives(self) -> tuple[CompiledShape, ...]:
        """Every alternative, in order."""
        ...

    def indexed(self) -> bool:
        """Whether ``candidates`` picks from a dispatch table (else: every alternative)."""
        ...

    def candidates(self, view: DataView, node: Term) -> Sequence[CompiledShape]:
        """The alternatives that can conform for ``node`` (duplicates kept)."""
        ...


@dataclass(frozen=True, slots=True)
class ChoiceRule:
    """Each value node conforms to one alternative at least (sh:or), or exactly one (sh:xone)."""

    choices: Choices
    exactly_one: bool


@dataclass(frozen=True, slots=True)
class TestRule:
    """Each value node passes ``test`` (the other per-value components).

    ``term_only``: the test is a function of the value term alone (it may read the typed
    value through ``DataView.parsed``, but not the graph), so its answer may be cached per
    term across messages (``fastchecks``). Every component that builds one today is such.
    ``typed``, when set, is the same test on the typed value: ``test`` is false for
    anything but a literal, false for an ill-typed one, else ``typed(parse_literal(v))``.
    """

    test: ValueTest
    term_only: bool = True
    typed: Callable[[Parsed], bool] | None = None


ValueRule: TypeAlias = (
    KindRule | MemberRule | DatatypeRule | ClassRule | ShapeRule | ChoiceRule | TestRule
)
"""A demand on every value node on its own: the constraint holds iff every value meets it."""

PASS: Final[Sequence[Failure]] = ()
_UNBOUNDED: Final = 2**62


@dataclass(frozen=True, slots=True, eq=False)
class Constraint:
    """One compiled constraint component instance of a shape."""

    component: str  # local name, e.g. "MinInclusiveConstraintComponent"
    check: Check
    describe: Callable[[Term | None], str]  # default message for a failing value
    refs: tuple[CompiledShape, ...] = ()  # shapes this constraint evaluates
    cost: int = 1  # evaluation order in ``conforms`` mode: cheap checks first
    bounds: tuple[int, int] | None = None  # sh:minCount / sh:maxCount, folded into the shape
    each: tuple[ValueRule, ...] = ()  # when set: ``check`` passes iff every value meets these
    pin: Term | None = None  # when set: ``check`` passes iff this term is among the values


@dataclass(frozen=True, slots=True, eq=False)
class RawResult:
    """One validation result, still in compiled terms."""

    shape: CompiledShape
    constraint: Constraint
    focus: Term
    value: Term | None
    path: Path | None


FocusFinder: TypeAlias = Callable[[DataView], Sequence[Term]]


class CompiledShape:
    """A node or property shape, filled in once by the compiler, then read-only.

    Speed-ups for the hot path: a plain-predicate path is looked up inline (``predicate``),
    and sh:minCount / sh:maxCount are folded into ``low`` / ``high`` instead of closures.
    """

    __slots__ = (
        "checks",
        "conforms",
        "constraints",
        "counted",
        "deactivated",
        "high",
        "key",
        "low",
        "messages",
        "node",
        "path",
        "pins",
        "predicate",
        "properties",
        "recursive",
        "report",
        "severity",
        "specialized",
    )

    def __init__(self, node: RdfTerm, key: int) -> None:
        self.node = node
        self.key = key
        self.path: Path | None = None
        self.predicate: ox.NamedNode | None = None
        self.deactivated = False
        self.severity: RdfTerm = rdflib.URIRef("http://www.w3.org/ns/shacl#Violation")
        self.messages: tuple[rdflib.Literal, ...] = ()
        self.constraints: tuple[Constraint, ...] = ()
        self.checks: tuple[Check, ...] = ()
        self.counted: tuple[tuple[Constraint, int, int], ...] = ()
        self.low = 0
        self.high = _UNBOUNDED
        self.properties: tuple[CompiledShape, ...] = ()
        self.pins: tuple[Term, ...] = ()  # sh:hasValue constants of this shape
        self.recursive = False
        self.conforms: Callable[[DataView, Term], bool] = self._conforms
        """Whether a node conforms to this shape (a result of any severity is a failure)."""
        self.specialized = False
        self.report: Callable[[DataView, Term, list[RawResult]], None] = self._report
        """Append every result of validating a node against this shape to a list."""

    def deactivate(self) -> None:
        """sh:deactivated true: every node conforms and nothing is reported."""
        self.deactivated = True
        self.conforms = _conforms_always
        self.report = _report_nothing

    def mark_recursive(self) -> None:
        """The shape is on a reference cycle: guard re-entry per (shape, node)."""
        self.recursive = True
        if not self.deactivated:
            self.conforms = self._guarded_conforms
            self.report = self._guarded_report

    def set_path(self, path: Path) -> None:
        """Install the property path (plain predicates are then looked up inline)."""
        self.path = path
        self.predicate = path.predicate if isinstance(path, PredicatePath) else None

    def freeze(
        self, constraints: Sequence[Constraint], properties: Sequence[CompiledShape]
    ) -> None:
        """Install the compiled constraints (cheapest first for ``conforms``)."""
        counted = [c for c in constraints if c.bounds is not None]
        others = [c for c in constraints if c.bounds is None]
        self.counted = tuple((c, *c.bounds) for c in counted if c.bounds is not None)
        self.low = max((low for _, low, _ in self.counted), default=0)
        self.high = min((high for _, _, high in self.counted), default=_UNBOUNDED)
        self.constraints = tuple(others)
        self.checks = tuple(c.check for c in sorted(others, key=lambda c: c.cost))
        self.properties = tuple(properties)

    def all_constraints(self) -> tuple[Constraint, ...]:
        """Every constraint of the shape, cardinality included."""
        return (*(c for c, _, _ in self.counted), *self.constraints)

    def value_nodes(self, view: DataView, focus: Term) -> Sequence[Term]:
        """The focus itself for a node shape, the path's values for a property shape."""
        predicate = self.predicate
        if predicate is not None:
            by_predicate = view.out.get(focus)
            return NO_TERMS if by_predicate is None else by_predicate.get(predicate, NO_TERMS)
        path = self.path
        return (focus,) if path is None else path.values(view, focus)

    def reference_conforms(self, view: DataView, focus: Term) -> bool:
        """The generic conformance test, unguarded (``conforming`` checks its closures by it)."""
        return self._conforms(view, focus)

    def _conforms(self, view: DataView, focus: Term) -> bool:
        predicate = self.predicate  # value_nodes, inlined: this is the innermost loop
        if predicate is not None:
            by_predicate = view.out.get(focus)
            values = NO_TERMS if by_predicate is None else by_predicate.get(predicate, NO_TERMS)
        else:
            values = (focus,) if self.path is None else self.path.values(view, focus)
        if not self.low <= len(values) <= self.high:
            return False
        for check in self.checks:
            if check(view, focus, values):
                return False
        for prop in self.properties:
            for value in values:
                if not prop.conforms(view, value):
                    return False
        return True

    def _guarded_conforms(self, view: DataView, focus: Term) -> bool:
        key = (self.key, focus)
        guard = view.guard
        if key in guard:
            return True  # met again on a shape cycle: assume it conforms
        guard.add(key)
        try:
            return self._conforms(view, focus)
        finally:
            guard.discard(key)

    def _guarded_report(self, view: DataView, focus: Term, out: list[RawResult]) -> None:
        key = (self.key, focus)
        guard = view.guard
        if key in guard:
            return
        guard.add(key)
        try:
            self._report(view, focus, out)
        finally:
            guard.discard(key)

    def _report(self, view: DataView, focus: Term, out: list[RawResult]) -> None:
        predicate = self.predicate  # value_nodes, inlined
        path = self.path
        if predicate is not None:
            by_predicate = view.out.get(focus)
            values = NO_TERMS if by_predicate is None else by_predicate.get(predicate, NO_TERMS)
        else:
            values = (focus,) if path is None else path.values(view, focus)
        count = len(values)
        if not self.low <= count <= self.high:
            for constraint, low, high in self.counted:
                if not low <= count <= high:
                    out.append(RawResult(self, constraint, focus, None, path))
        for constraint in self.constraints:
            for value, result_path in constraint.check(view, focus, values):
                out.append(RawResult(self, constraint, focus, value, result_path or path))
        for prop in self.properties:
            for value in values:
                prop.report(view, value, out)


def _conforms_always(view: DataView, focus: Term) -> bool:
    return True


def _report_nothing(view: DataView, focus: Term, out: list[RawResult]) -> None:
    return None


@dataclass(frozen=True, slots=True)
class TargetGroup:
    """Targeted shapes that share their targets, evaluated per focus node.

    ``shapes`` run on every focus node; ``table`` maps a value to the shapes that can only
    fail when that value is among the focus node's values on ``path`` (the focus node
    itself when ``path`` is None), and ``guarded`` pairs each with its conformance test
    simplified under that very condition (``conforming.assume``). See ``dispatch``.
    """

    find_focus: FocusFinder
    shapes: tuple[CompiledShape, ...]
    path: Path | None = None
    table: Mapping[Term, tuple[CompiledShape, ...]] = field(default_factory=dict)
    guarded: Mapping[Term, tuple[tuple[CompiledShape, Callable[[DataView, Term], bool]], ...]] = (
        field(default_factory=dict)
    )
    """``table`` with each shape's conformance test simplified for the value that picked it."""
    target_class: Term | None = None
    """The one class whose SHACL instances are the focus nodes, when that is the target."""

    def run(self, view: DataView, out: list[RawResult]) -> None:
        """Append the results of every shape in the group for every focus node.

        A shape reports only for the focus nodes that do not conform: ``conforms`` is true
        exactly when ``report`` would add nothing, and it stops at the first failure.
        """
        shapes, guarded, path = self.shapes, self.guarded, self.path
        for focus in self.find_focus(view):
            for shape in shapes:
                if not shape.conforms(view, focus):
                    shape.report(view, focus, out)
            if guarded:
                for key in (focus,) if path is None else path.values(view, focus):
                    for shape, conforms in guarded.get(key, ()):
                        if not conforms(view, focus):
                            shape.report(view, focus, out)

    def members(self) -> list[CompiledShape]:
        """Every shape of the group."""
        return [*self.shapes, *(s for shapes in self.table.values() for s in shapes)]


@dataclass(frozen=True, slots=True)
class CompiledShapes:
    """A whole shapes graph compiled: the shapes that have targets, or why it cannot be.

    ``unsupported`` names the first feature the compiler does not implement; such shapes
    are validated by the pyshacl oracle instead, never assumed valid.
    """

    shapes_graph: rdflib.Graph
    groups: tuple[TargetGroup, ...]
    unsupported: str | None = None
    prefixes: Mapping[str, str] = field(default_factory=dict)
    conforms: Callable[[DataView], bool] | None = None
    """``fastpath.FastPath``: true only when the data has no result at all (else: not sure)."""

    def evaluate(self, view: DataView) -> list[RawResult]:
        """Every validation result for the data in ``view``.

        The whole-message fast check runs first: a message that conforms (most do) costs
        one flat check per focus node; only when it says "not sure" do the groups run.
        """
        conforms = self.conforms
        if conforms is not None and conforms(view):
            return []
        return self.report(view)

    def report(self, view: DataView) -> list[RawResult]:
        """Every validation result, each group on its focus nodes (no whole-message check)."""
        out: list[RawResult] = []
        for group in self.groups:
            group.run(view, out)
        return out
