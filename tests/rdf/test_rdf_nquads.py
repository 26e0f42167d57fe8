"""N-Quads text from pyoxigraph's own term serialization: hostile input round-trips exactly."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rdf_samples import ARRIVAL, THING, CountingMinter

from translator.rdf.graph import MessageGraph
from translator.rdf.nquads import QuadText, encode
from translator.rdf.observations import ObservationBuilder, envelope_node
from translator.rdf.things import registration_quads, thing_quads
from translator.values import Envelope, Placement, Protocol, Provenance, Reading, ThingInfo

# Pieces that would break hand-made N-Triples: quotes, backslashes, line ends, a terminator,
# datatype and language syntax, an injected triple, control characters, non-BMP text.
HOSTILE = (
    '"',
    "\\",
    "\n",
    "\r",
    "\t",
    "\0",
    "\x7f",
    "\x85",
    "\u2028",
    "> .",
    '"^^<',
    "@en",
    "_:b0",
    "<urn:x>",
    ' .\n<urn:evil> <urn:p> "x" .\n',
    "\\u0022",
    "é",
    "😀",
)
hostile_text = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=4), max_size=8).map("".join)
# Characters a NamedNode accepts that still mean something in IRIs or in N-Triples.
IRI_PIECES = (
    *("'", "(", ")", "*", "!", "$", "&", "+", ",", ";", "=", ".", "~", "@", ":", "/"),
    *("%22", "%3E", "%5C", "é", "\u2028", "\xa0", "😀", "a", "0"),
)
iri_tail = st.lists(st.sampled_from(IRI_PIECES), max_size=10).map("".join)


def provenance(channel: str) -> Provenance:
    return Provenance("m", "1", Protocol.MQTT, channel)


def message_graph(channel: str, text: str, thing: str) -> MessageGraph:
    """A message with a text reading and a converted number, as the pipeline builds it."""
    envelope = Envelope(Protocol.MQTT, channel, b"{}", ARRIVAL)
    source = provenance(channel)
    readings = [
        Reading(thing, "action", text, None, ARRIVAL, source),
        Reading(thing, "temperature", 21.5, "DEG_C", ARRIVAL, source, 70.7, "DEG_F"),
    ]
    return ObservationBuilder(CountingMinter()).build_graph(envelope, "m", "1", readings)


def parsed(lines: list[str], *, lenient: bool) -> list[ox.Quad]:
    return list(ox.parse(encode(lines), format=ox.RdfFormat.N_QUADS, lenient=lenient))


@settings(max_examples=300, suppress_health_check=[HealthCheck.filter_too_much])
@given(channel=hostile_text, text=hostile_text, tail=iri_tail)
def test_hostile_input_round_trips_term_for_term(channel: str, text: str, tail: str) -> None:
    thing = "urn:dev:x:" + tail
    try:
        ox.NamedNode(thing)
    except ValueError:
        assume(False)  # not an IRI: the builder rejects it before any text is made
    graph = message_graph(channel, text, thing)
    lines: list[str] = []
    assert QuadText().add_graph(graph, lines) == len(graph) == len(lines)
    expected = graph.quads()
    assert parsed(lines, lenient=True) == expected  # what the store reads: same terms, no extra
    assert parsed(lines, lenient=False) == expected  # and it is valid N-Quads, strictly
    store = ox.Store()
    store.load(encode(lines), format=ox.RdfFormat.N_QUADS, lenient=True)
    assert set(store) == set(expected)


@settings(max_examples=150)
@given(label=hostile_text, area=hostile_text, value=hostile_text)
def test_hostile_named_graph_quads_round_trip(label: str, area: str, value: str) -> None:
    placement = Placement(area, (1.5, -0.0, 2e300), model=value)
    info = ThingInfo(THING, "m", "saref:Sensor", label, placement, (("device", value),))
    quads = thing_quads(info) + registration_quads(info)
    lines: list[str] = []
    assert QuadText.add_quads(quads, lines) == len(quads)
    assert parsed(lines, lenient=True) == quads
    assert parsed(lines, lenient=False) == quads


def test_repeating_terms_are_cached_and_the_cache_is_bounded() -> None:
    text = QuadText(cache_size=8)
    first: list[str] = []
    second: list[str] = []
    text.add_graph(message_graph("c/1", "on", THING), first)
    text.add_graph(message_graph("c/1", "on", THING), second)
    assert second == first  # the same terms (same keys: K0 both times) give the same lines
    assert len(text._texts) <= 8


def test_the_envelope_node_is_the_first_subject() -> None:
    graph = message_graph("c/1", "on", THING)
    node = envelope_node(graph)
    assert node is not None
    assert node.value.endswith("/envelope/K0")
    assert envelope_node(None) is None
    assert envelope_node(MessageGraph({})) is None
    assert envelope_node(MessageGraph.of(graph.quads()[6:])) is None  # starts with an observation


def test_a_graph_is_rebuilt_from_its_quads() -> None:
    graph = message_graph("c/1", "on", THING)
    quads = graph.quads()
    again = MessageGraph.of(quads + quads[:3])  # duplicates dropped
    assert again.quads() == quads
    assert len(again) == len(quads)
    first = quads[0]
    named = ox.Quad(first.subject, first.predicate, first.object, ox.NamedNode("urn:g"))
    with pytest.raises(ValueError, match="default graph"):
        MessageGraph.of([named])
