"""Readings to RDF: the history triples of one translated envelope (docs/rdf-model.md).

Per envelope, one ``tr:Envelope`` node (6 triples); per reading, one ``sosa:Observation``
(5 triples + 1 for a boolean/text result, or + 4 for a number's ``qudt:QuantityValue`` node,
+ 2 more when the value was converted). Everything goes to the history graph, which is the
store's default graph.

``build_graph`` returns the triples indexed by subject (``graph.MessageGraph``): one dict per
node, built in one expression, which the SHACL gate reads as it is and ``Translated`` carries
to the store, which writes it as N-Quads text (``translator.rdf.nquads``). No pyoxigraph
``Quad`` is made on the way (one with a literal object costs ~1.5 µs: pyoxigraph tries the
other term types first); ``build`` and ``MessageGraph.quads`` make them for who wants them.

Contract with the store: the index's first subject is the envelope node (``envelope_node``),
whose ``rdf:type`` comes first, and observation ``i`` (``id:observation/K-i``) is made from
``readings[i]``; the store relies on both to link the latest state to its observation without
reading the triples.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from pyoxigraph import Literal, NamedNode, Quad

from translator.errors import ExtractionError
from translator.rdf.graph import Index, MessageGraph, Term
from translator.rdf.identifiers import (
    ENVELOPE_PREFIX,
    OBSERVATION_PREFIX,
    RESULT_SUFFIX,
    IdMinter,
    Minter,
    mapping_iri,
)
from translator.rdf.literals import datetime_literal
from translator.rdf.namespaces import TRP, UNIT
from translator.rdf.terms import (
    PROV_WAS_DERIVED_FROM,
    QUDT_NUMERIC_VALUE,
    QUDT_QUANTITY_VALUE,
    QUDT_UNIT,
    RDF_TYPE,
    SOSA_HAS_RESULT,
    SOSA_HAS_SIMPLE_RESULT,
    SOSA_MADE_BY_SENSOR,
    SOSA_OBSERVATION,
    SOSA_OBSERVED_PROPERTY,
    SOSA_RESULT_TIME,
    TR_CHANNEL,
    TR_ENVELOPE,
    TR_PAYLOAD_SHA256,
    TR_PROTOCOL,
    TR_RECEIVED_AT,
    TR_SOURCE_UNIT,
    TR_SOURCE_VALUE,
    TR_TRANSLATED_BY,
)
from translator.values import Envelope, Reading

DEFAULT_CACHE_SIZE = 8192


def named_node(iri: str, what: str, mapping_id: str | None = None) -> NamedNode:
    """``NamedNode(iri)``, or an ``ExtractionError`` that says which IRI is bad and why."""
    try:
        return NamedNode(iri)
    except ValueError as err:
        raise ExtractionError(
            f"{what} IRI {iri!r} is not a valid IRI ({err})",
            mapping_id=mapping_id,
            detail={"iri": iri, "role": what},
        ) from err


def envelope_of(quads: Sequence[Quad]) -> NamedNode | None:
    """The envelope node of one message's quads, if any (the first quad, by contract)."""
    for quad in quads:
        if quad.object == TR_ENVELOPE and quad.predicate == RDF_TYPE:
            return quad.subject if isinstance(quad.subject, NamedNode) else None
    return None


def envelope_node(graph: MessageGraph | None) -> NamedNode | None:
    """The envelope node of one message's graph, if any: its first subject, by contract."""
    if graph is None or not graph.index:
        return None
    subject, by_predicate = next(iter(graph.index.items()))
    if isinstance(subject, NamedNode) and TR_ENVELOPE in by_predicate.get(RDF_TYPE, ()):
        return subject
    return None


