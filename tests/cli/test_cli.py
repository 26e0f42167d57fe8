"""The command line as a user runs it: translate, check, test-mappings, ingest, query."""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any

import orjson
import pytest

from translator.cli import main
from translator.mapping import MessageExample
from translator.pipeline import build_pipeline
from translator.settings import load_settings


def _examples() -> list[MessageExample]:
    """One translating and one rejected example of every shipped mapping."""
    chosen: dict[tuple[str, bool], MessageExample] = {}
    for example in build_pipeline(load_settings()).mappings.examples:
        if isinstance(example, MessageExample):
            chosen.setdefault((example.mapping_id, example.rejected is None), example)
    return sorted(chosen.values(), key=lambda e: e.title)


EXAMPLES = _examples()


def _translate(example: MessageExample, tmp_path: Path, *extra: str) -> list[str]:
    payload = tmp_path / "payload.bin"
    payload.write_bytes(example.envelope.payload)
    args = [
        "--log-level", "warning", "translate",
        "--protocol", example.envelope.protocol.value,
        "--channel", example.envelope.channel,
        "--received-at", example.envelope.received_at.isoformat(),
        *extra, str(payload),
    ]  # fmt: skip
    if example.envelope.content_format:
        args[-1:-1] = ["--content-format", example.envelope.content_format]
    return args


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float) and isinstance(actual, float | int):
        return math.isclose(expected, actual, rel_tol=1e-6, abs_tol=1e-9)
    return bool(expected == actual)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.title for e in EXAMPLES])
def test_translate_prints_the_documented_readings_or_the_violation(
    example: MessageExample, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(_translate(example, tmp_path))
    out, err = capsys.readouterr()
    if example.rejected is not None:
        assert code == 1
        report = orjson.loads(err)
        assert report["rejected"] is True
        assert report["stage"] == example.rejected
        assert report["reason"]
        return
    assert code == 0, err
    records = orjson.loads(out)
    assert len(records) == len(example.readings or ())
    for want in example.readings or ():
        assert any(
            r["property"] == want.property
            and _same(want.value, r["value"])
            and (want.thing is None or r["thing"] == want.thing)
            and (not want.check_unit or r["unit"] == want.unit)
            for r in records
        ), f"{want.describe()} not in {records}"
    assert all(set(r) >= {"thing", "property", "value", "unit", "time"} for r in records)


def test_translate_turtle_and_jsonld(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = next(e for e in EXAMPLES if e.mapping_id == "zigbee2mqtt-climate" and not e.rejected)
    assert main(_translate(example, tmp_path, "--format", "turtle")) == 0
    turtle = capsys.readouterr().out
    assert "sosa:Observation" in turtle
    assert "prov:wasDerivedFrom" in turtle
    assert main(_translate(example, tmp_path, "--format", "jsonld")) == 0
    assert orjson.loads(capsys.readouterr().out)


def test_check_and_test_mappings_pass_on_the_shipped_mappings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--log-level", "warning", "check"]) == 0
    assert "mapping files valid" in capsys.readouterr().out
    assert main(["--log-level", "warning", "test-mappings"]) == 0
    assert ", 0 failed" in capsys.readouterr().out


def test_check_names_file_and_line_of_a_broken_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "id: broken\nversion: '1'\nmatch:\n  protocol: mqtt\n  channel: 'x/{device}'\n"
        "thing:\n  iri: 'urn:x:{device}'\nreadings:\n  - property: temperature\n"
        "    value: '$.t'\n    unit: Celsius\n"
    )
    assert main(["--log-level", "warning", "check", str(broken)]) == 1
    out = capsys.readouterr().out
    assert f"{broken}:11" in out
    assert "DEG_C" in out


def test_ingest_then_query(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = next(e for e in EXAMPLES if e.mapping_id == "tasmota-sensor" and not e.rejected)
    capture = tmp_path / "capture.jsonl"
    lines = [
        {
            "protocol": "mqtt",
            "channel": example.envelope.channel,
            "payload_base64": base64.b64encode(example.envelope.payload).decode(),
        },
        {"protocol": "mqtt", "channel": example.envelope.channel, "payload_text": "{not json"},
    ]
    capture.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    data = tmp_path / "data"
    assert main(["--log-level", "warning", "ingest", "--data-dir", str(data), str(capture)]) == 0
    summary = capsys.readouterr().out
    assert "accepted messages" in summary
    query = "SELECT ?channel WHERE { ?env a tr:Envelope ; tr:channel ?channel }"
    assert main(["query", "--data-dir", str(data), "--format", "json", query]) == 0
    rows = orjson.loads(capsys.readouterr().out)["results"]["bindings"]
    assert [row["channel"]["value"] for row in rows] == [example.envelope.channel]


def test_query_without_a_store_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["query", "--data-dir", str(tmp_path / "none"), "ASK { ?s ?p ?o }"])
    assert code == 1
    assert "ingest something first" in capsys.readouterr().err
