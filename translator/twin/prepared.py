"""A translated message made ready for the store: its history as N-Quads text, the rest as is.

``TwinStore.prepare`` turns a ``Translated`` into a ``PreparedMessage``: the history triples
of the ``MessageGraph`` the gate judged become one string of N-Quads lines
(``translator.rdf.nquads``), and what the latest state and the things graph need is kept:
the readings, the things and the envelope's key (observation ``i`` is ``id:observation/K-i``).

Why not keep the graph until the write: a batch waiting for a writer thread holds its messages
for seconds, long enough for every object in them to reach the collector's oldest generation,
and a ``MessageGraph`` is ~80 objects the cyclic GC walks (its dicts and lists, and pyoxigraph's
terms, which are GC-tracked) — each full collection of the translating thread walked them all
(~70 µs a message on the benchmark's stream, more than its RDF costs to build). A string costs
the collector nothing. ``Ingestor`` prepares each message as it is fed, so its graph is freed
young; ``TwinStore.write`` prepares a batch handed to it whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from translator.rdf.identifiers import envelope_key
from translator.rdf.nquads import QuadText
from translator.rdf.observations import envelope_node
from translator.values import Reading, ThingInfo, Translated


@dataclass(frozen=True, slots=True)
class PreparedMessage:
    """What the store writes of one translated message (``history`` ends with a newline)."""

    readings: tuple[Reading, ...]
    things: tuple[ThingInfo, ...]
    envelope_key: str | None  # None: no envelope node, the state cannot point to observations
    history: str
    triples: int


def prepare(message: Translated, text: QuadText) -> PreparedMessage:
    """``message`` with its history as N-Quads lines (from pyoxigraph's ``str`` of each term)."""
    lines: list[str] = []
    graph = message.graph
    triples = 0 if graph is None else text.add_graph(graph, lines)
    node = envelope_node(graph)
    return PreparedMessage(
        readings=message.readings,
        things=message.things,
        envelope_key=None if node is None else envelope_key(node.value),
        history="".join(lines),
        triples=triples,
    )
