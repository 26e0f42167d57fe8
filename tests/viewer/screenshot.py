"""Make ``docs/viewer.png``: the viewer on ``translator demo``, in the browser set-up the
tests use (``browser.py``). Run by ``scripts/screenshot [PATH]``."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.viewer.browser import chromium_missing, launch
from tests.viewer.demo import DEMO_THINGS, Demo

ROOT = Path(__file__).resolve().parents[2]
SHOWN = "urn:dev:zigbee2mqtt:kitchen_plug"  # whose panel is open in the picture
SETTLE_MS = 20_000  # let sparklines grow and the fan spin


def main(argv: list[str] | None = None) -> int:
    """Start the demo, open the viewer, open a plug's panel, save the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", nargs="?", type=Path, default=ROOT / "docs" / "viewer.png")
    parser.add_argument("--settle", type=float, default=SETTLE_MS / 1000, help="seconds of data")
    args = parser.parse_args(argv)
    reason = chromium_missing()
    if reason is not None:
        print(f"cannot take the screenshot: {reason}", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory() as scratch,
        Demo(Path(scratch) / "data") as demo,
        sync_playwright() as playwright,
    ):
        browser = launch(playwright, Path(scratch) / "profile")
        page = browser.new_page()
        page.goto(f"{demo.url}/viewer/")
        page.wait_for_selector("#status[data-state=live]", timeout=30_000)
        for iri in DEMO_THINGS:
            page.wait_for_selector(f'.label[data-thing="{iri}"] .reading', timeout=30_000)
        page.wait_for_timeout(args.settle * 1000)
        page.locator(f'#thing-list li[data-thing="{SHOWN}"]').click()
        page.wait_for_selector("#panel .command[data-command=setOnOff] button.toggle")
        page.wait_for_timeout(1500)
        args.path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.path))
        browser.close()
    print(f"screenshot: {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
