"""The vocabulary the hot path consults: units, properties, unit codes, conversions.

``load_vocabulary`` reads the shipped Turtle once (pyoxigraph; well under a second) into a
frozen ``Vocabulary`` that is handed down as a constructor argument. No module state.

Conversions follow QUDT: ``si = (value + conversionOffset) * conversionMultiplier``. A unit
is *compatible* with a property when it is one of the property's ``tr:applicableUnit``
(materialized by ``ontology/build.py``: the unit's quantity kind is the property's, or a
generalization of it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from translator.errors import OntologyError
from translator.ontology.files import ontology_dir
from translator.ontology.model import PropertyDef, Unit
from translator.ontology.reader import (
    PropertyFacts,
    UnitFacts,
    read_facts,
    read_kind_links,
    read_properties,
    read_units,
)
from translator.ontology.suggest import NameIndex, build_index

logger = logging.getLogger(__name__)

CodeSystem = Literal["senml", "ucum"]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Units and observable properties of the shipped ontology, indexed for lookups."""

    units: Mapping[str, Unit]
    properties: Mapping[str, PropertyDef]
    applicable: Mapping[str, frozenset[str]]  # property -> unit names
    kinds: Mapping[str, frozenset[str]]  # quantity kind -> itself and its generalizations
    families: Mapping[str, frozenset[str]]  # unit -> its quantity kinds and their generalizations
    dimensions: Mapping[str, str | None]  # unit -> QUDT dimension vector IRI
    codes: Mapping[tuple[str, str], str]  # (system, code) -> unit name
    unit_names: NameIndex
    property_names: NameIndex

    def unit(self, name: str) -> Unit:
        """The unit with QUDT local name ``name``; ``KeyError(name)`` when unknown."""
        try:
            return self.units[name]
        except KeyError:
            raise KeyError(name) from None

    def property(self, name: str) -> PropertyDef:
        """The property with short name ``name``; ``KeyError(name)`` when unknown."""
        try:
            return self.properties[name]
        except KeyError:
            raise KeyError(name) from None

    def unit_for_code(self, code: str, system: CodeSystem) -> Unit | None:
        """The unit a SenML or UCUM code names (codes are case-sensitive), or ``None``."""
        name = self.codes.get((system, code))
        return None if name is None else self.units[name]

    def suggest_unit(self, name: str) -> str | None:
        """The unit local name ``name`` most likely means (``"degC"`` -> ``"DEG_C"``)."""
        return self.unit_names.find(name)

    def suggest_property(self, name: str) -> str | None:
        """The property short name ``name`` most likely means (``"humidity"`` -> …)."""
        return self.property_names.find(name)

    def applicable_units(self, prop: str) -> frozenset[str]:
        """Units a source value of ``prop`` may be declared in (empty for booleans/text)."""
        self.property(prop)
        return self.applicable.get(prop, frozenset())

    def compatible(self, unit: str, prop: str) -> bool:
        """Whether a value of ``prop`` may be given in ``unit``."""
        return unit in self.applicable_units(prop)

    def linear(self, from_unit: str, to_unit: str) -> tuple[float, float]:
        """``(a, b)`` with ``to = a * from + b``.

        Raises:
            KeyError: a unit is unknown.
            ValueError: the units measure different kinds of quantity, or one of them is
                logarithmic (dB: QUDT gives no linear factor).
        """
        source, target = self.unit(from_unit), self.unit(to_unit)
        if from_unit == to_unit:
            return 1.0, 0.0
        if not self.families[from_unit] & self.families[to_unit]:
            raise ValueError(f"{from_unit} and {to_unit} measure different quantity kinds")
        if self.dimensions[from_unit] != self.dimensions[to_unit]:
            raise ValueError(f"{from_unit} and {to_unit} have different dimensions")
        if source.multiplier == 0.0 or target.multiplier == 0.0:
            raise ValueError(f"no linear conversion between {from_unit} and {to_unit}")
        scale = source.multiplier / target.multiplier
        return scale, source.offset * scale - target.offset


