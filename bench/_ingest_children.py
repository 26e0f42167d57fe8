"""The ingest benchmark's child processes: a publisher run, and the raw broker ceiling.

Each child is ``sys.executable -m bench._ingest_publisher`` or ``…_subscriber`` run from the
checkout, bounded in time, and killed in a ``finally`` when anything (a failure, a timeout,
Ctrl-C, SIGTERM) ends the wait early. A child that ended on SIGINT or SIGTERM (Ctrl-C reaches
the whole process group) raises ``Interrupted``, not a failure.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bench._ingest_broker import Broker
from bench._ingest_files import Message, Sent, write_messages
from bench._ingest_measure import CeilingRun
from bench._ingest_publisher import ACK_TIMEOUT_S
from bench._ingest_subscriber import SUBSCRIBED

REPO: Final = Path(__file__).resolve().parents[1]
CHILD_SLACK_S: Final = 30.0  # beyond its own bounds, how long a child process may take
INTERRUPTED: Final = (130, -signal.SIGINT, 143, -signal.SIGTERM)  # a child ended by a signal


class Interrupted(Exception):
    """A child process was interrupted, or the benchmark was asked to stop."""


@dataclass(frozen=True, slots=True)
class Publishing:
    """What every publisher run of a benchmark shares."""

    seconds: float  # longest a run publishes
    window: int  # QoS 1 publishes waiting for their PUBACK at most
    qos: int
    drain_timeout: float  # longest wait after a run for the store (or the counter) to catch up


async def _reap(process: asyncio.subprocess.Process) -> None:
    """End ``process`` if it still runs."""
    if process.returncode is None:
        process.kill()
        await process.wait()


def _last_json(out: bytes, err: bytes, what: str, returncode: int | None) -> dict[str, Any]:
    lines = out.decode(errors="replace").strip().splitlines()
    if returncode in INTERRUPTED:
        raise Interrupted(f"{what} was interrupted")
    if returncode != 0 or not lines:
        raise RuntimeError(f"{what} failed ({returncode}): {err.decode(errors='replace')}")
    loaded: dict[str, Any] = json.loads(lines[-1])
    return loaded


async def publish(
    target: Broker,
    work: Path,
    name: str,
    messages: Sequence[Message],
    rate: float | None,
    options: Publishing,
) -> tuple[Sent, float]:
    """Publish ``messages`` from a publisher process at ``rate`` (None: as fast as it goes).

    Returns what was sent (and acknowledged) when, and the publisher's CPU seconds.
    """
    messages_file, sent_file = work / f"{name}.messages", work / f"{name}.sent"
    write_messages(messages_file, messages)
    command = [
        sys.executable, "-m", "bench._ingest_publisher",
        "--host", target.host, "--port", str(target.port),
        "--messages", str(messages_file), "--out", str(sent_file),
        "--rate", str(rate or 0), "--seconds", str(options.seconds),
        "--window", str(options.window), "--qos", str(options.qos),
        "--client-id", f"bench-ingest-pub-{uuid.uuid4().hex[:8]}",
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        limit = options.seconds + ACK_TIMEOUT_S + CHILD_SLACK_S
        out, err = await asyncio.wait_for(process.communicate(), limit)
    finally:
        await _reap(process)
    result = _last_json(out, err, "the publisher", process.returncode)
    return Sent.read(sent_file), float(result["cpu_s"])


async def _subscriber(
    target: Broker, filters: Sequence[str], expect: int
) -> asyncio.subprocess.Process:
    command = [
        sys.executable, "-m", "bench._ingest_subscriber",
        "--host", target.host, "--port", str(target.port),
        "--expect", str(expect), "--protocol", target.protocol,
        *[arg for f in filters for arg in ("--filter", f)],
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), CHILD_SLACK_S)
        if line.decode().strip() != SUBSCRIBED:
            raise RuntimeError(f"the ceiling subscriber did not subscribe: {line!r}")
    except BaseException:
        await _reap(process)
        raise
    return process


async def ceiling(
    target: Broker,
    work: Path,
    messages: Sequence[Message],
    filters: Sequence[str],
    options: Publishing,
) -> CeilingRun:
    """The same publisher, as fast as it goes, to a subscriber that only counts."""
    process = await _subscriber(target, filters, len(messages))
    try:
        broker_before = target.cpu_seconds()
        sent, publisher_cpu = await publish(target, work, "ceiling", messages, None, options)
        out, err = await asyncio.wait_for(process.communicate(), options.drain_timeout)
    finally:
        await _reap(process)
    result = _last_json(out, err, "the ceiling subscriber", process.returncode)
    cpu = {
        "broker": round(target.cpu_seconds() - broker_before, 3),
        "publisher": publisher_cpu,
        "subscriber": float(result["cpu_s"]),
    }
    return CeilingRun(sent, int(result["received"]), int(result["last_ns"]), cpu)
