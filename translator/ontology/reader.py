"""Read the shipped Turtle into the frozen facts of ``model.py`` (pyoxigraph's parser: fast).

Only ``units.ttl``, ``quantitykinds.ttl`` and ``properties.ttl`` are read; the facts the
hot path needs are small, so they are gathered per subject in one pass over each file.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from translator.errors import OntologyError
from translator.ontology.model import PropertyDef, Unit, ValueKind

# The IRIs read here. ``translator.rdf.namespaces`` holds the same strings, but the ontology
# layer sits below ``translator.rdf`` and may not import it.
QUDT = "http://qudt.org/schema/qudt/"
UNIT = "http://qudt.org/vocab/unit/"
QUANTITYKIND = "http://qudt.org/vocab/quantitykind/"
TR = "https://w3id.org/semantic-translator/ns#"
TRP = "https://w3id.org/semantic-translator/property/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Facts = dict[str, dict[str, list[Term]]]  # subject IRI -> predicate IRI -> objects


@dataclass(frozen=True, slots=True)
class UnitFacts:
    """A unit plus what the vocabulary indexes it by."""

    unit: Unit
    labels: tuple[str, ...]
    dimension: str | None


@dataclass(frozen=True, slots=True)
class PropertyFacts:
    """A property plus its aliases and applicable units."""

    definition: PropertyDef
    aliases: tuple[str, ...]
    applicable: frozenset[str]


def read_facts(path: Path) -> Facts:
    """Every triple of one Turtle file with a named subject, grouped by subject.

    Raises:
        OntologyError: the file is missing or is not valid Turtle.
    """
    facts: Facts = defaultdict(lambda: defaultdict(list))
    try:
        for triple in ox.parse(path=path, format=ox.RdfFormat.TURTLE):
            if isinstance(triple.subject, ox.NamedNode):
                facts[triple.subject.value][triple.predicate.value].append(triple.object)
    except (OSError, SyntaxError) as err:
        raise OntologyError(f"cannot read {path}: {err}") from err
    return facts


def read_units(facts: Facts) -> list[UnitFacts]:
    """The ``qudt:Unit`` subjects of units.ttl.

    Raises:
        OntologyError: a unit has no ``qudt:conversionMultiplier``.
    """
    units = []
    for iri, predicates in sorted(facts.items()):
        if not _has_type(predicates, QUDT + "Unit"):
            continue
        name = _local(iri, UNIT)
        multiplier = _number(predicates, QUDT + "conversionMultiplier")
        if multiplier is None:
            raise OntologyError(f"unit {name} has no qudt:conversionMultiplier")
        unit = Unit(
            name=name,
            iri=iri,
            symbol=_first_text(predicates, QUDT + "symbol"),
            multiplier=multiplier,
            offset=_number(predicates, QUDT + "conversionOffset") or 0.0,
            quantity_kinds=frozenset(_locals(predicates, QUDT + "hasQuantityKind", QUANTITYKIND)),
            ucum=frozenset(_texts(predicates, QUDT + "ucumCode")),
            senml=frozenset(_texts(predicates, TR + "senmlUnit")),
        )
        dimension = _first_iri(predicates, QUDT + "hasDimensionVector")
        units.append(UnitFacts(unit, tuple(_texts(predicates, RDFS_LABEL)), dimension))
    return units


def read_kind_links(facts: Facts) -> dict[str, set[str]]:
    """Quantity kind -> the kinds it specializes or exactly matches (both directions)."""
    links: dict[str, set[str]] = defaultdict(set)
    for iri, predicates in facts.items():
        kind = _local(iri, QUANTITYKIND)
        for predicate in (QUDT + "specializationOf", QUDT + "exactMatch"):
            for other in _locals(predicates, predicate, QUANTITYKIND):
                links[kind].add(other)
                if predicate.endswith("exactMatch"):
                    links[other].add(kind)
    return dict(links)


def read_properties(facts: Facts) -> list[PropertyFacts]:
    """The ``trp:`` subjects of properties.ttl.

    Raises:
        OntologyError: a property has no valid ``tr:valueKind``.
    """
    properties = []
    for iri, predicates in sorted(facts.items()):
        if not iri.startswith(TRP) or iri == TRP:
            continue
        name = _local(iri, TRP)
        kind_text = _first_text(predicates, TR + "valueKind")
        try:
            kind = ValueKind(kind_text or "")
        except ValueError as err:
            raise OntologyError(f"property {name}: bad tr:valueKind {kind_text!r}") from err
        kinds = _locals(predicates, QUDT + "hasQuantityKind", QUANTITYKIND)
        canonical = _locals(predicates, TR + "canonicalUnit", UNIT)
        definition = PropertyDef(
            name=name,
            iri=iri,
            kind=kind,
            quantity_kind=kinds[0] if kinds else None,
            canonical_unit=canonical[0] if canonical else None,
            minimum=_number(predicates, TR + "minValue"),
            maximum=_number(predicates, TR + "maxValue"),
            label=_first_text(predicates, RDFS_LABEL),
        )
        applicable = frozenset(_locals(predicates, TR + "applicableUnit", UNIT))
        aliases = tuple(sorted(_texts(predicates, SKOS_ALT_LABEL)))
        properties.append(PropertyFacts(definition, aliases, applicable))
    return properties


def _has_type(predicates: dict[str, list[Term]], type_iri: str) -> bool:
    return any(
        isinstance(term, ox.NamedNode) and term.value == type_iri
        for term in predicates.get(RDF_TYPE, ())
    )


def _local(iri: str, namespace: str) -> str:
    return iri[len(namespace) :] if iri.startswith(namespace) else iri


def _locals(predicates: dict[str, list[Term]], predicate: str, namespace: str) -> list[str]:
    return sorted(
        _local(term.value, namespace)
        for term in predicates.get(predicate, ())
        if isinstance(term, ox.NamedNode)
    )


def _first_iri(predicates: dict[str, list[Term]], predicate: str) -> str | None:
    iris = sorted(t.value for t in predicates.get(predicate, ()) if isinstance(t, ox.NamedNode))
    return iris[0] if iris else None


def _texts(predicates: dict[str, list[Term]], predicate: str) -> list[str]:
    return sorted(
        {term.value for term in predicates.get(predicate, ()) if isinstance(term, ox.Literal)}
    )


def _first_text(predicates: dict[str, list[Term]], predicate: str) -> str | None:
    texts = _texts(predicates, predicate)
    return texts[0] if texts else None


def _number(predicates: dict[str, list[Term]], predicate: str) -> float | None:
    text = _first_text(predicates, predicate)
    return None if text is None else float(text)
