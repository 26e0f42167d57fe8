"""Retention deletes old history, never the latest state nor what it points to."""

from __future__ import annotations

from twin_samples import PLUG, STATE_GRAPH, message, minutes, temperature

from translator.rdf.observations import envelope_of
from translator.twin.sparql import SelectResult
from translator.twin.store import TwinStore


def count(store: TwinStore, pattern: str) -> int:
    result = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
    assert isinstance(result, SelectResult)
    return int(result.solutions[0]["n"].value)  # type: ignore[union-attr]


def history_quads(store: TwinStore) -> int:
    return count(store, "?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } }")


def test_old_observations_their_results_and_envelopes_go(store: TwinStore) -> None:
    old = [temperature(float(i), minutes(i)) for i in range(5)]  # 10:00 … 10:04
    new = [temperature(float(i), minutes(i)) for i in range(10, 13)]  # 10:10 … 10:12
    store.write(old + new)
    state_before = count(store, f"GRAPH <{STATE_GRAPH}> {{ ?s ?p ?o }}")
    assert store.apply_retention(minutes(10)) == 5
    assert count(store, "?o a sosa:Observation") == 3
    assert count(store, "?r a qudt:QuantityValue") == 3
    assert count(store, "?e a tr:Envelope") == 3
    assert history_quads(store) == 3 * 15  # nothing dangling: exactly three whole messages
    for gone in old:
        env = envelope_of(gone.quads)
        assert count(store, f"<{env.value}> ?p ?o") == 0  # type: ignore[union-attr]
    assert count(store, f"GRAPH <{STATE_GRAPH}> {{ ?s ?p ?o }}") == state_before
    assert store.apply_retention(minutes(10)) == 0


def test_the_observation_the_state_points_to_is_kept(store: TwinStore) -> None:
    store.write(
        [
            temperature(1.0, minutes(0)),
            temperature(2.0, minutes(1)),  # latest temperature, but old
            message([("onOff", True, None)], thing=PLUG, at=minutes(2)),  # latest of the plug
            message([("onOff", False, None)], thing=PLUG, at=minutes(30)),
        ]
    )
    assert store.apply_retention(minutes(20)) == 2
    kept = count(
        store,
        f"GRAPH <{STATE_GRAPH}> {{ ?s tr:latestObservation ?o }} ?o prov:wasDerivedFrom ?e . "
        "?e tr:channel ?c",
    )
    assert kept == 2  # both state entries still lead to their observation and envelope
    assert [e.value for e in store.latest()] == [False, 2.0]


def test_envelopes_shared_by_kept_and_deleted_observations_stay(store: TwinStore) -> None:
    both = message([("temperature", 20.0, "DEG_C"), ("relativeHumidity", 40.0, "PERCENT_RH")])
    store.write([both, message([("relativeHumidity", 41.0, "PERCENT_RH")], at=minutes(5))])
    # the old temperature is the latest temperature, so it stays; its humidity goes
    assert store.apply_retention(minutes(3)) == 1
    env = envelope_of(both.quads)
    assert count(store, f"<{env.value}> a tr:Envelope") == 1  # type: ignore[union-attr]
    assert count(store, "?o a sosa:Observation") == 2
