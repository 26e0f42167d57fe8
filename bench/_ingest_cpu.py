"""Where the service process's CPU goes, thread by thread (Linux ``/proc``; elsewhere: nothing).

The service runs in the benchmark's process, so its threads are ours to read: the event loop
(the MQTT adapter, which drives paho from the loop: socket reads, packet parsing, building
each ``Envelope``; translation; the stream hub and republish; HTTP), a paho network thread if
one runs (older versions of the adapter had one; the report shows the column only then), the
``asyncio.to_thread`` workers (store and dead-letter batch writes), and the native threads no
Python code runs on (RocksDB's flushes and compactions under pyoxigraph, also split by
thread name). A snapshot is the CPU seconds each group used so far; subtracting two gives a
phase's share. The broker's process (mosquitto) is read the same way, by pid. ``GcClock``
adds the time spent collecting garbage (part of the threads' time, not on top of it).
"""

from __future__ import annotations

import gc
import os
import resource
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final

LOOP: Final = "event loop"
PAHO: Final = "paho network thread"
WORKERS: Final = "to_thread workers"
NATIVE: Final = "native threads"
OTHER: Final = "other Python threads"
EXITED: Final = "ended threads"
GROUPS: Final = (LOOP, PAHO, WORKERS, NATIVE, OTHER)
SERVICE: Final = (*GROUPS, EXITED)  # everything the service process spent, once each
GC: Final = "garbage collection"  # wall seconds, spent in the threads above
GC_FULL: Final = "full collections"
GC_FULL_S: Final = "full collections, seconds"

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


def _comm(task: Path) -> str:
    try:
        name = (task / "comm").read_text().strip()
    except OSError:
        return "?"
    return name.rstrip("0123456789") or name


def thread_seconds() -> dict[str, float]:
    """CPU seconds this process's thread groups used so far (empty without ``/proc``).

    Besides ``GROUPS``, native threads are also split by name (``"native: rocksdb:low"``);
    CPU of threads that already ended counts under ``EXITED``.
    """
    tasks = Path("/proc/self/task")
    if not tasks.is_dir():
        return {}
    python = {thread.native_id: _group(thread) for thread in threading.enumerate()}
    groups = dict.fromkeys(GROUPS, 0.0)
    for task in tasks.iterdir():
        seconds = _stat_seconds(task / "stat")
        if seconds is None:
            continue
        group = python.get(int(task.name))
        if group is None:
            group = NATIVE
            detail = f"{NATIVE}: {_comm(task)}"
            groups[detail] = groups.get(detail, 0.0) + seconds
        groups[group] += seconds
    usage = resource.getrusage(resource.RUSAGE_SELF)
    groups[EXITED] = max(0.0, usage.ru_utime + usage.ru_stime - sum(groups[g] for g in GROUPS))
    return groups


def service_seconds(cpu: Mapping[str, float]) -> float:
    """The service process's whole CPU time in a snapshot or a difference."""
    return sum(cpu.get(name, 0.0) for name in SERVICE)


class GcClock:
    """Wall time the interpreter spends collecting garbage (``gc.callbacks``), any thread.

    ``snapshot()`` gives ``GC`` (seconds in all collections so far), ``GC_FULL`` (how many
    were full, generation 2, collections) and ``GC_FULL_S`` (seconds in those).
    """

    def __init__(self) -> None:
        self._seconds = 0.0
        self._full = 0
        self._full_seconds = 0.0
        self._started = 0.0

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def snapshot(self) -> dict[str, float]:
        """Seconds in collections and full collections so far."""
        return {GC: self._seconds, GC_FULL: float(self._full), GC_FULL_S: self._full_seconds}

    def _callback(self, phase: str, info: Mapping[str, int]) -> None:
        # collections hold the GIL from start to stop: one at a time, whatever the thread
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        self._seconds += took
        if info.get("generation") == 2:
            self._full += 1
            self._full_seconds += took


def difference(after: Mapping[str, float], before: Mapping[str, float]) -> dict[str, float]:
    """``after - before`` per group."""
    return {name: round(after[name] - before.get(name, 0.0), 3) for name in after}
