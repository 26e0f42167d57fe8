"""``trp:<name>`` for every row of the property table: the triples of properties.ttl."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from .sources import QUANTITYKIND, UNIT, SourceError, Sources
from .table import PropertyRow
from .turtle import PREFIXES, Triple, expand

TR = PREFIXES["tr"]
TRP = PREFIXES["trp"]
SOSA = PREFIXES["sosa"]
SAREF = PREFIXES["saref"]
QUDT = PREFIXES["qudt"]


def property_iri(name: str) -> URIRef:
    """``trp:<name>``."""
    return URIRef(TRP + name)


def decimal_literal(lexical: str) -> Literal:
    """An ``xsd:decimal`` in canonical-looking form (always with a fraction part)."""
    value = Decimal(lexical)
    text = format(value, "f")
    if "." not in text:
        text += ".0"
    return Literal(text, datatype=XSD.decimal, normalize=False)


def property_triples(
    sources: Sources, rows: Iterable[PropertyRow], applicable: dict[str, tuple[str, ...]]
) -> Iterator[Triple]:
    """Declarations, kinds, units and ranges of every property.

    Raises:
        SourceError: a SAREF class named in the table is not in SAREF.
    """
    for row in rows:
        subject = property_iri(row.name)
        yield subject, RDF.type, URIRef(SOSA + "ObservableProperty")
        yield subject, RDF.type, URIRef(SAREF + "Property")
        yield subject, RDFS.label, Literal(row.label, lang="en")
        yield subject, RDFS.isDefinedBy, URIRef(TRP)
        yield subject, URIRef(TR + "valueKind"), Literal(row.kind)
        yield from _cross_references(sources, subject, row)
        yield from (_alias(subject, alias) for alias in row.aliases)
        if row.unit is None or row.quantity_kind is None:
            continue
        yield subject, URIRef(QUDT + "hasQuantityKind"), URIRef(QUANTITYKIND + row.quantity_kind)
        yield subject, URIRef(TR + "canonicalUnit"), URIRef(UNIT + row.unit)
        for unit in applicable[row.name]:
            yield subject, URIRef(TR + "applicableUnit"), URIRef(unit)
        if row.minimum is not None:
            yield subject, URIRef(TR + "minValue"), decimal_literal(row.minimum)
        if row.maximum is not None:
            yield subject, URIRef(TR + "maxValue"), decimal_literal(row.maximum)


def _cross_references(sources: Sources, subject: URIRef, row: PropertyRow) -> Iterator[Triple]:
    if row.saref is not None:
        saref_class = SAREF + row.saref
        if not sources.has_subject(saref_class, "saref"):
            raise SourceError(f"{row.name}: saref:{row.saref} is not in SAREF")
        yield subject, RDF.type, URIRef(saref_class)
    for curie in row.see_also:
        yield subject, RDFS.seeAlso, expand(curie)


def _alias(subject: URIRef, alias: str) -> Triple:
    return subject, SKOS.altLabel, Literal(alias)
