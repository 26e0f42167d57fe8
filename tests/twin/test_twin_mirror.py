"""The in-memory mirror of the small graphs stays exactly in step with the store."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pyoxigraph as ox
import pytest
from twin_samples import PLUG, message, minutes, temperature

from translator.errors import QueryError, StoreError
from translator.rdf.namespaces import META_GRAPH, STATE_GRAPH, THINGS_GRAPH
from translator.twin.endpoint import protocol_query, run_update
from translator.twin.mirror import MIRRORED_GRAPHS, SCENE_GRAPH, GraphMirror
from translator.twin.sparql import SelectResult
from translator.twin.store import TwinStore
from translator.values import Translated

Row = tuple[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None, ...]
EVERY_GRAPH = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
SCENE = ox.NamedNode(SCENE_GRAPH)
TR = "https://w3id.org/semantic-translator/ns#"
VALUE = "http://www.w3.org/ns/sosa/hasSimpleResult"
DOUBLE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#double")


def store_graphs(store: TwinStore) -> set[Row]:
    """The mirrored graphs as the store holds them."""
    result = store.query(EVERY_GRAPH)
    assert isinstance(result, SelectResult)
    rows = {tuple(solution) for solution in result.solutions}
    return {
        row for row in rows if isinstance(row[3], ox.NamedNode) and row[3].value in MIRRORED_GRAPHS
    }


def mirror_graphs(mirror: GraphMirror) -> set[Row]:
    snapshot = mirror.snapshot()
    assert snapshot is not None, "the mirror is not in step"
    return {(q.subject, q.predicate, q.object, q.graph_name) for q in snapshot}


def assert_in_step(mirror: GraphMirror, store: TwinStore) -> None:
    expected = store_graphs(store)
    assert mirror_graphs(mirror) == expected
    assert mirror.stats().quads == len(expected)


def power(watts: float, at: datetime) -> Translated:
    return message([("power", watts, "W")], at=at, thing=PLUG, channel="tasmota/plug/SENSOR")


def scene_quad(thing: str, node: str) -> ox.Quad:
    return ox.Quad(ox.NamedNode(thing), ox.NamedNode(TR + "sceneNode"), ox.Literal(node), SCENE)


def test_seeded_from_what_the_store_already_holds(store: TwinStore) -> None:
    store.write([temperature(20.0), message([("onOff", True, None)], thing=PLUG)])
    store.load_meta()
    mirror = GraphMirror.attach(store)
    assert_in_step(mirror, store)
    assert mirror.stats().resyncs == 1
    assert {row[3].value for row in mirror_graphs(mirror)} == {  # type: ignore[union-attr]
        STATE_GRAPH,
        THINGS_GRAPH,
        META_GRAPH,
    }


def test_seeded_again_after_reopening(disk_path: Path) -> None:
    with TwinStore.open(disk_path) as store:
        store.write([temperature(20.0), temperature(21.0, minutes(1))])
        store.replace_graph(SCENE, [scene_quad(PLUG, "plug-mesh")])
    with TwinStore.open(disk_path) as reopened:
        mirror = GraphMirror.attach(reopened)
        assert_in_step(mirror, reopened)
        assert any(row[3] == SCENE for row in mirror_graphs(mirror))


def test_follows_writes_and_replaced_state(store: TwinStore) -> None:
    mirror = GraphMirror.attach(store)
    for i in range(6):
        plug = [("onOff", i % 2 == 0, None), ("power", 3.0 * i, "W")]
        store.write([temperature(20.0 + i, minutes(i)), message(plug, at=minutes(i), thing=PLUG)])
        assert_in_step(mirror, store)
    store.write([temperature(5.0, minutes(-1))])  # stale: nothing changes
    assert_in_step(mirror, store)
    assert mirror.stats().removals > 0


def test_follows_a_thing_described_anew(store: TwinStore) -> None:
    mirror = GraphMirror.attach(store)
    store.write([temperature(20.0)])
    moved = message([("temperature", 21.0, "DEG_C")], at=minutes(1))
    relabelled = replace(moved.things[0], label="Moved sensor", placement=None)
    store.write([replace(moved, things=(relabelled,))])
    assert_in_step(mirror, store)
    assert any(row[2] == ox.Literal("Moved sensor") for row in mirror_graphs(mirror))


def test_retention_leaves_it_in_step(store: TwinStore) -> None:
    mirror = GraphMirror.attach(store)
    store.write([temperature(float(i), minutes(i)) for i in range(5)])
    before = mirror_graphs(mirror)
    assert store.apply_retention(minutes(3)) == 3
    assert_in_step(mirror, store)
    assert mirror_graphs(mirror) == before  # retention never touches the named graphs


def test_follows_replace_graph_and_ignores_other_graphs(store: TwinStore) -> None:
    mirror = GraphMirror.attach(store)
    first = [scene_quad(PLUG, "plug"), scene_quad("urn:dev:x", "x")]
    store.replace_graph(SCENE, first)
    assert_in_step(mirror, store)
    store.replace_graph(SCENE, [scene_quad(PLUG, "plug"), scene_quad("urn:dev:y", "y")])
    assert_in_step(mirror, store)
    notes = ox.NamedNode("urn:graph:notes")
    note = ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.Literal("c"), notes)
    store.replace_graph(notes, [note])
    assert all(row[3] != notes for row in mirror_graphs(mirror))
    store.replace_graph(SCENE, [])
    assert_in_step(mirror, store)


def test_follows_an_ontology_reload(store: TwinStore, tmp_path: Path) -> None:
    """Reloading removes the old meta graph, then adds the new one: shared quads stay."""
    folder = tmp_path / "ontology"
    folder.mkdir()
    (folder / "a.ttl").write_text("<urn:a> <urn:p> 1 .\n<urn:shared> <urn:p> [ <urn:q> 2 ] .\n")
    (folder / "b.ttl").write_text("<urn:b> <urn:p> 1 .\n")
    mirror = GraphMirror.attach(store)
    assert store.load_meta(ontology=folder) > 0
    assert_in_step(mirror, store)
    (folder / "b.ttl").write_text("<urn:b> <urn:p> 2 .\n")
    assert store.load_meta(ontology=folder) >= 0
    assert_in_step(mirror, store)
    assert any(row[0] == ox.NamedNode("urn:a") for row in mirror_graphs(mirror))


def test_rebuilds_after_many_removals_without_disturbing_readers(store: TwinStore) -> None:
    mirror = GraphMirror.attach(store, rebuild_after=10)
    store.write([temperature(20.0)])
    held = mirror.snapshot()
    assert held is not None
    for i in range(1, 8):
        store.write([temperature(20.0 + i, minutes(i))])  # 3 state quads replaced each time
    assert mirror.stats().rebuilds >= 1
    assert mirror.snapshot() is not held
    assert len(list(held.quads_for_pattern(None, None, None, None))) > 0  # still readable
    assert_in_step(mirror, store)
    assert mirror.stats().removals < 10


def test_a_query_started_on_a_store_finishes_on_it(store: TwinStore) -> None:
    mirror = GraphMirror.attach(store, rebuild_after=1)
    store.write([temperature(20.0)])
    held = mirror.snapshot()
    assert held is not None
    results = held.query(f"SELECT ?v WHERE {{ GRAPH <{STATE_GRAPH}> {{ ?s <{VALUE}> ?v }} }}")
    store.write([temperature(21.0, minutes(1))])  # rebuilds: a new store replaces ``held``
    assert mirror.snapshot() is not held
    assert isinstance(results, ox.QuerySolutions)
    assert [s["v"] for s in results] == [ox.Literal("20", datatype=DOUBLE)]


def test_an_update_pauses_it_and_it_copies_the_result(store: TwinStore) -> None:
    mirror = GraphMirror.attach(store)
    store.write([temperature(20.0)])
    update = f'INSERT DATA {{ GRAPH <{THINGS_GRAPH}> {{ <urn:dev:new> rdfs:label "new" }} }}'
    run_update(store, update, mirror=mirror)
    assert_in_step(mirror, store)
    assert mirror.stats().resyncs == 2
    with mirror.paused():
        assert mirror.snapshot() is None
        assert mirror.store_for(f"ASK {{ GRAPH <{STATE_GRAPH}> {{ ?s ?p ?o }} }}") is None
    assert mirror.snapshot() is not None


def test_a_failed_update_leaves_it_in_step(store: TwinStore) -> None:
    mirror = GraphMirror.attach(store)
    with pytest.raises(QueryError, match="invalid SPARQL update"):
        run_update(store, "INSERT DATA { nonsense", mirror=mirror)
    assert_in_step(mirror, store)


def test_resync_while_writing_stays_exact(store: TwinStore) -> None:
    """Changes told while the graphs are copied are replayed on the copy."""
    mirror = GraphMirror.attach(store, rebuild_after=50)
    stop = threading.Event()

    def resync_often() -> None:
        while not stop.is_set():
            mirror.resync()

    worker = threading.Thread(target=resync_often)
    worker.start()
    try:
        for i in range(60):
            store.write([temperature(float(i), minutes(i)), power(float(i), minutes(i))])
    finally:
        stop.set()
        worker.join()
    assert_in_step(mirror, store)


def test_readers_during_writes_and_rebuilds_never_fail(store: TwinStore) -> None:
    mirror = GraphMirror.attach(store, rebuild_after=20)
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{STATE_GRAPH}> {{ ?s a tr:State }} }}"
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                result = protocol_query(store, query, mirror=mirror)
                assert isinstance(result, SelectResult)
                assert int(result.solutions[0]["n"].value) in (0, 1, 2)
        except BaseException as err:  # reported by the main thread
            errors.append(err)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for i in range(40):
            store.write([temperature(float(i), minutes(i)), power(float(i), minutes(i))])
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert not errors
    assert_in_step(mirror, store)


def test_an_unattached_mirror_is_a_copy_of_its_time(store: TwinStore) -> None:
    """Without the listener nothing changes it: what ``attach`` adds is the following."""
    mirror = GraphMirror(store)
    assert mirror.snapshot() is None
    mirror.resync()
    store.write([temperature(20.0)])
    assert mirror_graphs(mirror) == set()
    mirror.resync()
    assert_in_step(mirror, store)


def test_a_closed_store_cannot_seed_it(tmp_path: Path) -> None:
    store = TwinStore.open(tmp_path / "store")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        GraphMirror.attach(store)
