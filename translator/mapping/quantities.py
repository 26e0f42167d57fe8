"""Properties and units of readings: names checked against the vocabulary, conversions reduced.

At load, a fixed property and unit become a ``Conversion`` (``canonical = a * source + b``)
or a ``MappingError`` that says what is wrong and what was probably meant. When a mapping
takes the unit or the property from the payload (SenML ``u``, a Home Assistant topic),
``QuantityResolver`` does the same lookups per message, remembering every answer in
bounded tables so the vocabulary is consulted once per distinct name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from translator.mapping.jsonpath import MISSING
from translator.mapping.plan import Conversion, UnitPlan
from translator.mapping.transforms import StepError, describe_value
from translator.mapping.vocabulary import CodeSystem, Vocabulary
from translator.ontology.model import PropertyDef, ValueKind

__all__ = [
    "QuantityResolver",
    "ReadingUnits",
    "UnitProblem",
    "check_unit_for",
    "conversion_for",
    "unknown_property",
    "unknown_unit",
]

MAX_CACHED: Final = 1024
MAX_MEMO_TEXT: Final = 64  # unit texts longer than this are resolved afresh, never kept


class UnitProblem(ValueError):
    """A unit cannot be used for a property (the message says why and what would fit)."""


def unknown_property(name: str, vocabulary: Vocabulary) -> str:
    """``unknown property 'humidity' — did you mean relativeHumidity?``"""
    guess = vocabulary.suggest_property(name)
    return f"unknown property {name!r}" + (f" — did you mean {guess}?" if guess else "")


def unknown_unit(name: str, vocabulary: Vocabulary) -> str:
    """``unknown unit 'Celsius' — did you mean DEG_C?``"""
    guess = vocabulary.suggest_unit(name)
    return f"unknown unit {name!r}" + (f" — did you mean {guess}?" if guess else "")


def check_unit_for(unit: str, prop: PropertyDef, vocabulary: Vocabulary) -> None:
    """Raise ``UnitProblem`` unless a value of ``prop`` may be given in ``unit``."""
    if prop.kind is not ValueKind.NUMBER:
        raise UnitProblem(f"property {prop.name} is {prop.kind.value}; it takes no unit")
    if not vocabulary.compatible(unit, prop.name):
        kind = f" ({prop.quantity_kind})" if prop.quantity_kind else ""
        raise UnitProblem(
            f"unit {unit} does not measure {prop.name}{kind}; "
            f"its canonical unit is {prop.canonical_unit}"
        )


def conversion_for(unit: str | None, prop: PropertyDef, vocabulary: Vocabulary) -> Conversion:
    """The conversion from ``unit`` (default: canonical) to ``prop``'s canonical unit.

    Raises:
        UnitProblem: incompatible, or not linearly convertible.
    """
    canonical = prop.canonical_unit
    if canonical is None:
        raise UnitProblem(f"property {prop.name} has no canonical unit")
    source = unit or canonical
    if source != canonical:
        check_unit_for(source, prop, vocabulary)
    try:
        a, b = vocabulary.linear(source, canonical)
    except (KeyError, ValueError) as err:
        raise UnitProblem(f"cannot convert {source} to {canonical}: {err}") from err
    return Conversion(source, a, b, identity=(a == 1.0 and b == 0.0))


class QuantityResolver:
    """Per-message unit and property lookups for a mapping, memoized and bounded."""

    __slots__ = ("_codes", "_conversions", "_vocabulary")

    def __init__(self, vocabulary: Vocabulary):
        self._vocabulary = vocabulary
        self._codes: dict[tuple[CodeSystem, str], str | None] = {}
        self._conversions: dict[tuple[str, str], Conversion | str] = {}

    def property(self, name: str) -> PropertyDef | None:
        """The property ``name`` names, or ``None``."""
        return self._vocabulary.properties.get(name)

    def unit_name(self, raw: str, plan: UnitPlan) -> str:
        """The QUDT unit a payload's unit text stands for. Raises ``StepError``."""
        named = plan.names.get(raw)
        if named is not None:
            return named
        if plan.codes is not None:
            system: CodeSystem = "senml" if plan.codes == "senml" else "ucum"
            key = (system, raw)
            if key in self._codes:
                found = self._codes[key]
            else:
                unit = self._vocabulary.unit_for_code(raw, system)
                found = unit.name if unit is not None else None
                if len(self._codes) < MAX_CACHED:
                    self._codes[key] = found
            if found is None:
                raise StepError(f"unknown {plan.codes} unit code {raw!r}")
            return found
        if raw not in self._vocabulary.units:
            raise StepError(unknown_unit(raw, self._vocabulary))
        return raw

    def conversion(self, unit: str | None, prop: PropertyDef) -> Conversion:
        """Like ``conversion_for``, memoized; raises ``StepError``."""
        key = (unit or "", prop.name)
        found = self._conversions.get(key)
        if found is None:
            try:
                found = conversion_for(unit, prop, self._vocabulary)
            except UnitProblem as err:
                found = str(err)
            if len(self._conversions) < MAX_CACHED:
                self._conversions[key] = found
        if isinstance(found, str):
            raise StepError(found)
        return found


class ReadingUnits:
    """The unit of one reading's source value, and its conversion, per distinct unit text.

    For a unit the payload names (SenML ``u``, a Home Assistant topic): the text is read,
    mapped and checked against the property once, then remembered (bounded).
    """

    __slots__ = ("_key", "_memo", "_plan", "_quantities", "_relative")

    def __init__(self, plan: UnitPlan | None, quantities: QuantityResolver):
        self._plan = plan
        self._quantities = quantities
        path = plan.path if plan is not None else None
        self._key = path.key if path is not None else None  # a one-name path: a lookup
        self._relative = path is not None and path.relative
        # (unit text, property) -> the conversion, or why there is none
        self._memo: dict[tuple[str, str], Conversion | str] = {}

    def conversion(
        self, prop: PropertyDef, doc: Any, item: Any, variables: Mapping[str, str]
    ) -> Conversion:
        """The conversion for this message's unit. Raises ``StepError``."""
        plan = self._plan
        key = self._key
        if key is not None:
            node = item if self._relative else doc
            raw: Any = node.get(key, MISSING) if type(node) is dict else MISSING
        elif plan is None or plan.fixed is not None:
            return self._quantities.conversion(plan.fixed if plan else None, prop)
        elif plan.template is not None:
            raw = plan.template.render(variables)
        else:
            assert plan.path is not None
            raw = plan.path.one(doc, item)
        if raw is MISSING:
            assert plan is not None
            assert plan.path is not None
            if plan.default is not None:
                return self._quantities.conversion(plan.default, prop)
            raise StepError(f"unit: {plan.path.text} selects nothing")
        if not isinstance(raw, str):
            raise StepError(f"unit: {describe_value(raw)} is not a unit name")
        memo = (raw, prop.name)
        found = self._memo.get(memo)
        if found is None:
            assert plan is not None
            found = self._resolve(raw, prop, plan)
            if len(raw) <= MAX_MEMO_TEXT:  # a unit's name is short; anything else is not kept
                if len(self._memo) >= MAX_CACHED:
                    self._memo.clear()
                self._memo[memo] = found
        if type(found) is str:
            raise StepError(found)
        return found  # type: ignore[return-value]  # a str was raised just above

    def _resolve(self, raw: str, prop: PropertyDef, plan: UnitPlan) -> Conversion | str:
        try:
            unit = self._quantities.unit_name(raw, plan)
            return self._quantities.conversion(unit, prop)
        except StepError as err:
            return str(err)
