"""The hub: filtered fan-out, snapshot + deltas, latest-state rules, replay ring, seeding."""

from __future__ import annotations

import json

import pytest
from stream_samples import PLUG, SENSOR, T0, at, power, translated

from translator.stream.filters import StreamFilter
from translator.stream.hub import Hub, SeedEntry
from translator.stream.message import Observation, Source, StreamEvent, ThingMeta
from translator.stream.queues import ClientQueue, CoalescingQueue


def seqs(events: list[StreamEvent] | tuple[StreamEvent, ...]) -> list[int]:
    return [e.seq for e in events]


def body(event: StreamEvent) -> dict[str, object]:
    decoded = json.loads(event.body)
    assert isinstance(decoded, dict)
    return decoded


def test_sequence_numbers_increase_by_one_from_the_given_start() -> None:
    hub = Hub(first_seq=100)
    assert hub.seq == 99
    hub.publish(translated([("power", 1.0, "W"), ("energy", 2.0, "KiloW-HR")]))
    hub.publish(power(3.0))
    assert seqs(hub.snapshot()) == [101, 102]  # power (newest, 102) and energy (101), by seq
    assert (hub.seq, hub.published) == (102, 3)


def test_default_start_is_the_wall_clock_in_microseconds() -> None:
    import time

    before = time.time_ns() // 1000
    assert Hub().seq >= before - 1


async def test_subscribers_get_what_their_filter_wants() -> None:
    hub = Hub()
    plugs, sensors, everything = ClientQueue(10), ClientQueue(10), ClientQueue(10)
    hub.subscribe(plugs, StreamFilter.build(types=["saref:Switch"]))
    hub.subscribe(sensors, StreamFilter.build(things=[SENSOR], properties=["temperature"]))
    hub.subscribe(everything)
    hub.publish(power(5.0))
    hub.publish(
        translated(
            [("temperature", 21.0, "DEG_C"), ("relativeHumidity", 40.0, "PERCENT_RH")],
            thing=SENSOR,
            kind="saref:Sensor",
            area="living-room",
        )
    )
    assert [e.property for e in plugs.take_nowait(10)] == ["power"]
    assert [e.property for e in sensors.take_nowait(10)] == ["temperature"]
    assert len(everything.take_nowait(10)) == 3


def test_snapshot_then_deltas_see_each_event_exactly_once() -> None:
    hub = Hub()
    hub.publish(power(1.0))
    queue = ClientQueue(10)
    start = hub.subscribe(queue)
    assert not start.replay
    assert [body(e)["value"] for e in start.events] == [1.0]
    assert start.seq == hub.seq
    hub.publish(power(2.0, when=at(1)))
    (delta,) = queue.take_nowait(10)
    assert delta.seq == start.seq + 1
    assert body(delta)["value"] == 2.0


def test_a_late_older_reading_is_streamed_but_does_not_replace_the_state() -> None:
    hub = Hub()
    internal: list[StreamEvent] = []
    retained = CoalescingQueue(10)
    hub.attach(retained, latest_only=True)
    client = ClientQueue(10)
    hub.subscribe(client)
    hub.publish(power(2.0, when=at(10)))
    hub.publish(power(1.0, when=at(5)))  # older than the state
    internal.extend(client.take_nowait(10))
    assert [body(e)["value"] for e in internal] == [2.0, 1.0]
    assert [body(e)["value"] for e in hub.snapshot()] == [2.0]
    assert len(retained) == 1


def test_messages_carry_the_thing_type_and_area_from_thing_info() -> None:
    hub = Hub()
    hub.publish(power(1.0, kind="saref:Switch", area="kitchen"))
    (event,) = hub.snapshot()
    assert body(event)["thingType"] == "saref:Switch"
    assert body(event)["area"] == "kitchen"
    assert event.type_iri == "https://saref.etsi.org/core/Switch"
    hub.publish(power(2.0, kind="saref:Switch", area="hall", when=at(1)))  # moved
    assert hub.thing(PLUG) == ThingMeta("saref:Switch", "hall")
    assert StreamFilter.build(areas=["hall"]).matches(hub.snapshot()[0])


def test_replay_gives_the_events_after_an_id_while_the_ring_holds_them() -> None:
    hub = Hub(ring_size=5, first_seq=1)
    for n in range(8):
        hub.publish(power(float(n), when=at(n)))
    assert seqs(hub.replay(5) or ()) == [6, 7, 8]
    assert hub.replay(8) == ()
    assert seqs(hub.replay(3) or ()) == [4, 5, 6, 7, 8]  # the ring's first is 4
    assert hub.replay(2) is None  # 3 fell out of the ring
    assert hub.replay(99) is None  # not one of ours
    only_energy = StreamFilter.build(properties=["energy"])
    assert hub.replay(5, only_energy) == ()


def test_subscribe_with_a_known_id_replays_else_snapshots() -> None:
    hub = Hub(ring_size=3, first_seq=1)
    for n in range(5):
        hub.publish(power(float(n), when=at(n)))
    replayed = hub.subscribe(ClientQueue(10), after=3)
    assert replayed.replay
    assert seqs(replayed.events) == [4, 5]
    fresh = hub.subscribe(ClientQueue(10), after=1)
    assert not fresh.replay
    assert seqs(fresh.events) == [5]


def test_closed_sinks_are_forgotten_and_close_ends_everyone() -> None:
    hub = Hub()
    gone, staying = ClientQueue(2), ClientQueue(2)
    hub.subscribe(gone)
    hub.subscribe(staying)
    gone.close()
    hub.publish(power(1.0))
    assert hub.subscribers == 1
    hub.close()
    assert staying.closed
    assert hub.subscribers == 0


def test_seed_fills_the_state_and_thing_registry() -> None:
    hub = Hub(first_seq=10)
    source = Source("mqtt", "zigbee2mqtt-plug", "zigbee2mqtt/kitchen_plug", "urn:env:1")
    entries = [
        SeedEntry(Observation("urn:obs:1", PLUG, "power", 4.0, "W", T0), source),
        SeedEntry(Observation("urn:obs:0", PLUG, "power", 3.0, "W", at(-60))),  # older: ignored
    ]
    assert hub.seed([(PLUG, ThingMeta("saref:Switch", "kitchen"))], entries) == 1
    (event,) = hub.snapshot(StreamFilter.build(areas=["kitchen"]))
    assert body(event)["id"] == "urn:obs:1"
    assert body(event)["source"] == {
        "envelope": "urn:env:1",
        "protocol": "mqtt",
        "mapping": "zigbee2mqtt-plug",
        "channel": "zigbee2mqtt/kitchen_plug",
    }
    assert hub.replay(hub.seq) == ()  # seeded events are not in the ring, yet ids stay valid
    hub.publish(power(5.0, when=at(1)))
    assert seqs(hub.replay(hub.seq - 1) or ()) == [hub.seq]
    with pytest.raises(RuntimeError, match="before publishing"):
        hub.seed([], [])
