"""The SOSA/SSN, SAREF, PROV-O and WoT TD terms the translator writes: declarations + labels.

Only what makes the terms self-describing in a SPARQL store is kept: ``rdf:type``
(named classes), English ``rdfs:label``, ``rdfs:subClassOf``/``subPropertyOf``,
``rdfs:domain``/``range`` and ``owl:inverseOf`` when they name a term. Prose
(``rdfs:comment``, ``skos:definition``, ``dcterms:description`` …) and OWL restrictions
(blank nodes) are left out.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
from rdflib import URIRef

from .sources import RDF_TYPE, RDFS, SourceError, Sources
from .turtle import PREFIXES, Triple, rdflib_term

OWL = "http://www.w3.org/2002/07/owl#"
KEPT = (
    RDF_TYPE,
    RDFS + "label",
    RDFS + "subClassOf",
    RDFS + "subPropertyOf",
    RDFS + "domain",
    RDFS + "range",
    OWL + "inverseOf",
)

# source graph -> (prefix, local names)
TERMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sosa": (
        "sosa",
        (
            "Actuation",
            "ActuatableProperty",
            "Actuator",
            "FeatureOfInterest",
            "ObservableProperty",
            "Observation",
            "Platform",
            "Result",
            "Sensor",
            "actsOnProperty",
            "hasFeatureOfInterest",
            "hasResult",
            "hasSimpleResult",
            "hosts",
            "isHostedBy",
            "madeActuation",
            "madeByActuator",
            "madeBySensor",
            "madeObservation",
            "observedProperty",
            "observes",
            "phenomenonTime",
            "resultTime",
        ),
    ),
    "saref": (
        "saref",
        (
            "Actuator",
            "Device",
            "DoorSwitch",
            "Energy",
            "Humidity",
            "Light",
            "LightSwitch",
            "Meter",
            "Motion",
            "Occupancy",
            "OnOffState",
            "OpenCloseState",
            "Power",
            "Pressure",
            "Property",
            "Sensor",
            "Smoke",
            "SmokeSensor",
            "State",
            "Switch",
            "Temperature",
            "TemperatureSensor",
            "hasState",
            "measuresProperty",
        ),
    ),
    "prov": (
        "prov",
        (
            "Activity",
            "Agent",
            "Entity",
            "Plan",
            "generatedAtTime",
            "used",
            "wasDerivedFrom",
            "wasGeneratedBy",
            "wasInfluencedBy",
        ),
    ),
    "td": (
        "td",
        (
            "ActionAffordance",
            "EventAffordance",
            "InteractionAffordance",
            "PropertyAffordance",
            "Thing",
            "hasActionAffordance",
            "hasEventAffordance",
            "hasPropertyAffordance",
            "title",
        ),
    ),
}
# SSN terms live in ssn.ttl, loaded into the "sosa" graph with SOSA.
SSN_TERMS = ("Property", "System", "Deployment")


def vocabulary_triples(sources: Sources) -> Iterator[Triple]:
    """The kept facts of every listed term.

    Raises:
        SourceError: a listed term is not in its vocabulary.
    """
    listed = [
        (graph, PREFIXES[prefix] + name)
        for graph, (prefix, names) in TERMS.items()
        for name in names
    ]
    listed += [("sosa", PREFIXES["ssn"] + name) for name in SSN_TERMS]
    for graph, term in listed:
        if not sources.has_subject(term, graph):
            raise SourceError(f"{term} is not declared in the {graph} source")
        yield from _kept(sources, term, graph)


def _kept(sources: Sources, term: str, graph: str) -> Iterator[Triple]:
    for predicate, obj in sources.triples(term, graph):
        if predicate not in KEPT:
            continue
        if isinstance(obj, ox.BlankNode):
            continue
        if isinstance(obj, ox.Literal) and obj.language not in (None, "en"):
            continue
        yield URIRef(term), URIRef(predicate), rdflib_term(obj)
