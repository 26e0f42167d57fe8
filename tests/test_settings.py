"""Settings: defaults, environment, config files, readable errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from translator.errors import ConfigError
from translator.settings import load_settings


def test_defaults_are_safe() -> None:
    settings = load_settings()
    assert settings.data_dir == Path("data")
    assert settings.limits.max_payload_bytes == 256 * 1024
    assert settings.store.retention_days is None


def test_environment_overrides_nested_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSLATOR_STORE__RETENTION_DAYS", "7")
    monkeypatch.setenv("TRANSLATOR_LIMITS__MAX_JSON_DEPTH", "8")
    settings = load_settings()
    assert settings.store.retention_days == 7
    assert settings.limits.max_json_depth == 8


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("c.toml", 'data_dir = "/srv/t"\n[store]\nbatch_size = 50\n'),
        ("c.yaml", "data_dir: /srv/t\nstore:\n  batch_size: 50\n"),
    ],
)
def test_config_file(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    settings = load_settings(config_file=path)
    assert settings.data_dir == Path("/srv/t")
    assert settings.store.batch_size == 50


def test_keywords_beat_environment_beat_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.toml"
    path.write_text('data_dir = "from-file"\nlog_level = "warning"\n[store]\nbatch_size = 5\n')
    monkeypatch.setenv("TRANSLATOR_LOG_LEVEL", "error")
    monkeypatch.setenv("TRANSLATOR_STORE__BATCH_SIZE", "6")
    settings = load_settings(config_file=path, data_dir=Path("kw"))
    assert settings.data_dir == Path("kw")
    assert settings.log_level == "error"
    assert settings.store.batch_size == 6


def test_errors_name_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"limits\.max_json_depth"):
        load_settings(limits={"max_json_depth": 0})
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(config_file=tmp_path / "missing.toml")
    bad = tmp_path / "c.ini"
    bad.write_text("x=1")
    with pytest.raises(ConfigError, match=r"\.toml, \.yaml"):
        load_settings(config_file=bad)


def test_unknown_setting_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no_such"):
        load_settings(no_such=1)
