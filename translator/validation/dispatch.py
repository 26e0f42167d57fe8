"""Value dispatch: skip shapes that cannot matter for a node, decided by one dict look-up.

Shapes often say "if ``sosa:observedProperty`` is X then …", either as ``sh:or`` / ``sh:xone``
alternatives that pin ``sh:hasValue`` X on a path, or as one targeted shape per X of the form
``sh:or ( [ sh:not <about X> ] <rules for X> )``. A *guard* ``(path, X)`` is a condition that
must hold for a shape to conform (``conform_guards``) or to fail (``fail_guards``); whenever
the guard is false the outcome is known without evaluating the shape. Grouping shapes by
guard value turns "try all 31 property shapes" into "look up the observed property".
Guards are derived only from constructs whose meaning is certain (``sh:hasValue``, ``sh:not``,
``sh:or``), never for deactivated or recursive shapes, so dispatch never changes a verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TypeAlias

from translator.validation.compiled import (
    ChoiceRule,
    CompiledShape,
    FocusFinder,
    ShapeRule,
    TargetGroup,
)
from translator.validation.conforming import Conforms, any_of
from translator.validation.dataview import DataView
from translator.validation.paths import Path
from translator.validation.terms import Term

Guard: TypeAlias = tuple[str, Term]
"""``(path key, value)``: the value must be among the node's values on the path.

The path key is the path's text with full IRIs; ``""`` means the node itself."""

Guards: TypeAlias = dict[Guard, Path | None]


def conform_guards(shape: CompiledShape) -> Guards:
    """Guards that hold whenever a node conforms to ``shape``."""
    if shape.deactivated or shape.recursive:
        return {}
    if shape.path is not None:
        return {(shape.path.text({}), pin): shape.path for pin in shape.pins}
    found: Guards = {("", pin): None for pin in shape.pins}
    for prop in shape.properties:
        if prop.path is not None and not prop.deactivated and not prop.recursive:
            found.update({(prop.path.text({}), pin): prop.path for pin in prop.pins})
    return found


def fail_guards(shape: CompiledShape) -> Guards:
    """Guards that hold whenever a node fails ``shape`` (gets at least one result)."""
    if shape.deactivated or shape.recursive or shape.path is not None or shape.properties:
        return {}
    common: Guards | None = None
    for constraint in shape.all_constraints():
        if constraint.component == "NotConstraintComponent":
            found = conform_guards(constraint.refs[0])
        elif constraint.component == "OrConstraintComponent":
            found = {}
            for alternative in constraint.refs:
                found.update(fail_guards(alternative))
        else:
            return {}
        common = found if common is None else {k: v for k, v in common.items() if k in found}
        if not common:
            return {}
    return common or {}


def _index(
    items: Sequence[CompiledShape], guards: Sequence[Guards]
) -> tuple[str | None, Path | None, dict[Term, list[CompiledShape]], list[CompiledShape]]:
    """Pick the path shared by most guards; index those shapes by the guard value."""
    keys = Counter(key for g in guards for key in {k for k, _ in g})
    if not keys or keys.most_common(1)[0][1] < 2:
        return None, None, {}, list(items)
    chosen = keys.most_common(1)[0][0]
    path: Path | None = None
    table: dict[Term, list[CompiledShape]] = {}
    always: list[CompiledShape] = []
    for item, item_guards in zip(items, guards, strict=True):
        hit = next(((p, value) for (key, value), p in item_guards.items() if key == chosen), None)
        if hit is None:
            always.append(item)
        else:
            path = hit[0]
            table.setdefault(hit[1], []).append(item)
    return chosen, path, table, always


class Dispatch:
    """Chooses the alternatives of an ``sh:or`` / ``sh:xone`` that can possibly conform."""

    __slots__ = ("alternatives", "always", "path", "table")

    def __init__(self, alternatives: Sequence[CompiledShape]) -> None:
        self.alternatives = tuple(alternatives)
        self.path: Path | None = None  # None with a table: the node itself is looked up
        self.table: dict[Term, list[CompiledShape]] = {}
        self.always: tuple[CompiledShape, ...] = self.alternatives

    def build(self) -> None:
        """Index the alternatives by pinned value; run after every shape is compiled."""
        key, path, table, always = _index(
            self.alternatives, [conform_guards(a) for a in self.alternatives]
        )
        if key is None:
            return
        self.path, self.table, self.always = path, table, tuple(always)

    def indexed(self) -> bool:
        """Whether ``build`` found a dispatch table (else every alternative is a candidate)."""
        return bool(self.table)

    def candidates(self, view: DataView, node: Term) -> Sequence[CompiledShape]:
        """The alternatives worth evaluating for ``node`` (duplicates kept, for sh:xone)."""
        table = self.table
        if not table:
            return self.alternatives
        keys: Sequence[Term] = (node,) if self.path is None else self.path.values(view, node)
        picked: list[CompiledShape] = []
        for value in keys:
            picked.extend(table.get(value, ()))
        return [*picked, *self.always] if self.always else picked


