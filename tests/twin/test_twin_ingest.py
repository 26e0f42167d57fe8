"""Ingest: batches are written on a background thread, bounded, and its errors reach the caller."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from pyoxigraph import Store
from twin_samples import minutes, temperature

from translator.errors import StoreError
from translator.pipeline import Pipeline, build_pipeline
from translator.settings import Settings
from translator.twin.deadletter import DeadLetterStore
from translator.twin.ingest import Ingestor
from translator.twin.prepared import PreparedMessage
from translator.twin.store import TwinStore, WriteStats
from translator.twin.writer import StoreWriter
from translator.values import Envelope, Protocol, Translated


class GatedStore(TwinStore):
    """A real in-memory store whose writes wait for ``gate`` and record their batch sizes."""

    def __init__(self, store: Store, *, path: Path | None, read_only: bool, workers: int) -> None:
        super().__init__(store, path=path, read_only=read_only, workers=workers)
        self.gate = threading.Event()
        self.writing = threading.Event()
        self.sizes: list[int] = []

    def write_prepared(self, batch: Sequence[PreparedMessage]) -> WriteStats:
        self.writing.set()
        assert self.gate.wait(timeout=30), "the test never opened the gate"
        self.sizes.append(len(batch))
        return super().write_prepared(batch)


class FailingStore(TwinStore):
    """A real in-memory store whose disk is full: every write fails, after telling ``failed``."""

    def __init__(self, store: Store, *, path: Path | None, read_only: bool, workers: int) -> None:
        super().__init__(store, path=path, read_only=read_only, workers=workers)
        self.failed = threading.Event()

    def write_prepared(self, batch: Sequence[PreparedMessage]) -> WriteStats:
        self.failed.set()
        raise StoreError(f"writing {len(batch)} messages failed: no space left on device")


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline(Settings())


@pytest.fixture
def dead_letters() -> Iterator[DeadLetterStore]:
    with DeadLetterStore.open() as opened:
        yield opened


def climate(n: int) -> Envelope:
    body = b'{"temperature": %d.5, "humidity": 40}' % n if n % 4 else b"{not json"
    return Envelope(Protocol.MQTT, f"zigbee2mqtt/room_{n % 3}", body, minutes(n))


def writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ingest-writer"]


def test_everything_fed_is_stored_once_flush_returns(
    pipeline: Pipeline, dead_letters: DeadLetterStore
) -> None:
    with TwinStore.open() as store:
        with Ingestor(pipeline, store, dead_letters, batch_size=3) as ingestor:
            outcomes = [ingestor.feed(climate(n)) for n in range(20)]
        assert not writer_threads()  # flush stopped the writer
        accepted = [o for o in outcomes if isinstance(o, Translated)]
        assert (ingestor.stats.accepted, ingestor.stats.rejected) == (15, 5)
        assert dead_letters.count() == 5
        result = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?o a sosa:Observation }")
        assert int(result.solutions[0][0].value) == 2 * len(accepted)  # type: ignore[union-attr]
        assert {e.thing for e in store.latest()} == {
            f"urn:dev:zigbee2mqtt:room_{n}" for n in range(3)
        }


def feed_until_it_raises(ingestor: Ingestor) -> None:
    for n in range(5, 3000):
        ingestor.feed(climate(n))
        time.sleep(0.01)


def test_a_failed_write_is_raised_by_a_later_feed_then_ingest_goes_on(
    pipeline: Pipeline, dead_letters: DeadLetterStore
) -> None:
    store = FailingStore.open()
    assert isinstance(store, FailingStore)
    ingestor = Ingestor(pipeline, store, dead_letters, batch_size=2)
    ingestor.feed(climate(1))
    ingestor.feed(climate(4))  # a full batch (one rejected): handed to the writer, which fails
    assert store.failed.wait(timeout=30)
    with pytest.raises(StoreError, match="no space left"):
        feed_until_it_raises(ingestor)  # the first feed after the error is recorded raises it
    ingestor.feed(climate(1))  # raised once: the caller decides whether to go on
    with pytest.raises(StoreError, match="no space left"):
        ingestor.flush()  # that batch failed too
    assert not writer_threads()
    assert dead_letters.count() == ingestor.stats.rejected > 0  # written despite the store
    store.close()


def test_one_batch_waits_and_batches_fed_meanwhile_join_it(dead_letters: DeadLetterStore) -> None:
    store = GatedStore.open()
    assert isinstance(store, GatedStore)
    writer = StoreWriter(store, dead_letters, max_batch=4)
    writer.submit([store.prepare(temperature(1.0))], [])  # taken: the writer waits at the gate
    assert store.writing.wait(timeout=30)
    writer.submit([store.prepare(temperature(2.0, minutes(1)))] * 2, [])
    writer.submit([store.prepare(temperature(3.0, minutes(2)))] * 2, [])  # joins the waiting one
    last = store.prepare(temperature(4.0, minutes(3)))
    blocked = threading.Thread(target=writer.submit, args=([last], []))
    blocked.start()
    blocked.join(timeout=0.2)
    assert blocked.is_alive()  # the waiting batch is full: the caller is held back
    store.gate.set()
    blocked.join(timeout=30)
    writer.drain()
    assert store.sizes == [1, 4, 1]
    assert [e.value for e in store.latest()] == [4.0]
    store.close()


def test_a_writer_with_nothing_to_write_starts_no_thread(dead_letters: DeadLetterStore) -> None:
    with TwinStore.open() as store:
        writer = StoreWriter(store, dead_letters, max_batch=10, name="ingest-writer")
        writer.submit([], [])
        assert not writer_threads()
        writer.drain()
