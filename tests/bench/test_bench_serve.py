"""``bench/serve.py`` at a tiny size: it runs, its JSON line is complete, rdflib agrees."""

from __future__ import annotations

import json

import pytest

from bench.serve import main
from translator.api.sparql_examples import EXAMPLES


def test_sparql_section_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--json", "--only", "sparql", "--store", "memory", "--observations", "3600"]
    args += ["--things", "10", "--rdflib-observations", "1800", "--rdflib-things", "10"]
    args += ["--repeat", "2", "--rdflib-repeat", "1"]
    assert main([*args, "--seconds-per-query", "0.1"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = json.loads(last)["sparql"]
    assert figures["observations"] == 3600
    assert set(figures["queries"]) == {q.slug for q in EXAMPLES}
    disagreeing = [s for s, q in figures["queries"].items() if not q["rows_agree"]]
    assert not disagreeing, f"rdflib and oxigraph return different row counts: {disagreeing}"
    assert figures["queries"]["latest-state"]["rows"] == 30  # 10 things x 3 properties
    assert figures["queries"]["history-window"]["rows"] == 31  # one a minute, both ends in
    assert set(figures["targets_met"]) == {"latest_state_p50_below_5ms", "history_100x_rdflib"}
