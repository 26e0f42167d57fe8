"""The viewer's pure JavaScript modules (format, colours, layout, SPARQL, twin, stream client),
tested with Node's own test runner: ``node --test translator/viewer/web/test/``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "translator" / "viewer" / "web"


@pytest.mark.timeout(60)
def test_viewer_javascript_units() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed: the viewer's JavaScript tests cannot run")
    result = subprocess.run(
        [node, "--test", "test/"], cwd=WEB, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout
