"""The intake's writer: write as soon as idle, batch what piles up meanwhile, push back when full.

A fake pipeline (payload ``bad`` is rejected, anything else translated) and a store whose
writes the test can hold open (``GatedStore``, written to from the writer's worker thread)
stand in for the real ones at the two seams the intake uses: ``translate`` and ``write``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import cast

import pytest

from translator.metrics import Metrics
from translator.pipeline import Pipeline
from translator.twin.deadletter import DeadLetterStore
from translator.twin.intake import BUFFER_BATCHES, Intake
from translator.twin.store import TwinStore
from translator.values import Envelope, Protocol, Provenance, Reading, Rejected, Translated

WAIT_S = 10.0
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def envelope(payload: bytes) -> Envelope:
    return Envelope(Protocol.MQTT, "plug/1", payload, T0, "application/json")


class FakePipeline:
    """``translate`` as the intake sees it: a verdict per envelope, never an exception."""

    def translate(self, envelope: Envelope) -> Translated | Rejected:
        if envelope.payload == b"bad":
            return Rejected(envelope, "decode", "not JSON")
        provenance = Provenance("plug", "1", Protocol.MQTT, envelope.channel)
        reading = Reading("urn:dev:plug:1", "power", 1.0, "W", T0, provenance)
        return Translated(envelope, "plug", (reading, reading))


class GatedStore:
    """Records each batch; while ``hold`` is set, a write blocks until ``release``."""

    def __init__(self) -> None:
        self.batches: list[list[bytes]] = []
        self.hold = threading.Event()
        self._open = threading.Event()
        self.started = threading.Semaphore(0)  # released as each write starts
        self.fail_next = False

    def write(self, batch: Sequence[Translated]) -> None:
        self.batches.append([t.envelope.payload for t in batch])
        self.started.release()
        if self.hold.is_set():
            self._open.wait(WAIT_S)
            self._open.clear()
        if self.fail_next:
            self.fail_next = False
            raise OSError("disk full")

    def prepare(self, message: Translated) -> Translated:
        """Stands in for ``TwinStore.prepare``: the fake writes what it is handed back."""
        return message

    def write_prepared(self, batch: Sequence[Translated]) -> None:
        self.write(batch)

    def release(self) -> None:
        self.hold.clear()
        self._open.set()


class RecordingDeadLetters:
    def __init__(self) -> None:
        self.letters: list[Rejected] = []

    def add_many(self, rejected: Sequence[Rejected]) -> None:
        self.letters.extend(rejected)


@asynccontextmanager
async def running(intake: Intake) -> AsyncIterator[asyncio.Task[None]]:
    writer = asyncio.create_task(intake.run(), name="intake-writer-under-test")
    try:
        yield writer
    finally:
        await intake.stop()
        async with asyncio.timeout(WAIT_S):
            await writer


def build(
    store: GatedStore, batch_size: int = 1000, metrics: Metrics | None = None
) -> tuple[Intake, RecordingDeadLetters]:
    letters = RecordingDeadLetters()
    intake = Intake(
        cast(Pipeline, FakePipeline()),
        cast(TwinStore, store),
        cast(DeadLetterStore, letters),
        metrics or Metrics(),
        batch_size=batch_size,
    )
    return intake, letters


async def write_started(store: GatedStore) -> None:
    assert await asyncio.to_thread(store.started.acquire, True, WAIT_S), "no write started"


async def until_written(intake: Intake, count: int) -> None:
    async with asyncio.timeout(WAIT_S):
        while intake.written < count:  # noqa: ASYNC110  (a counter nobody announces)
            await asyncio.sleep(0.005)


async def test_an_idle_writer_writes_the_first_outcome_alone() -> None:
    store = GatedStore()
    intake, _ = build(store)
    async with running(intake):
        await intake.submit(envelope(b"first"), "mqtt")
        await write_started(store)  # no partial batch waits for company or for a timer
        await until_written(intake, 1)
    assert store.batches == [[b"first"]]


async def test_what_arrives_during_a_write_is_the_next_batch_up_to_batch_size() -> None:
    store = GatedStore()
    intake, _ = build(store, batch_size=3)
    async with running(intake):
        store.hold.set()
        await intake.submit(envelope(b"m0"), "mqtt")
        await write_started(store)
        for n in range(1, 6):
            await intake.submit(envelope(f"m{n}".encode()), "mqtt")
        store.release()
        await until_written(intake, 6)
    assert store.batches == [[b"m0"], [b"m1", b"m2", b"m3"], [b"m4", b"m5"]]


async def test_submit_waits_for_room_while_the_store_is_behind() -> None:
    store = GatedStore()
    intake, _ = build(store, batch_size=1)
    async with running(intake):
        store.hold.set()
        await intake.submit(envelope(b"writing"), "mqtt")
        await write_started(store)
        for n in range(BUFFER_BATCHES):  # fills the buffer (batch_size * BUFFER_BATCHES)
            await intake.submit(envelope(f"queued-{n}".encode()), "mqtt")
        late = asyncio.create_task(intake.submit(envelope(b"late"), "mqtt"))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not late.done(), "a full buffer holds the submitter back"
        store.release()
        async with asyncio.timeout(WAIT_S):
            assert (await late).accepted
        await until_written(intake, BUFFER_BATCHES + 2)
    written = [payload for batch in store.batches for payload in batch]
    assert written == [b"writing", *(f"queued-{n}".encode() for n in range(4)), b"late"]


async def test_stop_writes_what_is_left_then_the_writer_ends() -> None:
    store = GatedStore()
    intake, letters = build(store)
    writer = asyncio.create_task(intake.run())
    store.hold.set()
    await intake.submit(envelope(b"a"), "mqtt")
    await write_started(store)
    await intake.submit(envelope(b"b"), "mqtt")
    await intake.submit(envelope(b"bad"), "mqtt")
    await intake.stop()
    store.release()
    async with asyncio.timeout(WAIT_S):
        await writer
    assert store.batches == [[b"a"], [b"b"]]
    assert [r.envelope.payload for r in letters.letters] == [b"bad"]
    assert intake.written == 3


async def test_stop_ends_an_idle_writer() -> None:
    intake, _ = build(GatedStore())
    writer = asyncio.create_task(intake.run())
    await asyncio.sleep(0)
    await intake.stop()
    async with asyncio.timeout(WAIT_S):
        await writer
    assert intake.written == 0


async def test_verdicts_listeners_dead_letters_and_metrics() -> None:
    store = GatedStore()
    metrics = Metrics()
    intake, letters = build(store, metrics=metrics)
    heard: list[bytes] = []
    intake.add_listener(lambda t: heard.append(t.envelope.payload))
    written: list[int] = []
    intake.add_written_listener(lambda batch: written.append(len(batch)))
    async with running(intake):
        ok = await intake.submit(envelope(b"ok"), "mqtt")
        bad = await intake.submit(envelope(b"bad"), "coap")
        await until_written(intake, 2)
    assert ok.accepted
    assert (bad.accepted, bad.stage, bad.reason) == (False, "decode", "not JSON")
    assert heard == [b"ok"], "listeners hear of translated envelopes only"
    assert sum(written) == 1
    assert [r.envelope.payload for r in letters.letters] == [b"bad"]
    sample = metrics.registry.get_sample_value
    assert sample("translator_messages_in_total", {"adapter": "mqtt"}) == 1
    assert sample("translator_messages_in_total", {"adapter": "coap"}) == 1
    assert sample("translator_messages_translated_total", {"adapter": "mqtt", "mapping": "plug"})
    assert sample("translator_readings_total", {"mapping": "plug"}) == 2
    rejected = {"adapter": "coap", "stage": "decode"}
    assert sample("translator_messages_rejected_total", rejected) == 1
    assert sample("translator_translate_seconds_count") == 2


async def test_a_failed_write_is_counted_and_the_writer_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = GatedStore()
    metrics = Metrics()
    intake, _ = build(store, metrics=metrics)
    store.fail_next = True
    async with running(intake):
        await intake.submit(envelope(b"lost"), "mqtt")
        await write_started(store)
        async with asyncio.timeout(WAIT_S):
            while not caplog.records:  # noqa: ASYNC110  (the failure is only logged)
                await asyncio.sleep(0.005)
        await intake.submit(envelope(b"kept"), "mqtt")
        await until_written(intake, 1)
    assert store.batches == [[b"lost"], [b"kept"]]
    assert "writing a batch of 1 outcomes failed" in caplog.records[0].getMessage()
    dropped = metrics.registry.get_sample_value("translator_dropped_total", {"queue": "store"})
    assert dropped == 1
