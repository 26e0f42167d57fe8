"""The naive pipeline, and the oracle: rdflib + ``pyshacl.validate`` once per message.

Per message: the same decode + match + JSON Schema + extraction and the same quads as the
real pipeline (that part is shared), then a FRESH ``rdflib.Graph`` holding the quads as
rdflib terms, then ``pyshacl.validate`` against the pre-parsed shapes graph without
inference. This is what validating every message "by the book" costs, and it is the
reference the compiled gate must agree with: each message's pyshacl verdict is compared
with ``ShapeGate.check_graph``'s (the pipeline's own path).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyshacl
import rdflib

from translator.errors import PayloadError
from translator.ontology.files import ontology_dir
from translator.pipeline import Pipeline
from translator.validation.terms import to_rdflib
from translator.values import Envelope

MAX_SHOWN_MISMATCHES = 5


def load_shapes() -> rdflib.Graph:
    """The shipped SHACL shapes, parsed once."""
    graph = rdflib.Graph()
    graph.parse(ontology_dir() / "shapes.ttl", format="turtle")
    return graph


@dataclass(slots=True)
class NaiveResult:
    """What the naive pipeline did on a sample, and where it disagreed with the gate."""

    messages: int = 0  # messages of the sample that reached SHACL
    nonconforming: int = 0  # … that pyshacl found non-conforming
    seconds: float = 0.0  # the whole naive pipeline, per message, summed
    shacl_seconds: float = 0.0  # pyshacl.validate alone
    mismatches: int = 0
    examples: list[str] = field(default_factory=list)  # the first mismatches, readable

    @property
    def msg_s(self) -> float:
        """Messages per second of the naive pipeline."""
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def shacl_ms(self) -> float:
        """Milliseconds per message spent in pyshacl."""
        return 1000.0 * self.shacl_seconds / self.messages if self.messages else 0.0


def graph_of(quads: Sequence[Any]) -> rdflib.Graph:
    """A fresh rdflib graph holding the triples of pyoxigraph ``quads`` (graph names dropped)."""
    graph = rdflib.Graph()
    for quad in quads:
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph


def pyshacl_conforms(graph: rdflib.Graph, shapes: rdflib.Graph) -> bool:
    """pyshacl's verdict with its defaults and no inference."""
    conforms, _report, _text = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    return bool(conforms)


def run_naive(
    pipeline: Pipeline, envelopes: Sequence[Envelope], shapes: rdflib.Graph
) -> NaiveResult:
    """Run the naive pipeline on ``envelopes``; compare every verdict with the compiled gate.

    Envelopes rejected before SHACL (decode, match, schema, extract) are skipped: neither
    validator sees them.
    """
    result = NaiveResult()
    clock = time.perf_counter
    for envelope in envelopes:
        started = clock()
        try:
            resolution = pipeline.mappings.resolve(envelope)
            message = pipeline.builder.build_graph(
                envelope,
                resolution.mapping_id,
                resolution.mapping_version,
                resolution.readings,
                sha256=hashlib.sha256(envelope.payload).hexdigest(),
            )
        except PayloadError:
            continue
        graph = graph_of(message.quads())
        validating = clock()
        conforms = pyshacl_conforms(graph, shapes)
        finished = clock()
        result.messages += 1
        result.nonconforming += not conforms
        result.seconds += finished - started
        result.shacl_seconds += finished - validating
        gate_conforms = not pipeline.gate.check_graph(message)  # untimed: the pipeline's path
        if gate_conforms != conforms:
            result.mismatches += 1
            if len(result.examples) < MAX_SHOWN_MISMATCHES:
                result.examples.append(
                    f"{envelope.channel}: gate conforms={gate_conforms}, pyshacl={conforms}"
                )
    return result


@dataclass(frozen=True, slots=True)
class BatchedResult:
    """The naive pipeline with one graph and one ``pyshacl.validate`` per batch of messages."""

    messages: int
    batch: int
    seconds: float

    @property
    def msg_s(self) -> float:
        """Messages per second."""
        return self.messages / self.seconds if self.seconds else 0.0


def run_naive_batched(
    pipeline: Pipeline, envelopes: Sequence[Envelope], shapes: rdflib.Graph, *, batch: int
) -> BatchedResult:
    """Resolve and build as ``run_naive`` does, but validate ``batch`` messages per call."""
    messages = 0
    started = time.perf_counter()
    for first in range(0, len(envelopes), batch):
        quads = []
        for envelope in envelopes[first : first + batch]:
            try:
                resolution = pipeline.mappings.resolve(envelope)
            except PayloadError:
                continue
            quads += pipeline.builder.build(
                envelope,
                resolution.mapping_id,
                resolution.mapping_version,
                resolution.readings,
                sha256=hashlib.sha256(envelope.payload).hexdigest(),
            )
            messages += 1
        if quads:
            pyshacl_conforms(graph_of(quads), shapes)
    return BatchedResult(messages, batch, time.perf_counter() - started)
