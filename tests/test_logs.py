"""Logging set-up: context as key=value or JSON, chatty third-party loggers quieted."""

from __future__ import annotations

import logging

import orjson
import pytest

from translator.logs import JsonFormatter, KeyValueFormatter, configure_logging


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord("translator.x", logging.INFO, __file__, 1, "hello %s", ("w",), None)
    record.__dict__.update(extra)
    return record


def test_key_value_context_without_formatting_extras() -> None:
    line = KeyValueFormatter("%(message)s").format(
        _record(channel="a/b", color_message="\x1b[1mhello\x1b[0m")
    )
    assert line == "hello w channel=a/b"


def test_json_lines_carry_the_context() -> None:
    entry = orjson.loads(JsonFormatter().format(_record(mapping="tasmota-sensor")))
    assert entry["message"] == "hello w"
    assert entry["mapping"] == "tasmota-sensor"
    assert entry["level"] == "INFO"


def test_http_client_request_logs_are_quieted(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    configure_logging("info")
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    assert logging.getLogger("translator").isEnabledFor(logging.INFO)
    configure_logging("warning")
