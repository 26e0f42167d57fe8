"""Resident memory of this process, and the peak of one benchmark phase.

On Linux the peak ("high water mark", ``VmHWM``) can be reset by writing ``5`` to
``/proc/self/clear_refs``, so each phase reports its own peak rather than the process's.
Elsewhere (or when that file is not writable) the phase peak falls back to ``ru_maxrss``,
the peak of the whole process so far, and ``PhasePeak.own`` says so.
"""

from __future__ import annotations

import re
import resource
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

_STATUS: Final = Path("/proc/self/status")
_CLEAR_REFS: Final = Path("/proc/self/clear_refs")
_FIELD: Final = re.compile(r"^(VmRSS|VmHWM):\s+(\d+)\s+kB$", re.MULTILINE)


def _status_kb() -> dict[str, int]:
    try:
        text = _STATUS.read_text()
    except OSError:
        return {}
    return {name: int(kb) for name, kb in _FIELD.findall(text)}


def _maxrss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes vs kB


def rss_mb() -> float:
    """The resident set size now, in MiB (the process peak where ``/proc`` is missing)."""
    kb = _status_kb().get("VmRSS")
    return _maxrss_mb() if kb is None else kb / 1024


@dataclass(slots=True)
class PhasePeak:
    """Tracks the peak RSS of one phase: ``start()`` before it, ``peak_mb()`` after it."""

    own: bool = False  # True when the peak was reset at the start (the phase's own peak)
    start_mb: float = 0.0

    def start(self) -> None:
        """Remember the RSS now and reset the kernel's high water mark if possible."""
        self.start_mb = rss_mb()
        try:
            _CLEAR_REFS.write_text("5")
        except OSError:
            self.own = False
        else:
            self.own = "VmHWM" in _status_kb()

    def peak_mb(self) -> float:
        """The peak RSS since ``start`` (or of the whole process, see ``own``), in MiB."""
        kb = _status_kb().get("VmHWM")
        return kb / 1024 if self.own and kb is not None else _maxrss_mb()