Targets: TypeAlias = tuple[frozenset[Term], frozenset[Term], frozenset[Term], frozenset[Term]]
"""A shape's targets: its target nodes, classes, subjects-of and objects-of predicates."""


def build_groups(
    targeted: Sequence[tuple[Targets, FocusFinder, CompiledShape]],
) -> list[TargetGroup]:
    """Group targeted shapes by identical targets, then by fail guard value."""
    by_targets: dict[Targets, tuple[FocusFinder, list[CompiledShape]]] = {}
    for signature, finder, shape in targeted:
        by_targets.setdefault(signature, (finder, []))[1].append(shape)
    groups = []
    for (fixed, classes, subjects_of, objects_of), (finder, shapes) in by_targets.items():
        only_class = None
        if len(classes) == 1 and not (fixed or subjects_of or objects_of):
            (only_class,) = classes
        _key, path, table, always = _index(shapes, [fail_guards(s) for s in shapes])
        frozen = {value: tuple(members) for value, members in table.items()}
        guarded = {
            value: tuple((shape, assume(shape, path, value)) for shape in members)
            for value, members in frozen.items()
        }
        groups.append(TargetGroup(finder, tuple(always), path, frozen, guarded, only_class))
    return groups


# -- simplification under a guard -----------------------------------------------------------


def assume(shape: CompiledShape, path: Path | None, value: Term) -> Conforms:
    """``shape.conforms`` for focus nodes known to have ``value`` among their ``path`` values.

    Drops the sh:or alternatives that cannot conform then: ``sh:not C`` where ``C`` demands
    nothing but ``value`` on ``path``. Any other shape is returned unchanged.
    """
    kept = kept_alternatives(shape, path, value)
    if kept is None:
        return shape.conforms
    if len(kept) == 1:
        return kept[0].conforms
    return any_of(tuple(alt.conforms for alt in kept))


def kept_alternatives(
    shape: CompiledShape, path: Path | None, value: Term
) -> tuple[CompiledShape, ...] | None:
    """The sh:or alternatives ``assume`` keeps, or None when it keeps ``shape`` whole.

    A node that has ``value`` on ``path`` conforms to ``shape`` exactly when it conforms to
    one of them (none kept: it cannot conform).
    """
    choice = _sole_choice(shape)
    if choice is None:
        return None
    alternatives = choice.choices.alternatives
    kept = tuple(alt for alt in alternatives if not _excluded_by(alt, path, value))
    return None if len(kept) == len(alternatives) else kept


def _plain_node(shape: CompiledShape) -> bool:
    """A specialised node shape without cardinality or property shapes of its own."""
    return shape.specialized and shape.path is None and not shape.counted and not shape.properties


def _sole_choice(shape: CompiledShape) -> ChoiceRule | None:
    """The sh:or rule of a node shape that says nothing else, if it is one."""
    if not _plain_node(shape) or len(shape.constraints) != 1:
        return None
    rules = shape.constraints[0].each
    if len(rules) != 1 or not isinstance(rules[0], ChoiceRule) or rules[0].exactly_one:
        return None
    return rules[0]


def _excluded_by(alternative: CompiledShape, path: Path | None, value: Term) -> bool:
    """Whether ``alternative`` is ``sh:not C``, C conforming whenever ``value`` is on ``path``."""
    if not _plain_node(alternative) or len(alternative.constraints) != 1:
        return False
    rules = alternative.constraints[0].each
    if len(rules) != 1 or not isinstance(rules[0], ShapeRule) or not rules[0].negated:
        return False
    return _implied_by(rules[0].shape, path, value)


def _implied_by(shape: CompiledShape, path: Path | None, value: Term) -> bool:
    """Whether ``shape`` demands nothing but ``value`` among the values on ``path``."""
    if path is None or shape.constraints or not shape.specialized or shape.path is not None:
        return False
    if shape.counted:
        return False
    key = path.text({})
    for prop in shape.properties:
        if prop.deactivated:
            continue
        pins = [c.pin for c in prop.constraints]
        if (
            prop.recursive
            or prop.properties
            or prop.counted
            or prop.path is None
            or prop.path.text({}) != key
            or pins != [value]
        ):
            return False
    return True
