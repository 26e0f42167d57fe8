"""Where the service process's CPU goes, thread by thread (Linux ``/proc``; elsewhere: nothing).

The service runs in the benchmark's process, so its threads are ours to read: the event loop
(the MQTT adapter's consumer, translation, the stream hub and republish, HTTP), paho's
network thread (socket reads, building each ``Envelope``, the hand-off to the loop), the
``asyncio.to_thread`` workers (store and dead-letter batch writes), and the native threads no
Python code runs on (RocksDB's flushes and compactions under pyoxigraph). A snapshot is the
CPU seconds each group used so far; subtracting two gives a phase's share. The broker's
process (mosquitto) is read the same way, by pid.
"""

from __future__ import annotations

import os
import resource
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Final

LOOP: Final = "event loop"
PAHO: Final = "paho network thread"
WORKERS: Final = "to_thread workers"
NATIVE: Final = "native threads"
OTHER: Final = "other Python threads"
GROUPS: Final = (LOOP, PAHO, WORKERS, NATIVE, OTHER)

_TICK: Final = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_seconds(path: Path) -> float | None:
    """user + system CPU seconds from a ``/proc/.../stat`` file, None when unreadable."""
    try:
        text = path.read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "; field 3 is first
    return (int(fields[11]) + int(fields[12])) / _TICK


def _group(thread: threading.Thread) -> str:
    if thread is threading.main_thread():
        return LOOP
    if thread.name.startswith("paho-mqtt-client"):
        return PAHO
    if thread.name.startswith("asyncio_"):
        return WORKERS
    return OTHER


def process_seconds(pid: int) -> float | None:
    """CPU seconds process ``pid`` used so far (None: not on Linux, or it is gone)."""
    return _stat_seconds(Path(f"/proc/{pid}/stat"))


def thread_seconds() -> dict[str, float]:
    """CPU seconds this process's thread groups used so far (empty without ``/proc``)."""
    if not Path("/proc/self/task").is_dir():
        return {}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    total = usage.ru_utime + usage.ru_stime
    groups = dict.fromkeys(GROUPS, 0.0)
    for thread in threading.enumerate():
        seconds = _stat_seconds(Path(f"/proc/self/task/{thread.native_id}/stat"))
        if seconds is not None:
            groups[_group(thread)] += seconds
    # threads Python does not know (and Python threads that ended) are the rest
    groups[NATIVE] = max(0.0, total - sum(groups.values()))
    return groups


def difference(after: Mapping[str, float], before: Mapping[str, float]) -> dict[str, float]:
    """``after - before`` per group."""
    return {name: round(after[name] - before.get(name, 0.0), 3) for name in after}
