"""The QUDT subset: every unit a property can be declared in, and their quantity kinds.

A unit is *applicable* to a property when one of the unit's quantity kinds
(``qudt:unitForQuantityKind`` / ``qudt:hasQuantityKind``) is the property's quantity kind or a
generalization of it (``qudt:specializationOf``, transitively, and ``qudt:exactMatch``):
``unit:HectoPA`` is a unit for ``ForcePerArea``, of which ``Pressure`` is a specialization
(this is how QUDT itself materializes ``qudt:applicableUnit`` in its release build), *and*
a value in it converts linearly to the canonical unit (same dimension vector, non-zero
multipliers): so a mapping may declare any applicable unit and the translator can convert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from .sources import QUANTITYKIND, QUDT, RDF_TYPE, RDFS, UNIT, SourceError, Sources, Term
from .table import PropertyRow, SenmlCode
from .turtle import Triple, rdflib_term

UNIT_QK_PREDICATES = (QUDT + "unitForQuantityKind", QUDT + "hasQuantityKind")
UNIT_KEPT = (
    QUDT + "conversionMultiplier",
    QUDT + "conversionOffset",
    QUDT + "hasDimensionVector",
    QUDT + "symbol",
    QUDT + "ucumCode",
    QUDT + "unitForQuantityKind",
    QUDT + "hasQuantityKind",
)
KIND_KEPT = (
    QUDT + "hasDimensionVector",
    QUDT + "specializationOf",
    QUDT + "exactMatch",
    QUDT + "symbol",
)
TR_SENML = URIRef("https://w3id.org/semantic-translator/ns#senmlUnit")


@dataclass(frozen=True, slots=True)
class UnitSelection:
    """What goes into units.ttl and quantitykinds.ttl."""

    units: tuple[str, ...]  # unit IRIs, sorted
    kinds: tuple[str, ...]  # quantity kind IRIs, sorted
    applicable: dict[str, tuple[str, ...]]  # property name -> applicable unit IRIs, sorted


def select_units(
    sources: Sources, rows: Iterable[PropertyRow], senml: Iterable[SenmlCode]
) -> UnitSelection:
    """Pick the units the properties and the SenML codes need.

    Raises:
        SourceError: a canonical unit, a SenML unit or a quantity kind is not in QUDT, or a
            canonical unit is deprecated.
    """
    unit_kinds = _unit_kinds(sources)
    deprecated = set(sources.subjects(QUDT + "deprecated", ox.Literal(True), "qudt"))
    live = {unit for unit in unit_kinds if unit not in deprecated}
    applicable: dict[str, tuple[str, ...]] = {}
    for row in rows:
        if row.unit is None or row.quantity_kind is None:
            continue
        canonical = _known_unit(UNIT + row.unit, unit_kinds, deprecated, row.name)
        family = generalizations(sources, QUANTITYKIND + row.quantity_kind)
        if row.units:
            units = {
                _known_unit(UNIT + unit, unit_kinds, deprecated, row.name) for unit in row.units
            }
        elif unit_kinds[canonical] & family:
            units = {
                unit
                for unit in live
                if unit_kinds[unit] & family and _convertible(sources, unit, canonical)
            }
        else:
            raise SourceError(f"{row.name}: {row.unit} is not a unit for {row.quantity_kind}")
        applicable[row.name] = tuple(sorted(units | {canonical}))
    chosen = {unit for units in applicable.values() for unit in units}
    chosen |= {_known_unit(UNIT + code.unit, unit_kinds, set(), code.code) for code in senml}
    kinds = _closed_kinds(sources, {kind for unit in chosen for kind in unit_kinds[unit]})
    kinds |= {QUANTITYKIND + row.quantity_kind for row in rows if row.quantity_kind}
    kinds = _closed_kinds(sources, kinds)
    return UnitSelection(tuple(sorted(chosen)), tuple(sorted(kinds)), applicable)


def generalizations(sources: Sources, kind: str) -> set[str]:
    """``kind`` and every quantity kind it specializes or exactly matches, transitively."""
    if not sources.has_subject(kind, "qudt"):
        raise SourceError(f"unknown QUDT quantity kind {kind}")
    return _closure(sources, kind)


def _closure(sources: Sources, kind: str) -> set[str]:
    seen = {kind}
    todo = [kind]
    while todo:
        current = todo.pop()
        for neighbour in _broader(sources, current):
            if neighbour not in seen:
                seen.add(neighbour)
                todo.append(neighbour)
    return seen


def unit_triples(
    sources: Sources, selection: UnitSelection, senml: Iterable[SenmlCode]
) -> Iterator[Triple]:
    """The triples of units.ttl: facts of each chosen unit, plus its SenML codes."""
    for unit in selection.units:
        subject = URIRef(unit)
        yield subject, RDF.type, URIRef(QUDT + "Unit")
        yield from _kept(sources, unit, UNIT_KEPT)
        for kind in _objects(sources, unit, QUDT + "unitForQuantityKind"):
            # materialized: qudt:unitForQuantityKind rdfs:subPropertyOf qudt:hasQuantityKind
            yield subject, URIRef(QUDT + "hasQuantityKind"), URIRef(kind)
    for code in senml:
        yield URIRef(UNIT + code.unit), TR_SENML, Literal(code.code)


def kind_triples(sources: Sources, selection: UnitSelection) -> Iterator[Triple]:
    """The triples of quantitykinds.ttl."""
    for kind in selection.kinds:
        if not sources.has_subject(kind, "qudt"):
            continue
        yield URIRef(kind), RDF.type, URIRef(QUDT + "QuantityKind")
        yield from _kept(sources, kind, KIND_KEPT)


def _kept(sources: Sources, subject: str, predicates: tuple[str, ...]) -> Iterator[Triple]:
    facts = list(sources.triples(subject, "qudt"))
    english = {
        obj.value
        for predicate, obj in facts
        if predicate == RDFS + "label" and isinstance(obj, ox.Literal) and obj.language == "en"
    }
    for predicate, obj in facts:
        if predicate in predicates or (predicate == RDFS + "label" and _english(obj, english)):
            yield URIRef(subject), URIRef(predicate), rdflib_term(obj)


def _english(term: Term, english: set[str]) -> bool:
    """``@en`` labels, and untagged ones that say something the ``@en`` ones do not."""
    if not isinstance(term, ox.Literal):
        return False
    return term.language == "en" or (term.language is None and term.value not in english)


def _unit_kinds(sources: Sources) -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = defaultdict(set)
    for unit in sources.subjects(RDF_TYPE, ox.NamedNode(QUDT + "Unit"), "qudt"):
        kinds[unit] |= set()
        for predicate in UNIT_QK_PREDICATES:
            kinds[unit] |= set(_objects(sources, unit, predicate))
    return dict(kinds)


def _known_unit(unit: str, kinds: dict[str, set[str]], deprecated: set[str], who: str) -> str:
    if unit not in kinds:
        raise SourceError(f"{who}: {unit} is not a QUDT unit")
    if unit in deprecated:
        raise SourceError(f"{who}: {unit} is deprecated in QUDT")
    return unit


def _convertible(sources: Sources, unit: str, canonical: str) -> bool:
    """Same dimension vector, and both linear (QUDT gives dB-like units a 0 multiplier)."""
    if unit == canonical:
        return True
    dimensions = [_objects(sources, u, QUDT + "hasDimensionVector") for u in (unit, canonical)]
    multipliers = [
        [
            term.value
            for term in sources.objects(u, QUDT + "conversionMultiplier", "qudt")
            if isinstance(term, ox.Literal)
        ]
        for u in (unit, canonical)
    ]
    linear = all(values and float(values[0]) != 0.0 for values in multipliers)
    return linear and dimensions[0] == dimensions[1]


def _closed_kinds(sources: Sources, kinds: set[str]) -> set[str]:
    closed: set[str] = set()
    for kind in kinds:
        closed |= _closure(sources, kind)
    return closed


def _broader(sources: Sources, kind: str) -> list[str]:
    broader = _objects(sources, kind, QUDT + "specializationOf")
    broader += _objects(sources, kind, QUDT + "exactMatch")
    broader += sources.subjects(QUDT + "exactMatch", ox.NamedNode(kind), "qudt")
    return broader


def _objects(sources: Sources, subject: str, predicate: str) -> list[str]:
    return [
        term.value
        for term in sources.objects(subject, predicate, "qudt")
        if isinstance(term, ox.NamedNode)
    ]
