"""Dead letters keep every rejected envelope byte for byte, with its reason, and find it again."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translator.errors import StoreError
from translator.twin.deadletter import DeadLetterStore
from translator.values import Envelope, Protocol, Rejected

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def rejected(
    payload: bytes = b'{"temperature": "hot"}',
    *,
    stage: str = "schema",
    reason: str = "$.temperature: 'hot' is not of type 'number'",
    mapping: str | None = "zigbee2mqtt-climate",
    channel: str = "zigbee2mqtt/living_room_sensor",
) -> Rejected:
    envelope = Envelope(Protocol.MQTT, channel, payload, T0, "application/json", "127.0.0.1:5")
    return Rejected(envelope, stage, reason, mapping, {"path": "$.temperature", "n": 1})  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "disk"])
def letters(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DeadLetterStore]:
    path = None if request.param == "memory" else tmp_path / "deadletters.sqlite"
    with DeadLetterStore.open(path) as store:
        yield store


def test_a_dead_letter_comes_back_as_it_went_in(letters: DeadLetterStore) -> None:
    original = rejected()
    letter_id = letters.add(original)
    letter = letters.get(letter_id)
    assert letter is not None
    assert letter.as_rejected() == original
    assert letter.id == letter_id
    assert letter.stored_at.tzinfo is not None
    assert letters.get(letter_id + 1000) is None


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.binary(max_size=2048),
    channel=st.text(max_size=40),
    reason=st.text(max_size=80),
    received=st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(9000, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=9))]),
    ),
)
def test_payload_bytes_and_texts_round_trip_exactly(
    letters: DeadLetterStore, payload: bytes, channel: str, reason: str, received: datetime
) -> None:
    envelope = Envelope(Protocol.COAP, channel, payload, received, None, None)
    original = Rejected(envelope, "decode", reason, None, {"bytes": len(payload)})
    letter = letters.get(letters.add(original))
    assert letter is not None
    assert letter.envelope.payload == payload
    assert letter.envelope.received_at == received
    assert letter.as_rejected() == original


def test_filters_counts_and_paging(letters: DeadLetterStore) -> None:
    assert (
        letters.add_many(
            [rejected(stage="schema", reason=f"bad value {i}") for i in range(5)]
            + [rejected(stage="match", reason="no mapping for tasmota/x", mapping=None)]
            + [rejected(stage="shape", reason="SHACL: Temperature below -273.15", mapping="other")]
        )
        == 7
    )
    assert letters.count() == 7
    assert letters.counts_by_stage() == {"schema": 5, "match": 1, "shape": 1}
    assert letters.count(stage="schema", mapping="zigbee2mqtt-climate") == 5
    assert letters.count(mapping="other") == 1
    assert letters.count(reason_contains="SHACL: temperature") == 1  # case-insensitive
    assert letters.count(reason_contains="%") == 0  # no wildcards
    newest = letters.list(limit=2)
    assert [d.reason for d in newest] == [
        "SHACL: Temperature below -273.15",
        "no mapping for tasmota/x",
    ]
    page = letters.list(stage="schema", limit=2, offset=1)
    assert [d.reason for d in page] == ["bad value 3", "bad value 2"]
    assert letters.list(stage="decode") == []


def test_hostile_filter_text_is_just_text(letters: DeadLetterStore) -> None:
    letters.add(rejected(reason="x'); DROP TABLE dead_letters; --"))
    assert letters.count(reason_contains="'); DROP TABLE dead_letters; --") == 1
    assert letters.count(mapping="' OR '1'='1") == 0
    assert letters.count() == 1


def test_details_that_are_not_json_are_kept_readable(letters: DeadLetterStore) -> None:
    envelope = rejected().envelope
    odd = Rejected(envelope, "extract", "x", None, {"when": T0, 3: b"raw"})
    letter = letters.get(letters.add(odd))
    assert letter is not None
    assert letter.detail == {"when": "2026-11-25T10:00:00+00:00", "3": "b'raw'"}
    huge = letters.get(letters.add(Rejected(envelope, "extract", "x", None, {"big": 2**80})))
    assert huge is not None
    assert huge.detail == {"unserializable": repr({"big": 2**80})}


def test_on_disk_it_persists_and_other_readers_see_it(tmp_path: Path) -> None:
    path = tmp_path / "data" / "deadletters.sqlite"
    with DeadLetterStore.open(path) as writer:
        writer.add(rejected(b"\x00\xff\x10"))
        with DeadLetterStore.open(path) as reader:  # e.g. the CLI while the service runs
            assert reader.count() == 1
    with DeadLetterStore.open(path) as again:
        assert [d.envelope.payload for d in again.list()] == [b"\x00\xff\x10"]
        assert again.delete_before(datetime.now(UTC) + timedelta(seconds=1)) == 1
        assert again.count() == 0


def test_threads_may_add_and_read_at_once(letters: DeadLetterStore) -> None:
    errors: list[BaseException] = []

    def add() -> None:
        try:
            for i in range(50):
                letters.add(rejected(reason=f"r{i}"))
                letters.count()
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=add) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert letters.count() == 200


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "deadletters.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="dead-letter"):
        DeadLetterStore.open(path)