class ObservationBuilder:
    """Builds the triples of one envelope; cheap to call once per message.

    Holds the id minter and bounded caches of the terms that repeat from message to message
    (things, ``trp:`` properties, ``unit:`` units, mapping versions, protocol and channel
    literals), so the hot path validates an IRI once, not once per reading.
    """

    def __init__(
        self, minter: Minter | None = None, *, cache_size: int = DEFAULT_CACHE_SIZE
    ) -> None:
        self._minter = minter or IdMinter()
        self._cache_size = cache_size
        self._nodes: dict[str, NamedNode] = {}
        self._texts: dict[str, Literal] = {}
        self._mappings: dict[tuple[str, str], NamedNode] = {}

    def build(
        self,
        envelope: Envelope,
        mapping_id: str,
        mapping_version: str,
        readings: Sequence[Reading],
        sha256: str | None = None,
    ) -> list[Quad]:
        """The quads of one translated envelope: its envelope node, then one observation each.

        ``sha256`` is the hex digest of ``envelope.payload`` when the caller has it already.

        Raises:
            ExtractionError: a thing, property or unit does not make a valid IRI.
        """
        return self.build_graph(envelope, mapping_id, mapping_version, readings, sha256).quads()

    def build_graph(
        self,
        envelope: Envelope,
        mapping_id: str,
        mapping_version: str,
        readings: Sequence[Reading],
        sha256: str | None = None,
    ) -> MessageGraph:
        """Like ``build``, as the index the SHACL gate reads and the store writes.

        Raises:
            ExtractionError: a thing, property or unit does not make a valid IRI.
        """
        key = self._minter.next_key()
        env = NamedNode(ENVELOPE_PREFIX + key)
        received = datetime_literal(envelope.received_at)
        times = {envelope.received_at: received}  # readings often share a time: one literal
        digest = sha256 if sha256 is not None else hashlib.sha256(envelope.payload).hexdigest()
        index: Index = {
            env: {
                RDF_TYPE: [TR_ENVELOPE],
                TR_PROTOCOL: [self._text(envelope.protocol.value)],
                TR_CHANNEL: [self._text(envelope.channel)],
                TR_RECEIVED_AT: [received],
                TR_PAYLOAD_SHA256: [Literal(digest)],
                TR_TRANSLATED_BY: [self._mapping(mapping_id, mapping_version)],
            }
        }
        prefix = f"{OBSERVATION_PREFIX}{key}-"
        for position, reading in enumerate(readings):
            time = times.get(reading.time)
            if time is None:
                time = times[reading.time] = datetime_literal(reading.time)
            self._add_reading(index, env, prefix + str(position), reading, time, mapping_id)
        return MessageGraph(index)

    def _add_reading(
        self,
        index: Index,
        env: NamedNode,
        iri: str,
        reading: Reading,
        time: Literal,
        mapping_id: str,
    ) -> None:
        obs = NamedNode(iri)
        star: dict[NamedNode, list[Term]] = {
            RDF_TYPE: [SOSA_OBSERVATION],
            SOSA_MADE_BY_SENSOR: [self._node(reading.thing, "thing", mapping_id)],
            SOSA_OBSERVED_PROPERTY: [self._node(TRP + reading.property, "property", mapping_id)],
            SOSA_RESULT_TIME: [time],
            PROV_WAS_DERIVED_FROM: [env],
        }
        index[obs] = star
        value = reading.value
        if isinstance(value, bool | str):
            star[SOSA_HAS_SIMPLE_RESULT] = [Literal(value)]
            return
        result = NamedNode(iri + RESULT_SUFFIX)
        star[SOSA_HAS_RESULT] = [result]
        quantity: dict[NamedNode, list[Term]] = {
            RDF_TYPE: [QUDT_QUANTITY_VALUE],
            QUDT_NUMERIC_VALUE: [Literal(float(value))],
        }
        if reading.unit is not None:
            quantity[QUDT_UNIT] = [self._node(UNIT + reading.unit, "unit", mapping_id)]
        if reading.source_value is not None:
            quantity[TR_SOURCE_VALUE] = [Literal(float(reading.source_value))]
        if reading.source_unit is not None:
            unit = self._node(UNIT + reading.source_unit, "source unit", mapping_id)
            quantity[TR_SOURCE_UNIT] = [unit]
        index[result] = quantity

    def _mapping(self, mapping_id: str, version: str) -> NamedNode:
        mapping = self._mappings.get((mapping_id, version))
        if mapping is None:
            mapping = named_node(mapping_iri(mapping_id, version), "mapping", mapping_id)
            self._mappings[(mapping_id, version)] = mapping  # a few per process
        return mapping

    def _node(self, iri: str, what: str, mapping_id: str) -> NamedNode:
        node = self._nodes.get(iri)
        if node is None:
            node = named_node(iri, what, mapping_id)
            if len(self._nodes) >= self._cache_size:
                self._nodes.clear()  # crude but bounded: a flood of new things cannot grow it
            self._nodes[iri] = node
        return node

    def _text(self, text: str) -> Literal:
        literal = self._texts.get(text)
        if literal is None:
            literal = Literal(text)
            if len(self._texts) >= self._cache_size:
                self._texts.clear()
            self._texts[text] = literal
        return literal
