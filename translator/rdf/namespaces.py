"""IRIs of every vocabulary the translator writes or reads, as plain strings.

Kept as strings (not rdflib or pyoxigraph terms) so each layer builds the term type it
needs once, at import or compile time, never per message.
"""

from __future__ import annotations

from typing import Final

TR: Final = "https://w3id.org/semantic-translator/ns#"
TRP: Final = "https://w3id.org/semantic-translator/property/"
ID: Final = "https://w3id.org/semantic-translator/id/"
GRAPH: Final = "https://w3id.org/semantic-translator/graph/"

SOSA: Final = "http://www.w3.org/ns/sosa/"
SSN: Final = "http://www.w3.org/ns/ssn/"
QUDT: Final = "http://qudt.org/schema/qudt/"
UNIT: Final = "http://qudt.org/vocab/unit/"
QUANTITYKIND: Final = "http://qudt.org/vocab/quantitykind/"
SAREF: Final = "https://saref.etsi.org/core/"
TD: Final = "https://www.w3.org/2019/wot/td#"
PROV: Final = "http://www.w3.org/ns/prov#"
RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS: Final = "http://www.w3.org/2000/01/rdf-schema#"
XSD: Final = "http://www.w3.org/2001/XMLSchema#"
OWL: Final = "http://www.w3.org/2002/07/owl#"
SH: Final = "http://www.w3.org/ns/shacl#"
SKOS: Final = "http://www.w3.org/2004/02/skos/core#"
GEO: Final = "http://www.w3.org/2003/01/geo/wgs84_pos#"

# Named graphs of the store.
OBSERVATIONS_GRAPH: Final = GRAPH + "observations"  # history: observations + envelopes
STATE_GRAPH: Final = GRAPH + "state"  # latest value per thing and property
THINGS_GRAPH: Final = GRAPH + "things"  # things, their types, labels, placements
META_GRAPH: Final = GRAPH + "meta"  # mappings (id + version) and the ontology

PREFIXES: Final[dict[str, str]] = {
    "tr": TR,
    "trp": TRP,
    "sosa": SOSA,
    "ssn": SSN,
    "qudt": QUDT,
    "unit": UNIT,
    "quantitykind": QUANTITYKIND,
    "saref": SAREF,
    "td": TD,
    "prov": PROV,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "owl": OWL,
    "sh": SH,
    "skos": SKOS,
    "geo": GEO,
}
