"""The SHACL Core shapes every translated observation (and its envelope) must satisfy.

Generated so the per-property rules follow the property table. SHACL Core only (no SPARQL
constraints), so both pyshacl and the translator's compiled validator read them. Every
shape is a named node (``trs:…``) with ``sh:name`` and ``sh:message``: violations name the
rule they break, and the serialization stays byte-stable.

Per property P, one shape targets every observation and says
``sh:or ( "not about P"  "fits P" )`` — an implication in SHACL Core — so a violation names
the property whose rule failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from .properties import decimal_literal, property_iri
from .table import PropertyRow
from .turtle import PREFIXES, Triple

SH = PREFIXES["sh"]
TR = PREFIXES["tr"]
TRS = PREFIXES["trs"]
SOSA = PREFIXES["sosa"]
QUDT = PREFIXES["qudt"]
PROV = PREFIXES["prov"]
UNIT = PREFIXES["unit"]
QUANTITYKIND = PREFIXES["quantitykind"]

PROTOCOLS = ("mqtt", "coap", "http")
SHA256_PATTERN = "^[0-9a-f]{64}$"


def sh(name: str) -> URIRef:
    """A term of the SHACL vocabulary."""
    return URIRef(SH + name)


def iri(namespace: str, name: str) -> URIRef:
    """``namespace`` + ``name`` as an IRI."""
    return URIRef(namespace + name)


@dataclass
class ShapesGraph:
    """Accumulates the triples of shapes.ttl; lists get fresh blank nodes."""

    triples: list[Triple] = field(default_factory=list)

    def add(self, subject: Node, predicate: Node, obj: Node) -> None:
        """Add one triple."""
        self.triples.append((subject, predicate, obj))

    def rdf_list(self, items: Sequence[Node]) -> Node:
        """An RDF list of ``items`` (written inline as ``( … )``)."""
        head: Node = RDF.nil
        for item in reversed(items):
            cell = BNode()
            self.add(cell, RDF.first, item)
            self.add(cell, RDF.rest, head)
            head = cell
        return head

    def node_shape(self, name: str, label: str, message: str | None = None) -> URIRef:
        """Declare ``trs:<name>`` a node shape."""
        shape = iri(TRS, name)
        self.add(shape, RDF.type, sh("NodeShape"))
        self.add(shape, sh("name"), Literal(label))
        if message is not None:
            self.add(shape, sh("message"), Literal(message, lang="en"))
        return shape

    def property_shape(
        self, owner: URIRef, name: str, path: Node | list[Node], message: str
    ) -> URIRef:
        """Declare ``trs:<name>``, a property shape of ``owner`` along ``path``."""
        shape = iri(TRS, name)
        self.add(owner, sh("property"), shape)
        self.add(shape, RDF.type, sh("PropertyShape"))
        self.add(shape, sh("name"), Literal(name.rsplit("-", 1)[-1]))
        self.add(shape, sh("message"), Literal(message, lang="en"))
        route = self.rdf_list(path) if isinstance(path, list) else path
        self.add(shape, sh("path"), route)
        return shape

    def cardinality(self, shape: URIRef, low: int | None, high: int | None) -> None:
        """``sh:minCount`` / ``sh:maxCount``."""
        if low is not None:
            self.add(shape, sh("minCount"), Literal(low))
        if high is not None:
            self.add(shape, sh("maxCount"), Literal(high))


def shape_triples(
    rows: Iterable[PropertyRow], applicable: dict[str, tuple[str, ...]]
) -> list[Triple]:
    """Every triple of shapes.ttl."""
    rows = tuple(rows)
    graph = ShapesGraph()
    _observation(graph, rows)
    _quantity_value(graph)
    _envelope(graph)
    _state(graph, rows)
    for row in rows:
        _property_rule(graph, row, applicable.get(row.name, ()))
    return graph.triples


def _observation(graph: ShapesGraph, rows: Sequence[PropertyRow]) -> None:
    shape = graph.node_shape(
        "ObservationShape",
        "observation",
        "An observation has exactly one of sosa:hasResult (numbers) "
        "or sosa:hasSimpleResult (booleans, text)",
    )
    graph.add(shape, sh("targetClass"), iri(SOSA, "Observation"))
    alternatives = []
    for name, predicate in (("WithResult", "hasResult"), ("WithSimpleResult", "hasSimpleResult")):
        alternative = graph.node_shape(name, f"with sosa:{predicate}")
        present = graph.property_shape(
            alternative, f"{name}-{predicate}", iri(SOSA, predicate), f"sosa:{predicate} present"
        )
        graph.cardinality(present, 1, None)
        alternatives.append(alternative)
    graph.add(shape, sh("xone"), graph.rdf_list(alternatives))
    _observation_properties(graph, shape, rows)


def _observation_properties(graph: ShapesGraph, shape: URIRef, rows: Sequence[PropertyRow]) -> None:
    sensor = graph.property_shape(
        shape,
        "Observation-madeBySensor",
        iri(SOSA, "madeBySensor"),
        "An observation needs exactly one sosa:madeBySensor, the IRI of the thing",
    )
    graph.cardinality(sensor, 1, 1)
    graph.add(sensor, sh("nodeKind"), sh("IRI"))
    observed = graph.property_shape(
        shape,
        "Observation-observedProperty",
        iri(SOSA, "observedProperty"),
        "An observation needs exactly one sosa:observedProperty, a trp: property of "
        "ontology/properties.ttl",
    )
    graph.cardinality(observed, 1, 1)
    graph.add(observed, sh("in"), graph.rdf_list([property_iri(row.name) for row in rows]))
    time = graph.property_shape(
        shape,
        "Observation-resultTime",
        iri(SOSA, "resultTime"),
        "An observation needs exactly one sosa:resultTime, an xsd:dateTime",
    )
    graph.cardinality(time, 1, 1)
    graph.add(time, sh("datatype"), XSD.dateTime)
    source = graph.property_shape(
        shape,
        "Observation-wasDerivedFrom",
        iri(PROV, "wasDerivedFrom"),
        "An observation needs exactly one prov:wasDerivedFrom, the IRI of its tr:Envelope",
    )
    graph.cardinality(source, 1, 1)
    graph.add(source, sh("nodeKind"), sh("IRI"))
    graph.add(source, sh("class"), iri(TR, "Envelope"))
    result = graph.property_shape(
        shape,
        "Observation-hasResult",
        iri(SOSA, "hasResult"),
        "sosa:hasResult, at most one, is the IRI of a qudt:QuantityValue",
    )
    graph.cardinality(result, None, 1)
    graph.add(result, sh("nodeKind"), sh("IRI"))
    graph.add(result, sh("node"), iri(TRS, "QuantityValueShape"))
    simple = graph.property_shape(
        shape,
        "Observation-hasSimpleResult",
        iri(SOSA, "hasSimpleResult"),
        "sosa:hasSimpleResult, at most one, is a literal",
    )
    graph.cardinality(simple, None, 1)
    graph.add(simple, sh("nodeKind"), sh("Literal"))


def _quantity_value(graph: ShapesGraph) -> None:
    shape = graph.node_shape(
        "QuantityValueShape",
        "quantity value",
        "A result is a qudt:QuantityValue; tr:sourceValue and tr:sourceUnit are both present "
        "(the value was converted) or both absent",
    )
    graph.add(shape, sh("class"), iri(QUDT, "QuantityValue"))
    value = graph.property_shape(
        shape,
        "QuantityValue-numericValue",
        iri(QUDT, "numericValue"),
        "A result needs exactly one qudt:numericValue, an xsd:double",
    )
    graph.cardinality(value, 1, 1)
    graph.add(value, sh("datatype"), XSD.double)
    unit = graph.property_shape(
        shape,
        "QuantityValue-unit",
        iri(QUDT, "unit"),
        "A result needs exactly one qudt:unit, a QUDT unit IRI",
    )
    graph.cardinality(unit, 1, 1)
    graph.add(unit, sh("nodeKind"), sh("IRI"))
    source_value = graph.property_shape(
        shape,
        "QuantityValue-sourceValue",
        iri(TR, "sourceValue"),
        "tr:sourceValue, at most one, is an xsd:double",
    )
    graph.cardinality(source_value, None, 1)
    graph.add(source_value, sh("datatype"), XSD.double)
    source_unit = graph.property_shape(
        shape,
        "QuantityValue-sourceUnit",
        iri(TR, "sourceUnit"),
        "tr:sourceUnit, at most one, is a QUDT unit IRI",
    )
    graph.cardinality(source_unit, None, 1)
    graph.add(source_unit, sh("nodeKind"), sh("IRI"))
    pairs = []
    for name, low, high in (("Unconverted", None, 0), ("Converted", 1, None)):
        pair = graph.node_shape(name, name.lower())
        for predicate in ("sourceValue", "sourceUnit"):
            member = graph.property_shape(
                pair, f"{name}-{predicate}", iri(TR, predicate), f"tr:{predicate} {name.lower()}"
            )
            graph.cardinality(member, low, high)
        pairs.append(pair)
    graph.add(shape, sh("or"), graph.rdf_list(pairs))


def _envelope(graph: ShapesGraph) -> None:
    shape = graph.node_shape("EnvelopeShape", "envelope")
    graph.add(shape, sh("targetClass"), iri(TR, "Envelope"))
    protocol = graph.property_shape(
        shape,
        "Envelope-protocol",
        iri(TR, "protocol"),
        'An envelope needs exactly one tr:protocol: "mqtt", "coap" or "http"',
    )
    graph.cardinality(protocol, 1, 1)
    graph.add(protocol, sh("in"), graph.rdf_list([Literal(name) for name in PROTOCOLS]))
    channel = graph.property_shape(
        shape,
        "Envelope-channel",
        iri(TR, "channel"),
        "An envelope needs exactly one tr:channel, a string (topic or path)",
    )
    graph.cardinality(channel, 1, 1)
    graph.add(channel, sh("datatype"), XSD.string)
    received = graph.property_shape(
        shape,
        "Envelope-receivedAt",
        iri(TR, "receivedAt"),
        "An envelope needs exactly one tr:receivedAt, an xsd:dateTime",
    )
    graph.cardinality(received, 1, 1)
    graph.add(received, sh("datatype"), XSD.dateTime)
    digest = graph.property_shape(
        shape,
        "Envelope-payloadSha256",
        iri(TR, "payloadSha256"),
        "An envelope needs exactly one tr:payloadSha256, 64 lowercase hex digits",
    )
    graph.cardinality(digest, 1, 1)
    graph.add(digest, sh("datatype"), XSD.string)
    graph.add(digest, sh("pattern"), Literal(SHA256_PATTERN))
    mapping = graph.property_shape(
        shape,
        "Envelope-translatedBy",
        iri(TR, "translatedBy"),
        "An envelope needs exactly one tr:translatedBy, the IRI of the mapping",
    )
    graph.cardinality(mapping, 1, 1)
    graph.add(mapping, sh("nodeKind"), sh("IRI"))


def _state(graph: ShapesGraph, rows: Sequence[PropertyRow]) -> None:
    shape = graph.node_shape("StateShape", "latest state")
    graph.add(shape, sh("targetClass"), iri(TR, "State"))
    rules: tuple[tuple[str, URIRef, int | None, Node, Node], ...] = (
        ("ofThing", iri(TR, "ofThing"), 1, sh("nodeKind"), sh("IRI")),
        ("observedProperty", iri(SOSA, "observedProperty"), 1, sh("nodeKind"), sh("IRI")),
        ("hasSimpleResult", iri(SOSA, "hasSimpleResult"), 1, sh("nodeKind"), sh("Literal")),
        ("resultTime", iri(SOSA, "resultTime"), 1, sh("datatype"), XSD.dateTime),
        ("latestObservation", iri(TR, "latestObservation"), 1, sh("nodeKind"), sh("IRI")),
        ("unit", iri(QUDT, "unit"), None, sh("nodeKind"), sh("IRI")),
    )
    for name, path, low, constraint, value in rules:
        rule = graph.property_shape(
            shape,
            f"State-{name}",
            path,
            f"A tr:State has {'exactly' if low else 'at most'} one {graph_curie(path)}",
        )
        graph.cardinality(rule, low, 1)
        graph.add(rule, constraint, value)


def graph_curie(term: URIRef) -> str:
    """``tr:ofThing`` for an IRI in one of our prefixes."""
    for prefix, namespace in PREFIXES.items():
        if str(term).startswith(namespace):
            return f"{prefix}:{str(term)[len(namespace) :]}"
    return f"<{term}>"


def _property_rule(graph: ShapesGraph, row: PropertyRow, applicable: Sequence[str]) -> None:
    name = row.name
    shape = graph.node_shape(f"{name}-Shape", f"trp:{name}", _property_message(row))
    graph.add(shape, sh("targetClass"), iri(SOSA, "Observation"))
    about = graph.node_shape(f"{name}-Observation", f"about trp:{name}")
    is_about = graph.property_shape(
        about,
        f"{name}-Observation-observedProperty",
        iri(SOSA, "observedProperty"),
        f"sosa:observedProperty is trp:{name}",
    )
    graph.add(is_about, sh("hasValue"), property_iri(name))
    other = graph.node_shape(f"{name}-Other", f"not about trp:{name}")
    graph.add(other, sh("not"), about)
    fits = graph.node_shape(f"{name}-Fits", f"fits trp:{name}")
    if row.kind == "number":
        _numeric_rule(graph, fits, row, applicable)
    else:
        value = graph.property_shape(
            fits,
            f"{name}-Fits-hasSimpleResult",
            iri(SOSA, "hasSimpleResult"),
            f"trp:{name} takes an xsd:{_simple_datatype(row)} sosa:hasSimpleResult",
        )
        graph.cardinality(value, 1, None)
        graph.add(value, sh("datatype"), iri(PREFIXES["xsd"], _simple_datatype(row)))
    graph.add(shape, sh("or"), graph.rdf_list([other, fits]))


def _numeric_rule(
    graph: ShapesGraph, fits: URIRef, row: PropertyRow, applicable: Sequence[str]
) -> None:
    name = row.name
    result = iri(SOSA, "hasResult")
    unit = graph.property_shape(
        fits,
        f"{name}-Fits-unit",
        [result, iri(QUDT, "unit")],
        f"trp:{name} values are stored in unit:{row.unit}",
    )
    graph.cardinality(unit, 1, None)
    graph.add(unit, sh("in"), graph.rdf_list([iri(UNIT, str(row.unit))]))
    value = graph.property_shape(
        fits,
        f"{name}-Fits-numericValue",
        [result, iri(QUDT, "numericValue")],
        f"trp:{name} values are xsd:double{_range_text(row)}",
    )
    graph.cardinality(value, 1, None)
    graph.add(value, sh("datatype"), XSD.double)
    if row.minimum is not None:
        graph.add(value, sh("minInclusive"), decimal_literal(row.minimum))
    if row.maximum is not None:
        graph.add(value, sh("maxInclusive"), decimal_literal(row.maximum))
    source = graph.property_shape(
        fits,
        f"{name}-Fits-sourceUnit",
        [result, iri(TR, "sourceUnit")],
        f"a trp:{name} source unit is a unit for quantitykind:{row.quantity_kind}",
    )
    graph.add(source, sh("in"), graph.rdf_list([URIRef(unit_iri) for unit_iri in applicable]))


def _simple_datatype(row: PropertyRow) -> str:
    return "boolean" if row.kind == "boolean" else "string"


def _range_text(row: PropertyRow) -> str:
    if row.minimum is not None and row.maximum is not None:
        return f" in [{row.minimum}, {row.maximum}]"
    if row.minimum is not None:
        return f" >= {row.minimum}"
    if row.maximum is not None:
        return f" <= {row.maximum}"
    return ""


def _property_message(row: PropertyRow) -> str:
    if row.kind != "number":
        return (
            f"A trp:{row.name} observation needs an xsd:{_simple_datatype(row)} "
            "sosa:hasSimpleResult and no sosa:hasResult"
        )
    return (
        f"A trp:{row.name} observation needs a sosa:hasResult in unit:{row.unit} with an "
        f"xsd:double value{_range_text(row)}; its tr:sourceUnit, if any, must be a unit for "
        f"quantitykind:{row.quantity_kind}"
    )
