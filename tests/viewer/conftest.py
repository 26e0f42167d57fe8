"""One ``translator demo`` for the viewer tests that need the whole service (browser, clients)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.viewer.browser import npm_missing
from tests.viewer.demo import Demo, ViewerNotBuilt


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo on free loopback ports (devices report every 0.5 s), stopped at the end."""
    running = Demo(tmp_path_factory.mktemp("demo-data"))
    try:
        running.start()
    except ViewerNotBuilt:
        reason = npm_missing()
        if reason is not None:
            pytest.skip(reason)
        pytest.fail("/viewer/ answers 503: the bundle was not built (run scripts/setup-venv)")
    yield running
    running.stop()
    assert b"Traceback" not in running.output, running.output.decode()