def load_vocabulary(directory: Path | None = None) -> Vocabulary:
    """Read units.ttl, quantitykinds.ttl and properties.ttl from ``directory``.

    Args:
        directory: the ontology folder; default ``translator.ontology.files.ontology_dir()``.

    Raises:
        OntologyError: a file is missing or malformed, or a property names a unit that
            units.ttl lacks.
    """
    folder = directory if directory is not None else ontology_dir()
    units = read_units(read_facts(folder / "units.ttl"))
    links = read_kind_links(read_facts(folder / "quantitykinds.ttl"))
    properties = read_properties(read_facts(folder / "properties.ttl"))
    vocabulary = _assemble(units, links, properties)
    logger.info(
        "vocabulary loaded from %s: %d units, %d properties",
        folder,
        len(vocabulary.units),
        len(vocabulary.properties),
    )
    return vocabulary


def _assemble(
    units: list[UnitFacts], links: dict[str, set[str]], properties: list[PropertyFacts]
) -> Vocabulary:
    by_name = {facts.unit.name: facts.unit for facts in units}
    for facts in properties:
        missing = sorted(
            name
            for name in facts.applicable | {facts.definition.canonical_unit or ""}
            if name and name not in by_name
        )
        if missing:
            raise OntologyError(f"property {facts.definition.name}: unknown units {missing}")
    canonical = {p.definition.canonical_unit for p in properties if p.definition.canonical_unit}
    kind_names = set(links) | {kind for facts in units for kind in facts.unit.quantity_kinds}
    kind_names |= {p.definition.quantity_kind for p in properties if p.definition.quantity_kind}
    return Vocabulary(
        units=MappingProxyType(by_name),
        properties=MappingProxyType({p.definition.name: p.definition for p in properties}),
        applicable=MappingProxyType(
            {p.definition.name: p.applicable for p in properties if p.applicable}
        ),
        kinds=MappingProxyType({kind: _family((kind,), links) for kind in kind_names}),
        families=MappingProxyType(
            {facts.unit.name: _family(facts.unit.quantity_kinds, links) for facts in units}
        ),
        dimensions=MappingProxyType({facts.unit.name: facts.dimension for facts in units}),
        codes=MappingProxyType(_codes(units, canonical)),
        unit_names=build_index(_unit_keys(units, canonical)),
        property_names=build_index(_property_keys(properties)),
    )


def _family(kinds: Iterable[str], links: Mapping[str, set[str]]) -> frozenset[str]:
    seen = set(kinds)
    todo = list(seen)
    while todo:
        for other in links.get(todo.pop(), ()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return frozenset(seen)


def _preferred(units: list[UnitFacts], canonical: set[str]) -> list[UnitFacts]:
    """Units in claim order: canonical units first, then shorter names, then by name."""
    return sorted(
        units, key=lambda f: (f.unit.name not in canonical, len(f.unit.name), f.unit.name)
    )


def _codes(units: list[UnitFacts], canonical: set[str]) -> dict[tuple[str, str], str]:
    codes: dict[tuple[str, str], str] = {}
    for facts in _preferred(units, canonical):
        for code in sorted(facts.unit.senml):
            codes.setdefault(("senml", code), facts.unit.name)
        for code in sorted(facts.unit.ucum):
            codes.setdefault(("ucum", code), facts.unit.name)
    return codes


def _unit_keys(units: list[UnitFacts], canonical: set[str]) -> list[tuple[str, str]]:
    """Keys in priority order: local names, then codes, then symbols, then labels."""
    ordered = _preferred(units, canonical)
    keys = [(f.unit.name, f.unit.name) for f in ordered]
    keys += [(code, f.unit.name) for f in ordered for code in sorted(f.unit.senml)]
    keys += [(code, f.unit.name) for f in ordered for code in sorted(f.unit.ucum)]
    keys += [(f.unit.symbol, f.unit.name) for f in ordered if f.unit.symbol]
    keys += [(label, f.unit.name) for f in ordered for label in f.labels]
    return keys


def _property_keys(properties: list[PropertyFacts]) -> list[tuple[str, str]]:
    keys = [(p.definition.name, p.definition.name) for p in properties]
    keys += [(p.definition.label, p.definition.name) for p in properties if p.definition.label]
    keys += [(alias, p.definition.name) for p in properties for alias in p.aliases]
    return keys
