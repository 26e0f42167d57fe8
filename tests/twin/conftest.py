"""Fixtures for the twin: real pyoxigraph stores, in memory and on disk under ``tmp_path``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from translator.twin.store import TwinStore


@pytest.fixture(params=["memory", "disk"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TwinStore]:
    """A fresh store, once in memory and once on disk."""
    path = None if request.param == "memory" else tmp_path / "store"
    with TwinStore.open(path) as opened:
        yield opened


@pytest.fixture
def disk_path(tmp_path: Path) -> Path:
    return tmp_path / "store"
