"""The hub: every translated reading, once, to every subscriber whose filter wants it.

The intake calls ``Hub.publish`` with each ``Translated`` right after translation (before the
store has it). Per reading the hub serializes one message (``StreamEvent``, numbered by a
monotonically increasing ``seq``), updates its own latest-state cache and its ring of recent
events, then offers the event to each matching subscriber's bounded queue: O(subscribers)
``offer`` calls that never wait (see ``queues.py`` for the overflow policy). So a slow client
costs the hub one dropped message, never a wait.

Consistency: everything runs on the event loop's thread, and ``subscribe`` takes the
snapshot (or the replay) and registers the queue in one step, without awaiting in between:
a subscriber sees each later event exactly once, after its snapshot.

Sequence numbers start at the wall clock in microseconds when the hub is built and count up
by one per event, so they keep increasing across restarts (a client's ``Last-Event-ID`` from
a previous run is older than anything in the ring, and it gets a fresh snapshot).

The latest-state cache keeps, per (thing, property), the event with the newest ``time``,
like the store's state graph (an older reading arriving late is streamed, but does not
replace the state). It is seeded from the store at start (``seed``).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice

from translator.rdf.identifiers import envelope_key, observation_iri
from translator.rdf.observations import envelope_node
from translator.stream.filters import ANY, StreamFilter
from translator.stream.message import (
    Fact,
    Observation,
    Source,
    StreamEvent,
    ThingMeta,
    fact_body,
    source_fields,
)
from translator.stream.queues import EventSink
from translator.values import ThingInfo, Translated

logger = logging.getLogger(__name__)

Key = tuple[str, str]  # (thing IRI, property)


@dataclass(frozen=True, slots=True)
class SeedEntry:
    """One latest-state entry read from the store at start."""

    observation: Observation
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class Start:
    """What a new subscriber gets first: a snapshot of the latest state, or a replay.

    ``seq`` is the sequence number of the newest event the hub had published when the
    subscription began: every later event reaches the subscriber's queue.
    """

    events: tuple[StreamEvent, ...]
    seq: int
    replay: bool  # True: ``events`` are the events after the client's last id, in order


@dataclass(slots=True)
class _Subscriber:
    sink: EventSink
    filter: StreamFilter
    latest_only: bool
    everything: bool = field(init=False)  # the filter accepts all: skip it on the hot path

    def __post_init__(self) -> None:
        self.everything = self.filter.accepts_all


class Hub:
    """Fan-out of normalized messages with a latest-state cache and a replay ring."""

    def __init__(self, *, ring_size: int = 10_000, first_seq: int | None = None) -> None:
        self._seq = (time.time_ns() // 1000 if first_seq is None else first_seq) - 1
        self._ring: deque[StreamEvent] = deque(maxlen=ring_size)
        self._latest: dict[Key, StreamEvent] = {}
        self._things: dict[str, ThingMeta] = {}
        self._subscribers: list[_Subscriber] = []
        self.published = 0  # events since start

    @property
    def seq(self) -> int:
        """Sequence number of the newest event (one less than the first, before any)."""
        return self._seq

    @property
    def subscribers(self) -> int:
        """How many sinks are attached."""
        return len(self._subscribers)

    def thing(self, iri: str) -> ThingMeta | None:
        """What the hub knows about a thing."""
        return self._things.get(iri)

    # -- input ------------------------------------------------------------------------------

    def seed(self, things: Iterable[tuple[str, ThingMeta]], entries: Iterable[SeedEntry]) -> int:
        """Fill the thing registry and the latest-state cache (from the store, at start).

        Seeded entries get sequence numbers but are not offered to subscribers or put in
        the ring. Returns how many entries entered the cache.

        Raises:
            RuntimeError: events were published already (the ring must stay gapless).
        """
        if self.published:
            raise RuntimeError("seed the hub before publishing to it")
        self._things.update(things)
        count = 0
        for entry in entries:
            obs, source = entry.observation, entry.source
            fields = None if source is None else source_fields(source)
            if self._remember(self._event(obs, obs.iri, fields)):
                count += 1
        return count

    def publish(self, translated: Translated) -> None:
        """Stream the readings of one translated envelope (never blocks)."""
        for info in translated.things:
            self._learn(info)
        envelope = envelope_node(translated.graph)  # no quads made: the index's first node
        key = None if envelope is None else envelope_key(envelope.value)
        source = source_fields(
            Source(
                protocol=translated.envelope.protocol.value,
                mapping=translated.mapping_id,
                channel=translated.envelope.channel,
                envelope=None if envelope is None else envelope.value,
            )
        )
        for index, reading in enumerate(translated.readings):
            iri = None if key is None else observation_iri(key, index)
            self._fan_out(self._event(reading, iri, source))

    def _learn(self, info: ThingInfo) -> None:
        area = info.placement.area if info.placement is not None else None
        known = self._things.get(info.iri)
        if known is None or known.type != info.type or known.area != area:
            self._things[info.iri] = ThingMeta(type=info.type, area=area)

    def _event(self, fact: Fact, iri: str | None, source: dict[str, str] | None) -> StreamEvent:
        meta = self._things.get(fact.thing)
        self._seq += 1
        return StreamEvent(
            seq=self._seq,
            thing=fact.thing,
            property=fact.property,
            time=fact.time,
            type_iri=None if meta is None else meta.type_iri,
            area=None if meta is None else meta.area,
            body=fact_body(fact, iri, meta, source),
        )

    def _remember(self, event: StreamEvent) -> bool:
        key = (event.thing, event.property)
        current = self._latest.get(key)
        if current is not None and current.time > event.time:
            return False
        self._latest[key] = event
        return True

    def _fan_out(self, event: StreamEvent) -> None:
        self.published += 1
        self._ring.append(event)
        newest = self._remember(event)
        gone = False
        for subscriber in self._subscribers:  # the hot loop: O(subscribers) per reading
            sink = subscriber.sink
            if sink.closed:
                gone = True
            elif subscriber.latest_only and not newest:
                continue
            elif subscriber.everything or subscriber.filter.matches(event):
                sink.offer(event)
        if gone:
            self._subscribers = [s for s in self._subscribers if not s.sink.closed]

    # -- output -----------------------------------------------------------------------------

    def subscribe(
        self, sink: EventSink, stream_filter: StreamFilter = ANY, *, after: int | None = None
    ) -> Start:
        """Attach ``sink`` and say what the subscriber gets before its first live event.

        With ``after`` (a client's last seen ``seq``): a replay of the matching events since,
        when the ring still holds all of them; otherwise (or without ``after``) a snapshot
        of the latest state that matches the filter.
        """
        replay = None if after is None else self.replay(after, stream_filter)
        self._subscribers.append(_Subscriber(sink, stream_filter, latest_only=False))
        logger.debug("subscribed (%d now): %s", len(self._subscribers), stream_filter)
        if replay is not None:
            return Start(replay, self._seq, replay=True)
        return Start(self.snapshot(stream_filter), self._seq, replay=False)

    def attach(self, sink: EventSink, *, latest_only: bool = False) -> tuple[StreamEvent, ...]:
        """Attach an internal sink to every event (``latest_only``: only state updates).

        Returns the latest-state snapshot, for the sink to start from.
        """
        self._subscribers.append(_Subscriber(sink, ANY, latest_only=latest_only))
        return self.snapshot(ANY)

    def close(self) -> None:
        """Close every attached sink, so their consumers end (at shutdown)."""
        for subscriber in self._subscribers:
            subscriber.sink.close()
        self._subscribers = []

    def unsubscribe(self, sink: EventSink) -> None:
        """Detach ``sink`` (idempotent)."""
        self._subscribers = [s for s in self._subscribers if s.sink is not sink]
        logger.debug("unsubscribed (%d left)", len(self._subscribers))

    def snapshot(self, stream_filter: StreamFilter = ANY) -> tuple[StreamEvent, ...]:
        """The latest event of each (thing, property) passing ``stream_filter``, by seq."""
        events = (e for e in self._latest.values() if stream_filter.matches(e))
        return tuple(sorted(events, key=_by_seq))

    def replay(
        self, after: int, stream_filter: StreamFilter = ANY
    ) -> tuple[StreamEvent, ...] | None:
        """The matching events with ``seq > after``, or ``None`` when the ring lost some.

        ``after`` in the future (a client of another hub) also gives ``None``.
        """
        if after > self._seq:
            return None
        if after == self._seq:
            return ()
        if not self._ring or self._ring[0].seq > after + 1:
            return None
        start = after + 1 - self._ring[0].seq  # the ring holds consecutive seqs
        return tuple(e for e in islice(self._ring, start, None) if stream_filter.matches(e))


def _by_seq(event: StreamEvent) -> int:
    return event.seq
