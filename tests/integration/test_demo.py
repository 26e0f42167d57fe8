"""``translator demo`` as a user runs it: a subprocess that brings every vendor's data in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.integration.conftest import free_udp_port
from translator.settings import load_settings
from translator.twin.paths import open_store
from translator.twin.sparql import SelectResult

VENDOR_MAPPINGS = {
    "zigbee2mqtt": "zigbee2mqtt-",
    "tasmota": "tasmota-",
    "shelly": "shelly-",
    "home assistant": "homeassistant-",
    "owntracks": "owntracks-",
    "senml over coap": "senml-",
    "the things stack": "ttn-",
    "fhir": "fhir-",
}
DEADLINE_S = 10.0


def translated_by_mapping(metrics: str) -> set[str]:
    """Mapping ids with at least one translated message, from the Prometheus text."""
    seen = set()
    for line in metrics.splitlines():
        if line.startswith("translator_messages_translated_total{"):
            labels, value = line.rsplit(" ", 1)
            if float(value) > 0:
                seen.add(labels.split('mapping="', 1)[1].split('"', 1)[0])
    return seen


def missing_vendors(mapping_ids: set[str]) -> list[str]:
    return [
        vendor
        for vendor, prefix in VENDOR_MAPPINGS.items()
        if not any(m.startswith(prefix) for m in mapping_ids)
    ]


@pytest.mark.timeout(90)
def test_demo_brings_every_vendor_into_the_store_within_seconds(tmp_path: Path) -> None:
    http_port = free_port()
    command = [
        sys.executable, "-m", "translator.cli", "--log-level", "warning", "demo",
        "--data-dir", str(tmp_path), "--http-port", str(http_port),
        "--mqtt-port", str(free_port()), "--coap-port", str(free_udp_port()),
        "--period", "0.5",
    ]  # fmt: skip
    demo = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=os.environ | {"NO_COLOR": "1"},
    )
    try:
        seen = _wait_for_every_vendor(http_port, demo)
    finally:
        demo.send_signal(signal.SIGINT)
        output, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, output.decode()
    assert not missing_vendors(seen), output.decode()
    assert b"API docs" in output
    with open_store(load_settings(data_dir=tmp_path), read_only=True) as store:
        result = store.query(
            "SELECT DISTINCT ?id WHERE { ?obs prov:wasDerivedFrom ?env . "
            "?env tr:translatedBy ?m . ?m tr:mappingId ?id }"
        )
    assert isinstance(result, SelectResult)
    stored = {str(row["id"].value) for row in result.solutions}
    assert not missing_vendors(stored), f"stored mappings: {sorted(stored)}"


def _wait_for_every_vendor(http_port: int, demo: subprocess.Popen[bytes]) -> set[str]:
    """Poll /metrics until every vendor has translated messages (at most ``DEADLINE_S`` after
    the API answers); the bound of the wait is the requirement, not a measurement."""
    seen: set[str] = set()
    started: float | None = None
    with httpx.Client(base_url=f"http://127.0.0.1:{http_port}", timeout=2) as client:
        while started is None or time.monotonic() - started < DEADLINE_S:
            if demo.poll() is not None:
                pytest.fail(f"the demo exited early: {demo.stdout.read().decode()}")  # type: ignore[union-attr]
            try:
                seen = translated_by_mapping(client.get("/metrics").text)
            except httpx.TransportError:
                if started is None:
                    time.sleep(0.2)
                    continue
                raise
            started = started or time.monotonic()
            if not missing_vendors(seen):
                return seen
            time.sleep(0.25)
    pytest.fail(f"after {DEADLINE_S} s still missing {missing_vendors(seen)}")
