"""``bench/serve.py --only stream`` at a tiny size: it runs and its JSON line is complete."""

from __future__ import annotations

import json

import pytest

from bench.serve import main


def test_stream_section_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--json", "--only", "stream", "--stream-clients", "3", "--stream-rate", "200"]
    assert main([*args, "--stream-seconds", "1", "--stream-store", "memory"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["stream"]
    assert figures["clients"] == 3
    assert figures["readings"] == 200  # 100 envelopes of two readings in one second
    assert figures["expected"] == 3 * figures["readings"]
    assert figures["delivered"] == figures["expected"]  # nobody lost anything
    assert figures["dropped"] == 0
    assert 0 <= figures["latency_p50_ms"] <= figures["latency_p99_ms"] <= figures["latency_max_ms"]
    assert isinstance(figures["target_met"], bool)
