"""The viewer in a real browser against ``translator demo``: every thing, live, and a command.

Debian's Chromium driven by Playwright (``browser.py``): open ``/viewer/``, see every
simulated thing in the scene with live values, toggle a plug from its panel and see the new
state in the page and in the store, then screenshot the page into a temporary folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.viewer.browser import chromium_missing, launch
from tests.viewer.demo import DEMO_THINGS, Demo

LIVE_WITHIN_MS = 30_000
PLUG = "urn:dev:zigbee2mqtt:kitchen_plug"
STATE_QUERY = """SELECT ?value WHERE { GRAPH <https://w3id.org/semantic-translator/graph/state> {
  ?s tr:ofThing <urn:dev:zigbee2mqtt:kitchen_plug> ; sosa:observedProperty trp:onOff ;
     sosa:hasSimpleResult ?value } }"""
THINGS_QUERY = "SELECT DISTINCT ?thing WHERE { ?state tr:ofThing ?thing }"


def sparql(demo: Demo, query: str) -> list[dict[str, Any]]:
    """Rows of a SELECT over ``/sparql`` (SPARQL 1.1 Protocol, JSON results)."""
    response = httpx.post(
        f"{demo.url}/sparql",
        content=query,
        headers={"Content-Type": "application/sparql-query",
                 "Accept": "application/sparql-results+json"},
        timeout=10,
    )  # fmt: skip
    response.raise_for_status()
    bindings: list[dict[str, Any]] = response.json()["results"]["bindings"]
    return bindings


def label_updates(page: Any) -> dict[str, int]:
    """Readings applied per thing, as the scene's labels say (``data-updates``)."""
    found: dict[str, int] = page.eval_on_selector_all(
        ".label[data-thing]",
        "els => Object.fromEntries(els.map(e => [e.dataset.thing, Number(e.dataset.updates)]))",
    )
    return found


@pytest.mark.timeout(180)
def test_viewer_shows_every_thing_live_and_toggles_a_plug(demo: Demo, tmp_path: Path) -> None:
    reason = chromium_missing()
    if reason is not None:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    foreign: list[str] = []
    with sync_playwright() as playwright:
        browser = launch(playwright, tmp_path / "profile")
        try:
            page = browser.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "request",
                lambda request: (
                    foreign.append(request.url)
                    if urlsplit(request.url).hostname not in (None, "127.0.0.1", "localhost")
                    and not request.url.startswith(("data:", "blob:"))
                    else None
                ),
            )
            page.goto(f"{demo.url}/viewer")  # the redirect to /viewer/ included
            page.wait_for_selector("#status[data-state=live]", timeout=LIVE_WITHIN_MS)
            assert (
                page.locator("#xr .xr-button").count() == 1
            )  # WebXR: "Enter VR" when a headset is there
            check_every_thing_is_live(page, demo)
            check_the_plug_toggles(page, demo)
            shot = tmp_path / "viewer.png"
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000
    assert not errors, errors
    assert not foreign, f"the page reached beyond loopback: {foreign}"


def check_every_thing_is_live(page: Any, demo: Demo) -> None:
    """Every simulated thing has a label with a reading, and its values keep arriving."""
    stored = {row["thing"]["value"] for row in sparql(demo, THINGS_QUERY)}
    expected = sorted(set(DEMO_THINGS) | stored)
    page.wait_for_function(
        "things => things.every(iri => "
        "document.querySelector(`.label[data-thing='${iri}'] .reading`))",
        arg=expected,
        timeout=LIVE_WITHIN_MS,
    )
    first = label_updates(page)
    texts = page.eval_on_selector_all(".label[data-thing]", "els => els.map(e => e.innerText)")
    page.wait_for_function(
        """([things, first]) => things.every(iri => {
             const label = document.querySelector(`.label[data-thing="${iri}"]`);
             return label && Number(label.dataset.updates) > first[iri];
           })""",
        arg=[expected, first],
        timeout=LIVE_WITHIN_MS,
    )
    page.wait_for_function(
        "texts => [...document.querySelectorAll('.label[data-thing]')]"
        ".some((label, i) => label.innerText !== texts[i])",
        arg=texts,
        timeout=LIVE_WITHIN_MS,
    )
    listed = page.eval_on_selector_all(
        "#thing-list li[data-thing]", "els => els.map(e => e.dataset.thing)"
    )
    assert set(expected) <= set(listed)


def check_the_plug_toggles(page: Any, demo: Demo) -> None:
    """Open the plug's panel from the scene, toggle it, see it confirmed, in the page and store."""
    page.locator(f'.label[data-thing="{PLUG}"]').dispatch_event("click")
    page.wait_for_selector(f'#panel[data-thing="{PLUG}"] tr[data-property=onOff]')
    toggle = page.locator("#panel .command[data-command=setOnOff] button.toggle")
    toggle.wait_for()
    before = toggle.get_attribute("aria-pressed") == "true"
    page.wait_for_selector("#panel .properties .sparkline[data-points]")  # history via SPARQL
    toggle.click()
    page.wait_for_selector(
        "#panel .command[data-command=setOnOff] .command-status[data-status=confirmed]",
        timeout=LIVE_WITHIN_MS,
    )
    wanted = "false" if before else "true"
    assert toggle.get_attribute("aria-pressed") == wanted
    page.wait_for_selector(
        f'.label[data-thing="{PLUG}"] .reading[data-property=onOff][data-value={wanted}]'
    )
    assert [row["value"]["value"] for row in sparql(demo, STATE_QUERY)] == [wanted]
