"""The twin store: history, provenance, latest state, things, durability, concurrent readers."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest
from twin_samples import (
    PLUG,
    SENSOR,
    STATE_GRAPH,
    message,
    minutes,
    temperature,
)

from translator.errors import StoreError
from translator.pipeline import build_pipeline
from translator.rdf.namespaces import THINGS_GRAPH
from translator.rdf.observations import envelope_of
from translator.settings import Settings
from translator.twin.sparql import SelectResult
from translator.twin.state import state_quads
from translator.twin.store import TwinStore, WriteStats
from translator.values import Envelope, Placement, Protocol, ThingInfo, Translated


def select(store: TwinStore, sparql: str) -> list[tuple[str, ...]]:
    """Rows of a SELECT as plain strings (IRIs and lexical forms), unbound as ''."""
    result = store.query(sparql)
    assert isinstance(result, SelectResult)
    return [tuple(t.value if t is not None else "" for t in row) for row in result.solutions]


def count(store: TwinStore, pattern: str) -> int:
    return int(select(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")[0][0])


def test_provenance_query_answers(store: TwinStore) -> None:
    first = message([("temperature", 21.5, "DEG_C"), ("relativeHumidity", 40.0, "PERCENT_RH")])
    second = message([("onOff", True, None)], thing=PLUG, channel="tasmota/kitchen_plug/SENSOR")
    store.write([first, second])
    rows = select(
        store,
        "SELECT ?env ?channel WHERE { ?obs prov:wasDerivedFrom ?env . ?env tr:channel ?channel }",
    )
    envelopes = [envelope_of(m.quads) for m in (first, second)]
    assert sorted(rows) == sorted(
        [(envelopes[0].value, "zigbee2mqtt/living_room_sensor")] * 2  # type: ignore[union-attr]
        + [(envelopes[1].value, "tasmota/kitchen_plug/SENSOR")]  # type: ignore[union-attr]
    )


def test_write_reports_what_it_did(store: TwinStore) -> None:
    stats = store.write(
        [temperature(20.0), temperature(21.0, minutes(1)), temperature(19.0, minutes(-1))]
    )
    assert stats == WriteStats(
        messages=3, readings=3, quads=3 * 15, things=1, state_updates=1, stale_readings=1
    )
    assert store.write([]) == WriteStats()


def test_an_older_reading_does_not_overwrite_a_newer_one(store: TwinStore) -> None:
    store.write([temperature(21.0, minutes(1))])
    stats = store.write([temperature(5.0, minutes(0))])
    assert stats.stale_readings == 1
    assert [(e.value, e.time) for e in store.latest(SENSOR)] == [(21.0, minutes(1))]
    store.write([temperature(22.0, minutes(2)), temperature(6.0, minutes(1.5))])  # same batch
    assert [e.value for e in store.latest()] == [22.0]
    store.write([temperature(23.0, minutes(2))])  # same time: the later arrival wins
    assert [e.value for e in store.latest()] == [23.0]
    assert select(
        store,
        f"SELECT ?v WHERE {{ GRAPH <{STATE_GRAPH}> {{ ?s sosa:hasSimpleResult ?v }} }}",
    ) == [("23",)]


def test_state_graph_is_exactly_the_index(store: TwinStore) -> None:
    store.write(
        [
            message([("temperature", 21.5, "DEG_C"), ("onOff", False, None)]),
            message([("action", "single", None)], thing=PLUG, at=minutes(1)),
        ]
    )
    entries = store.latest()
    assert [(e.thing, e.property, e.value, e.unit) for e in entries] == [
        (PLUG, "action", "single", None),  # sorted by thing, then property
        (SENSOR, "onOff", False, None),
        (SENSOR, "temperature", 21.5, "DEG_C"),
    ]
    result = store.query(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{STATE_GRAPH}> {{ ?s ?p ?o }} }}"
    )
    expected = {q.triple for e in entries for q in state_quads(e)}
    assert set(result.triples) == expected  # type: ignore[union-attr]
    assert store.latest(PLUG)[0].value == "single"


def test_state_points_to_the_observation_it_came_from(store: TwinStore) -> None:
    store.write([temperature(20.0), temperature(24.5, minutes(3))])
    rows = select(
        store,
        f"""SELECT ?v ?result WHERE {{
              GRAPH <{STATE_GRAPH}> {{ ?s sosa:hasSimpleResult ?v ; tr:latestObservation ?obs }}
              ?obs sosa:hasResult/qudt:numericValue ?result ; sosa:resultTime ?t .
              GRAPH <{STATE_GRAPH}> {{ ?s sosa:resultTime ?t }} }}""",
    )
    assert rows == [("24.5", "24.5")]


def test_things_are_written_once_and_rewritten_when_they_change(store: TwinStore) -> None:
    assert store.write([temperature(1.0), temperature(2.0, minutes(1))]).things == 1
    assert store.write([temperature(3.0, minutes(2))]).things == 0
    moved = ThingInfo(
        SENSOR, "m", "saref:Sensor", "Living room", Placement("hall", (1.0, 2.0, 3.0))
    )
    assert store.write([message([("temperature", 4.0, "DEG_C")], info=moved)]).things == 1
    things = "https://w3id.org/semantic-translator/graph/things"
    assert select(store, f"SELECT ?area WHERE {{ GRAPH <{things}> {{ ?t tr:area ?area }} }}") == [
        ("hall",)
    ]
    assert count(store, f"GRAPH <{things}> {{ <{SENSOR}> tr:positionY ?y }}") == 1
    assert store.known_things() == 1


def test_a_thing_that_cannot_be_described_is_logged_not_fatal(
    store: TwinStore, caplog: pytest.LogCaptureFixture
) -> None:
    bad = ThingInfo(SENSOR, "m", type="no such type")
    with caplog.at_level(logging.WARNING, logger="translator.twin.things"):
        stats = store.write([message([("temperature", 4.0, "DEG_C")], info=bad)])
    assert stats.readings == 1
    assert "not described" in caplog.text
    assert store.known_things() == 0


def test_data_and_state_survive_a_restart(disk_path: Path) -> None:
    with TwinStore.open(disk_path) as store:
        store.write([message([("temperature", 21.5, "DEG_C"), ("onOff", True, None)])])
        store.write([temperature(22.0, minutes(1))])
        before = store.latest()
        observations = count(store, "?o a sosa:Observation")
    with TwinStore.open(disk_path) as store:
        assert store.latest() == before
        assert count(store, "?o a sosa:Observation") == observations == 3
        assert store.known_things() == 1
        assert store.write([temperature(5.0, minutes(0.5))]).stale_readings == 1  # index rebuilt
        assert store.write([temperature(30.0, minutes(2))]).things == 0  # registry rebuilt
        assert [e.value for e in store.latest(SENSOR) if e.property == "temperature"] == [30.0]


def test_a_half_written_state_update_is_repaired_at_open(disk_path: Path) -> None:
    with TwinStore.open(disk_path) as store:
        store.write([temperature(20.0)])
        old = state_quads(store.latest()[0])
        store.write([temperature(25.0, minutes(1))])
    raw = ox.Store(str(disk_path))  # a crash after adding the new state, before removing the old
    raw.extend(old)
    assert len(list(raw.quads_for_pattern(None, None, None, ox.NamedNode(STATE_GRAPH)))) > 7
    del raw
    with TwinStore.open(disk_path) as store:
        assert [(e.value, e.time) for e in store.latest()] == [(25.0, minutes(1))]
        assert count(store, f"GRAPH <{STATE_GRAPH}> {{ ?s ?p ?o }}") == 7
    with TwinStore.open(disk_path) as store:  # and the repair was written
        assert [e.value for e in store.latest()] == [25.0]


def test_read_only_store_answers_queries_but_refuses_writes(disk_path: Path) -> None:
    with TwinStore.open(disk_path) as store:
        store.write([temperature(20.0)])
    with TwinStore.open(disk_path, read_only=True) as store:
        assert count(store, "?o a sosa:Observation") == 1
        assert [e.value for e in store.latest()] == [20.0]
        with pytest.raises(StoreError, match="read-only"):
            store.write([temperature(1.0)])


def test_a_store_in_use_or_closed_says_so(disk_path: Path) -> None:
    with TwinStore.open(disk_path) as store:
        with pytest.raises(StoreError, match="another translator"):
            TwinStore.open(disk_path)
        store.close()
        with pytest.raises(StoreError, match="closed"):
            store.query("ASK { ?s ?p ?o }")
        with pytest.raises(StoreError, match="closed"):
            store.write([temperature(1.0)])
    with TwinStore.open(disk_path):  # closing released it
        pass


def test_readers_see_consistent_snapshots_while_a_writer_writes(store: TwinStore) -> None:
    batches = [
        [temperature(float(i * 10 + j), minutes(i * 10 + j)) for j in range(10)] for i in range(20)
    ]
    seen: list[int] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            while not done.is_set():
                seen.append(count(store, "?o a sosa:Observation"))
                assert len(store.latest()) <= 1
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    done = threading.Event()
    reader = threading.Thread(target=read)
    reader.start()
    for batch in batches:
        store.write(batch)
    done.set()
    reader.join(timeout=60)
    assert not errors
    assert seen == sorted(seen)  # never goes back
    assert all(n % 10 == 0 for n in seen)  # a batch is seen whole or not at all
    assert count(store, "?o a sosa:Observation") == 200
    assert [e.value for e in store.latest()] == [199.0]


def test_meta_graph_holds_mappings_and_the_ontology_once(store: TwinStore, tmp_path: Path) -> None:
    class Plan:
        def __init__(self, version: str) -> None:
            self.id, self.version, self.file = "zigbee2mqtt-climate", version, "mappings/z.yaml"

    ontology = tmp_path / "onto"
    ontology.mkdir()
    (ontology / "a.ttl").write_text("<urn:a> <urn:p> <urn:b> .\n")
    first = store.load_meta([Plan("1")], ontology=ontology)
    assert first == 5 + 2  # mapping node + triple + mark
    assert store.load_meta([Plan("1")], ontology=ontology) == 0
    (ontology / "a.ttl").write_text("<urn:a> <urn:p> <urn:c> .\n")
    assert store.load_meta([Plan("2")], ontology=ontology) == 5 + 2
    meta = "https://w3id.org/semantic-translator/graph/meta"
    assert select(store, f"SELECT ?o WHERE {{ GRAPH <{meta}> {{ <urn:a> <urn:p> ?o }} }}") == [
        ("urn:c",)
    ]
    versions = select(
        store, f"SELECT ?v WHERE {{ GRAPH <{meta}> {{ ?m a tr:Mapping ; owl:versionInfo ?v }} }}"
    )
    assert sorted(versions) == [("1",), ("2",)]


def test_the_shipped_ontology_joins_with_observations(store: TwinStore) -> None:
    store.load_meta()
    store.write([temperature(20.0)])
    rows = select(
        store,
        "SELECT DISTINCT ?kind WHERE { ?obs sosa:hasResult/qudt:unit ?u . "
        "?u qudt:hasQuantityKind ?kind }",
    )
    assert ("http://qudt.org/vocab/quantitykind/Temperature",) in rows


def test_a_broken_state_node_without_observations_is_dropped(disk_path: Path) -> None:
    with TwinStore.open(disk_path) as store:
        store.write([temperature(20.0)])
    raw = ox.Store(str(disk_path))
    node = ox.NamedNode("https://w3id.org/semantic-translator/id/state/0/orphan")
    state = ox.NamedNode(STATE_GRAPH)
    raw.extend(
        [
            ox.Quad(
                node,
                ox.NamedNode("http://www.w3.org/ns/sosa/hasSimpleResult"),
                ox.Literal(1.0),
                state,
            ),
            ox.Quad(
                node,
                ox.NamedNode("http://www.w3.org/ns/sosa/hasSimpleResult"),
                ox.Literal(2.0),
                state,
            ),
        ]
    )
    del raw
    with TwinStore.open(disk_path) as store:
        assert [e.value for e in store.latest()] == [20.0]
        assert count(store, f"GRAPH <{STATE_GRAPH}> {{ <{node.value}> ?p ?o }}") == 0


def test_what_the_real_pipeline_translates_can_be_stored(store: TwinStore) -> None:
    pipeline = build_pipeline(Settings())
    outcome = pipeline.translate(
        Envelope(
            Protocol.MQTT,
            "zigbee2mqtt/living_room_sensor",
            b'{"temperature": 21.5, "humidity": 40.2}',
            minutes(0),
        )
    )
    assert isinstance(outcome, Translated), outcome
    store.write([outcome])
    latest = {e.property: (e.value, e.unit) for e in store.latest()}
    assert latest == {r.property: (r.value, r.unit) for r in outcome.readings}
    rows = select(
        store,
        f"""SELECT ?p ?v WHERE {{ GRAPH <{STATE_GRAPH}> {{ ?s tr:latestObservation ?obs }}
              ?obs sosa:observedProperty ?p ; sosa:hasResult/qudt:numericValue ?v }}""",
    )
    assert len(rows) == len(outcome.readings)  # each state entry points to its own observation
    assert {(p.rsplit("/", 1)[1], float(v)) for p, v in rows} == {
        (r.property, r.value) for r in outcome.readings
    }


HOSTILE = 'a"b\\c\nd\re\0f\u2028g > . "^^<urn:x> _:b0 é😀'


@pytest.mark.parametrize("bulk_from", [1, 10**9], ids=["bulk_load", "load"])
def test_hostile_text_is_stored_exactly_by_both_inserts(
    disk_path: Path, monkeypatch: pytest.MonkeyPatch, bulk_from: int
) -> None:
    monkeypatch.setattr("translator.twin.store.BULK_MIN_QUADS", bulk_from)
    info = ThingInfo(PLUG, "m", "saref:Switch", HOSTILE, Placement(HOSTILE), (("device", HOSTILE),))
    sent = message(
        [("action", HOSTILE, None), ("power", 12.5, "W")],
        thing=PLUG,
        channel=HOSTILE,
        info=info,
    )
    with TwinStore.open(disk_path) as store:
        assert store.write([sent]).quads == len(sent.quads) == 6 + 6 + 9
        assert [e.value for e in store.latest(PLUG) if e.property == "action"] == [HOSTILE]
    raw = ox.Store(str(disk_path))
    assert set(raw.quads_for_pattern(None, None, None, ox.DefaultGraph())) == set(sent.quads)
    things = ox.NamedNode("https://w3id.org/semantic-translator/graph/things")
    labels = [q.object for q in raw.quads_for_pattern(None, None, None, things)]
    assert ox.Literal(HOSTILE) in labels
    assert ox.Literal(f"device={HOSTILE}") in labels


def test_a_family_describing_a_thing_alike_does_not_rewrite_it(store: TwinStore) -> None:
    changes: list[tuple[int, int]] = []
    store.add_change_listener(lambda added, removed: changes.append((len(added), len(removed))))
    state = ThingInfo(PLUG, "tasmota-state", "saref:Switch", "Plug", None, (("device", "p"),))
    power = replace(state, mapping_id="tasmota-power")  # same description, other mapping

    def plug(info: ThingInfo, minute: float) -> Translated:
        return message([("onOff", True, None)], thing=PLUG, at=minutes(minute), info=info)

    assert store.write([plug(state, 0)]).things == 1
    changes.clear()
    assert store.write([plug(power, 1), plug(state, 2), plug(power, 3)]).things == 0
    assert all(added == removed == 2 for added, removed in changes)  # the state only
    registered = f"GRAPH <{THINGS_GRAPH}> {{ <{PLUG}> tr:registeredBy ?m }}"
    assert select(store, f"SELECT ?m WHERE {{ {registered} }}") == [("tasmota-state",)]
    relabeled = replace(power, label="Desk plug")
    assert store.write([plug(relabeled, 4)]).things == 1  # a new description: rewritten
    assert select(store, f"SELECT ?m WHERE {{ {registered} }}") == [("tasmota-power",)]
    assert store.write([plug(state, 5), plug(relabeled, 6), plug(state, 7)]).things == 1  # net
    assert select(store, f"SELECT ?m WHERE {{ {registered} }}") == [("tasmota-state",)]
    labels = f"GRAPH <{THINGS_GRAPH}> {{ <{PLUG}> rdfs:label ?l }}"
    assert select(store, f"SELECT ?l WHERE {{ {labels} }}") == [("Plug",)]


def test_a_prepared_message_carries_its_history_as_text(store: TwinStore) -> None:
    sent = message([("temperature", 21.5, "DEG_C"), ("onOff", True, None)])
    prepared = store.prepare(sent)
    assert prepared.triples == len(sent.quads) == 6 + 9 + 6
    assert list(ox.parse(prepared.history, format=ox.RdfFormat.N_QUADS)) == list(sent.quads)
    assert prepared.envelope_key is not None
    assert f"/envelope/{prepared.envelope_key}>" in prepared.history
    assert (prepared.readings, prepared.things) == (sent.readings, sent.things)
    stats = store.write_prepared([prepared])
    assert (stats.quads, stats.state_updates) == (21, 2)
    assert count(store, "?o a sosa:Observation") == 2


def test_a_message_without_history_updates_the_state_only(store: TwinStore) -> None:
    sent = temperature(20.0)
    bare = Translated(sent.envelope, sent.mapping_id, sent.readings, sent.things)
    assert store.prepare(bare).envelope_key is None
    assert store.write([bare]).quads == 0
    assert count(store, "?o a sosa:Observation") == 0
    assert [(e.value, e.observation) for e in store.latest()] == [(20.0, None)]
