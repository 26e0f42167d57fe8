"""The standard vocabularies in ``../shared/ontologies``, parsed once into one pyoxigraph store.

Each source goes into its own named graph, so a fact can be traced to the vocabulary (and the
license) it came from. pyoxigraph parses the 3 MB QUDT unit file in a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
QUDT = "http://qudt.org/schema/qudt/"
UNIT = "http://qudt.org/vocab/unit/"
QUANTITYKIND = "http://qudt.org/vocab/quantitykind/"

# graph name -> files under shared/ontologies
SOURCE_FILES: dict[str, tuple[str, ...]] = {
    "qudt": (
        "qudt/VOCAB_QUDT-UNITS-ALL.ttl",
        "qudt/VOCAB_QUDT-QUANTITY-KINDS-ALL.ttl",
        "qudt/SCHEMA_QUDT.ttl",
    ),
    "sosa": ("sosa-ssn/sosa.ttl", "sosa-ssn/ssn.ttl"),
    "saref": ("saref/saref.ttl",),
    "prov": ("prov/prov-o.ttl",),
    "td": ("wot-td/td.ttl",),
}


class SourceError(RuntimeError):
    """A source vocabulary is missing or lacks a term the build needs."""


@dataclass(frozen=True, slots=True)
class Sources:
    """The parsed source vocabularies, one named graph per vocabulary."""

    store: ox.Store

    def objects(self, subject: str, predicate: str, graph: str) -> list[Term]:
        """Objects of ``subject predicate ?`` in one source graph."""
        quads = self.store.quads_for_pattern(
            ox.NamedNode(subject), ox.NamedNode(predicate), None, ox.NamedNode(_graph(graph))
        )
        return [quad.object for quad in quads]

    def subjects(self, predicate: str, obj: Term, graph: str) -> list[str]:
        """IRIs of the subjects of ``? predicate obj`` in one source graph."""
        quads = self.store.quads_for_pattern(
            None, ox.NamedNode(predicate), obj, ox.NamedNode(_graph(graph))
        )
        return [quad.subject.value for quad in quads if isinstance(quad.subject, ox.NamedNode)]

    def triples(self, subject: str, graph: str) -> Iterator[tuple[str, Term]]:
        """Every ``(predicate, object)`` of one subject in one source graph."""
        quads = self.store.quads_for_pattern(
            ox.NamedNode(subject), None, None, ox.NamedNode(_graph(graph))
        )
        for quad in quads:
            yield quad.predicate.value, quad.object

    def has_subject(self, subject: str, graph: str) -> bool:
        """Whether the source graph says anything about ``subject``."""
        return next(iter(self.triples(subject, graph)), None) is not None


def load_sources(shared: Path) -> Sources:
    """Parse every source file under ``shared/ontologies``.

    Raises:
        SourceError: a file is missing.
    """
    store = ox.Store()
    for graph, files in SOURCE_FILES.items():
        for name in files:
            path = shared / "ontologies" / name
            if not path.is_file():
                raise SourceError(f"missing source vocabulary {path}")
            store.bulk_load(
                path=path, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(_graph(graph))
            )
    return Sources(store)


def _graph(name: str) -> str:
    return f"urn:source:{name}"
