"""Logging set-up for the command line: one handler, structured context, chosen level.

Only ``translator.cli`` calls ``configure_logging``; library code just logs. Context passed
in ``extra`` (protocol, channel, mapping, thing) is appended as ``key=value`` pairs, or
emitted as JSON fields with ``json_format=True``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson

CHATTY_LOGGERS = ("httpx", "httpcore")
_FORMATTING_EXTRAS = {"color_message"}  # uvicorn's ANSI-coloured copy of the message

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def _context(record: logging.LogRecord) -> dict[str, Any]:
    return {
        k: v
        for k, v in record.__dict__.items()
        if k not in _STANDARD and k not in _FORMATTING_EXTRAS
    }


class KeyValueFormatter(logging.Formatter):
    """``time level logger: message key=value …``, for people."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = " ".join(f"{k}={v}" for k, v in _context(record).items())
        return f"{line} {extra}" if extra else line


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_context(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str = "INFO", *, json_format: bool = False) -> None:
    """Send the translator's logs to stderr at ``level``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json_format
        else KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # the simulators' HTTP client logs every request at INFO: noise next to the demo's status line
    for chatty in CHATTY_LOGGERS:
        logging.getLogger(chatty).setLevel(max(root.level, logging.WARNING))
