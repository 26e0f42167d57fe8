"""Re-running ontology/build.py on ../shared reproduces the committed files byte for byte."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
BUILD = REPOSITORY_ROOT / "ontology" / "build.py"
GENERATED = ("units.ttl", "quantitykinds.ttl", "vocabularies.ttl", "properties.ttl", "shapes.ttl")


def test_build_reproduces_committed_files(shared: Path, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(BUILD), "--shared", str(shared), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=100,
    )
    differing = [
        name
        for name in GENERATED
        if (tmp_path / name).read_bytes() != (REPOSITORY_ROOT / "ontology" / name).read_bytes()
    ]
    assert differing == [], "run: .venv/bin/python ontology/build.py --shared ../shared"
