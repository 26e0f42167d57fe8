"""Capture files: both formats read, bad lines reported with file and line."""

from __future__ import annotations

import base64
from pathlib import Path

from translator.adapters.captures import CaptureProblem, capture_files, read_capture
from translator.values import Envelope, Protocol


def test_mosquitto_sub_verbose_lines(tmp_path: Path) -> None:
    path = tmp_path / "cap.txt"
    path.write_bytes(b'zigbee2mqtt/plug {"state":"ON", "power": 3}\ntele/p/STATE ON\n\n')
    items = list(read_capture(path))
    assert [type(i) for i in items] == [Envelope, Envelope]
    first = items[0]
    assert isinstance(first, Envelope)
    assert first.protocol is Protocol.MQTT
    assert first.channel == "zigbee2mqtt/plug"
    assert first.payload == b'{"state":"ON", "power": 3}'


def test_jsonl_envelopes_keep_bytes_and_times(tmp_path: Path) -> None:
    raw = bytes(range(256))
    path = tmp_path / "cap.jsonl"
    path.write_text(
        '{"protocol":"coap","channel":"senml/d1","payload_base64":"'
        + base64.b64encode(raw).decode()
        + '","content_format":"application/senml+cbor","received_at":"2026-11-25T10:00:00Z"}\n'
        '{"protocol":"http","channel":"ttn/uplink","payload":{"a":1}}\n'
        '{"channel":"x","payload_text":"21.5"}\n'
    )
    first, second, third = read_capture(path)
    assert isinstance(first, Envelope)
    assert first.payload == raw
    assert first.content_format == "application/senml+cbor"
    assert first.received_at.isoformat() == "2026-11-25T10:00:00+00:00"
    assert isinstance(second, Envelope)
    assert second.payload == b'{"a":1}'
    assert isinstance(third, Envelope)
    assert third.protocol is Protocol.MQTT
    assert third.payload == b"21.5"


def test_bad_lines_are_reported_not_skipped(tmp_path: Path) -> None:
    path = tmp_path / "cap.jsonl"
    path.write_text('not json\n{"protocol":"ftp","channel":"x","payload":1}\n{"payload":1}\n[1]\n')
    problems = list(read_capture(path))
    assert all(isinstance(p, CaptureProblem) for p in problems)
    assert [p.line for p in problems if isinstance(p, CaptureProblem)] == [1, 2, 3, 4]
    assert "unknown protocol" in str(problems[1])


def test_folders_are_searched(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.jsonl").write_text("")
    (tmp_path / "b.txt").write_text("")
    (tmp_path / "ignored.md").write_text("")
    assert [p.name for p in capture_files([tmp_path])] == ["x.jsonl", "b.txt"]
