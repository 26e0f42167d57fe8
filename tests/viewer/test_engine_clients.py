"""The engine clients of docs/engines.md, run as a user runs them against ``translator demo``:
the Python one always, the JavaScript one when Node.js is on the machine."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.viewer.demo import Demo

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
CLIENT_TIMEOUT_S = 60


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S, check=False
    )


@pytest.mark.timeout(120)
def test_python_client_streams_and_confirms_a_command(demo: Demo) -> None:
    thing = "urn:dev:tasmota:desk_lamp"
    result = _run([
        sys.executable, str(EXAMPLES / "stream_client.py"), "--url", demo.stream_url,
        "--readings", "3", "--command", thing, "setOnOff", "false",
    ])  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("snapshot: ")
    assert int(lines[0].split()[1]) > 0
    assert sum(line.startswith("reading: ") for line in lines) == 3
    assert lines[-1] == "command setOnOff: confirmed"


@pytest.mark.timeout(120)
def test_javascript_client_streams_and_confirms_a_command(demo: Demo) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed: the JavaScript client cannot run")
    probe = _run([node, "-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"])
    flags = [] if probe.returncode == 0 else ["--experimental-websocket"]
    result = _run([
        node, *flags, str(EXAMPLES / "stream_client.mjs"), demo.stream_url,
        "urn:dev:homeassistant:hallway:relay", "setOnOff", "true",
    ])  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "snapshot: " in result.stdout
    assert result.stdout.count("reading: ") == 5
    assert result.stdout.rstrip().endswith("command setOnOff: confirmed")


def test_engines_doc_shows_the_clients_that_are_run() -> None:
    doc = (EXAMPLES.parent / "engines.md").read_text(encoding="utf-8")
    for name, language in (("stream_client.py", "python"), ("stream_client.mjs", "javascript")):
        code = (EXAMPLES / name).read_text(encoding="utf-8")
        assert f"```{language}\n{code}```" in doc, f"docs/engines.md does not show {name} as it is"
