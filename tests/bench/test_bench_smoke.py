"""The translation benchmark runs end to end on a tiny stream, and its verdicts are right.

A correctness check, never a timing assertion: the benchmark is run as the README runs it
(``python -m bench.translate``, in a child process from the repository root) with small
numbers; its last line must be one JSON object with the documented keys, the compiled
SHACL gate must agree with pyshacl on every sampled message, and every broken message of
the stream must be rejected at the stage it was broken for.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 2000
REQUIRED = (
    "translate_msg_s",
    "store_msg_s",
    "naive_msg_s",
    "verdict_mismatches",
    "triples_per_msg",
    "peak_rss_mb",
    "translate_p50_us",
    "translate_p99_us",
    "naive_sample",
    "python",
    "cpu_count",
    "ceiling_msg_s",
)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    store_dir = tmp_path_factory.mktemp("bench")
    args = ["--messages", str(MESSAGES), "--naive-sample", "50", "--repeat", "1"]
    completed = subprocess.run(
        [sys.executable, "-m", "bench.translate", *args, "--json", "--quiet",
         "--store-dir", str(store_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:] + completed.stdout[-3000:]
    lines = completed.stdout.strip().splitlines()
    return completed.stdout, json.loads(lines[-1])


def test_the_last_line_is_one_json_object_with_the_documented_keys(
    run: tuple[str, dict[str, Any]],
) -> None:
    _output, result = run
    missing = [key for key in REQUIRED if key not in result]
    assert not missing, f"missing keys: {missing}"
    assert result["messages"] == MESSAGES
    for key in ("translate_msg_s", "store_msg_s", "naive_msg_s", "ceiling_msg_s"):
        assert result[key] > 0, key


def test_the_gate_and_pyshacl_agree_on_a_sample_holding_every_shape_invalid_message(
    run: tuple[str, dict[str, Any]],
) -> None:
    _output, result = run
    assert result["verdict_mismatches"] == 0
    assert result["naive_shape_invalid"] == result["labels"]["shape"] > 0
    assert result["naive_checked"] == result["naive_sample"] == 50
    assert result["naive_nonconforming"] == result["naive_shape_invalid"]


def test_about_one_percent_is_broken_and_each_is_rejected_where_it_was_broken(
    run: tuple[str, dict[str, Any]],
) -> None:
    _output, result = run
    labels = result["labels"]
    assert labels == {"valid": 1980, "shape": 8, "schema": 5, "decode": 4, "match": 3}
    assert result["label_mismatches"] == 0
    broken = {label: n for label, n in labels.items() if label != "valid"}
    assert result["rejected_by_stage"] == broken
    assert result["accepted"] == labels["valid"]


def test_the_store_phase_keeps_every_message_either_as_history_or_as_a_dead_letter(
    run: tuple[str, dict[str, Any]],
) -> None:
    _output, result = run
    assert result["store_accepted"] == result["accepted"]
    assert result["store_rejected"] == result["store_dead_letters"] == MESSAGES - result["accepted"]
    assert result["triples_per_msg"] == pytest.approx(result["quads_per_msg"])
    assert result["triples_per_msg"] > 10
    assert result["peak_rss_mb"] > 0


def test_the_table_reads_as_markdown_before_the_json_line(
    run: tuple[str, dict[str, Any]],
) -> None:
    output, _result = run
    table = output.strip().splitlines()[:-1]
    assert any(line.startswith("| translate: decode") for line in table)
    assert any(line.startswith("| translate + store") for line in table)
    assert any(line.startswith("| naive: fresh rdflib Graph") for line in table)
    assert any("0 mismatches" in line for line in table)
