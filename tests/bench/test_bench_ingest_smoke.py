"""``bench.ingest`` with tiny numbers: it runs end to end, its JSON has the keys, nothing is lost.

Correctness only, never timing: the figures are checked for shape and consistency (every
acknowledged publish reached the store, the ceiling subscriber got every message), not for
speed. The matching and the loss arithmetic are also checked on hand-made data, where a
lost or duplicated message must show.
"""

from __future__ import annotations

import json
import subprocess
import sys
from array import array
from pathlib import Path
from typing import Any

import pytest

from bench import ingest
from bench._ingest_broker import mosquitto_binary
from bench._ingest_files import Sent, read_messages, write_messages
from bench._ingest_measure import PhaseRun, match, measure_phase, percentile

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 100.0
TINY = [
    "--rates", "50,max", "--seconds", "3", "--max-count", "150", "--warmup", "20",
    "--devices-per-kind", "2", "--drain-timeout", "30", "--quiet", "--json",
]  # fmt: skip
KEYS = {"ingest_msg_s", "ceiling_msg_s", "p50_ms", "p99_ms", "lost", "phases", "ceiling"}


def run_bench(*extra: str) -> dict[str, Any]:
    """``python -m bench.ingest`` with tiny numbers; its last line as JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.ingest", *TINY, *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


@pytest.mark.parametrize(
    "broker",
    [
        pytest.param(
            "mosquitto",
            marks=pytest.mark.skipif(
                mosquitto_binary() is None, reason="mosquitto not installed (apt-get install …)"
            ),
        ),
        "embedded",
    ],
)
def test_tiny_run_loses_nothing(broker: str) -> None:
    summary = run_bench("--broker", broker)
    assert summary.keys() >= KEYS
    assert summary["lost"] == 0
    assert summary["dead_letters"] == 0
    assert summary["duplicates"] == 0
    assert set(summary["p50_ms"]) == set(summary["p99_ms"]) == {"50", "max"}
    phases = summary["phases"]
    assert [p["name"] for p in phases] == ["warm-up", "50 msg/s", "max"]
    for phase in phases:
        assert phase["drained"] is True
        assert 0 < phase["sent"] == phase["acked"] == phase["stored"]
        assert phase["lost"] == 0
        assert 0 < phase["p50_ms"] <= phase["p99_ms"] <= phase["max_ms"]
    assert phases[-1]["sent"] == 150  # max: the whole count, long before the 3 s are up
    ceiling = summary["ceiling"]
    assert ceiling["received"] == ceiling["acked"] == ceiling["sent"] == 150
    assert summary["ingest_msg_s"] > 0
    assert summary["ceiling_msg_s"] > 0


def test_missing_mosquitto_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(ingest, "mosquitto_binary", lambda: None)
    assert ingest.main(["--broker", "mosquitto", "--quiet"]) == 2
    assert "mosquitto" in capsys.readouterr().err


def test_messages_file_round_trip(tmp_path: Path) -> None:
    messages = [("zigbee2mqtt/a", b'{"t":1}'), ("tele/b/STATE", b""), ("ü/✓", bytes(range(256)))]
    write_messages(tmp_path / "m", messages)
    assert read_messages(tmp_path / "m") == messages
    sent = Sent(array("q", [5, 0, 7]), bytes([1, 0, 1]))
    sent.write(tmp_path / "s")
    again = Sent.read(tmp_path / "s")
    assert list(again.send_ns) == [5, 0, 7]
    assert again.acked == bytes([1, 0, 1])
    assert (again.sent, again.acknowledged) == (2, 2)


def phase_run(messages: list[tuple[str, bytes]], send_ns: list[int], acked: list[int]) -> PhaseRun:
    """A hand-made phase: these messages sent at these times."""
    return PhaseRun(
        name="test", target_msg_s=None, warmup=False, messages=messages,
        sent=Sent(array("q", send_ns), bytes(acked)), dead_letters=0, drained=True, cpu={},
        translate_s=0.0, translated=0, store_s=0.0, batches=0, adapter_dropped=0,
    )  # fmt: skip


def test_matching_is_first_in_first_out_across_phases() -> None:
    same = ("homeassistant/switch/n/relay/state", b"ON")
    other = ("zigbee2mqtt/x", b"{}")
    first = phase_run([same, other, same], [100, 110, 120], [1, 1, 1])
    second = phase_run([same], [200], [1])
    batches = [(1_000, [same, other]), (2_000, [same, same, ("never/published", b"")])]
    stored, unmatched = match([first, second], batches)
    assert list(stored[0]) == [1_000, 1_000, 2_000]
    assert list(stored[1]) == [2_000]
    assert unmatched == 1
    result = measure_phase(first, stored[0])
    assert result.lost == 0
    assert result.stored == 3
    assert result.max_ms == pytest.approx((2_000 - 120) / 1e6)


def test_a_message_never_stored_is_lost() -> None:
    messages = [("a/b", b"1"), ("a/b", b"2"), ("a/b", b"3")]
    run = phase_run(messages, [10, 20, 30], [1, 1, 1])
    stored, _ = match([run], [(50, [("a/b", b"1"), ("a/b", b"3")])])
    result = measure_phase(run, stored[0])
    assert (result.acked, result.stored, result.lost) == (3, 2, 1)


def test_unsent_messages_are_not_waited_for() -> None:
    messages = [("a/b", b"1"), ("a/b", b"1")]
    run = phase_run(messages, [10, 0], [1, 0])  # the second was never sent
    stored, unmatched = match([run], [(50, [("a/b", b"1")]), (60, [("a/b", b"1")])])
    assert list(stored[0]) == [50, 0]
    assert unmatched == 1  # a copy no publish accounts for: a redelivery
    assert measure_phase(run, stored[0]).lost == 0


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) is None
