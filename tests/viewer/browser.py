"""Debian's Chromium driven by Playwright, launched the way the issue says (and the screenshot
script does): the system binary, headless, no sandbox (root in CI), no GPU, no background
networking, a fresh profile. Playwright never downloads a browser here."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Playwright

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_HINT: Final = "chromium not installed (apt-get install chromium; .ci/run does)"
ARGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
)
VIEWPORT: Final = {"width": 1400, "height": 860}


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or ``None`` when they can."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return CHROMIUM_HINT
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright not installed (pip install playwright; the dev extras have it)"
    return None


def launch(playwright: Playwright, profile: Path) -> BrowserContext:
    """Chromium with a fresh profile in ``profile`` (a temporary folder)."""
    profile.mkdir(parents=True, exist_ok=True)
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=list(ARGS),
        viewport=VIEWPORT,  # type: ignore[arg-type]
    )


def npm_missing() -> str | None:
    """Why the viewer bundle cannot be built here, or ``None``."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        return "node/npm not installed: the viewer bundle cannot be built (scripts/setup-venv)"
    return None
