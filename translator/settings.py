"""Settings: the one configuration object, from keywords, environment and a config file.

Precedence (highest first): keyword arguments, environment variables (``TRANSLATOR_``
prefix, ``__`` between nested names, e.g. ``TRANSLATOR_STORE__RETENTION_DAYS=30``), the
config file (TOML or YAML, named by the ``config_file`` keyword or ``TRANSLATOR_CONFIG_FILE``),
then the defaults below, which are safe: loopback only, data under ``./data``.
See ``docs/configuration.md`` for every setting and an example file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
    YamlConfigSettingsSource,
)

from translator.adapters.coap import CoapSettings
from translator.adapters.http_client import HttpCommandSettings
from translator.adapters.mqtt import MqttSettings
from translator.errors import ConfigError

Transport = Literal["mqtt", "coap", "http"]


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StoreSettings(_Group):
    """Where and how translated data is kept."""

    in_memory: bool = Field(False, description="Keep everything in memory (tests, dry runs).")
    retention_days: float | None = Field(
        None, gt=0, description="Delete history older than this; latest state is always kept."
    )
    batch_size: int = Field(
        1000,
        ge=1,
        le=100_000,
        description="Most messages per store write (the writer writes whenever it is idle).",
    )


class LimitSettings(_Group):
    """Bounds on what one payload may cost."""

    max_payload_bytes: int = Field(256 * 1024, ge=64, description="Larger payloads are rejected.")
    max_json_depth: int = Field(32, ge=2, le=512, description="Deeper JSON is rejected.")


class HttpSettings(_Group):
    """The HTTP server: API, webhooks (``/ingest``), later SPARQL, stream and viewer."""

    host: str = Field("127.0.0.1", description="Address to listen on (loopback by default).")
    port: int = Field(8000, ge=0, le=65535, description="TCP port (0 = any free port).")


class BrokerSettings(_Group):
    """The embedded MQTT broker, started when no external broker (``mqtt``) is configured."""

    host: str = Field("127.0.0.1", description="Loopback address the broker binds to.")
    port: int = Field(1883, ge=0, le=65535, description="TCP port (0 = any free port).")


Scope = Literal["read", "stream", "actuate", "admin", "ingest"]
TOKEN_HASH_PATTERN = r"^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$"  # noqa: S105 (a regex, not a secret)


class TokenSettings(_Group):
    """One API token: its holder, its scopes and its salted hash (``translator token``)."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", description="Who holds it (in the token)."
    )
    scopes: tuple[Scope, ...] = Field(min_length=1, description="What it may do.")
    hash: str = Field(pattern=TOKEN_HASH_PATTERN, description="scrypt hash; never the token.")


class AuthSettings(_Group):
    """Bearer tokens. None configured: no auth, and the HTTP server stays on loopback."""

    tokens: tuple[TokenSettings, ...] = Field((), description="Accepted tokens (hashed).")

    @field_validator("tokens")
    @classmethod
    def _unique_names(cls, tokens: tuple[TokenSettings, ...]) -> tuple[TokenSettings, ...]:
        names = [token.name for token in tokens]
        if len(names) != len(set(names)):
            raise ValueError("token names must be unique")
        return tokens


class SparqlSettings(_Group):
    """The ``/sparql`` endpoint's bounds."""

    timeout_s: float = Field(10.0, gt=0, le=3600, description="Longest a query may run.")
    max_rows: int = Field(10_000, ge=1, description="Rows (or triples) returned at most.")
    workers: int = Field(4, ge=1, le=64, description="Queries evaluated at once; others wait.")


class StreamSettings(_Group):
    """The normalized live stream: WebSocket ``/stream``, SSE ``/stream/sse``, MQTT republish."""

    queue_size: int = Field(
        1000, ge=1, le=1_000_000, description="Messages waiting per client; full: oldest dropped."
    )
    evict_after_drops: int = Field(
        10_000, ge=0, description="Disconnect a client after this many drops in a row (0: never)."
    )
    ring_size: int = Field(
        10_000, ge=0, le=10_000_000, description="Recent messages kept for Last-Event-ID resume."
    )
    heartbeat_s: float = Field(15.0, gt=0, le=3600, description="SSE keep-alive comment period.")
    compress: bool = Field(
        False, description="Accept WebSocket permessage-deflate (less bandwidth, more CPU)."
    )
    context_url: str | None = Field(
        None, description="The messages' @context; unset: this server's /context.jsonld."
    )
    republish: bool = Field(True, description="Republish every message on the MQTT broker.")
    republish_prefix: str = Field(
        "translator/v1", pattern=r"^[^#+\x00]+$", description="Root of the republished topics."
    )
    republish_qos: int = Field(1, ge=0, le=2, description="QoS of the republished messages.")
    republish_queue: int = Field(
        10_000, ge=1, description="(thing, property) pairs waiting to be republished at most."
    )


class CommandSettings(_Group):
    """Commands to devices: confirmation timeout, history kept, where HTTP commands go."""

    confirm_timeout_s: float = Field(
        10.0, gt=0, le=3600, description="No confirming reading within this: timed-out."
    )
    history: int = Field(
        1000, ge=1, le=1_000_000, description="Command records kept in memory (oldest go)."
    )
    http: HttpCommandSettings = HttpCommandSettings()


class ViewerSettings(_Group):
    """The 3D web viewer at ``/viewer`` (docs/viewer.md)."""

    enabled: bool = Field(True, description="Serve the viewer at /viewer.")
    scene_file: Path | None = Field(
        None, description="Scene file (YAML): the GLB and thing placements; unset: a floor grid."
    )
    stale_after_s: float = Field(
        30.0, gt=0, le=86_400, description="A thing with no reading for this long fades."
    )
    history_minutes: float = Field(
        10.0, gt=0, le=10_080, description="How far back a thing's sparklines reach."
    )


class Settings(BaseSettings):
    """Everything configurable about the translator. Built once at start, then passed down."""

    model_config = SettingsConfigDict(
        env_prefix="TRANSLATOR_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    config_file: Path | None = Field(None, description="TOML or YAML file with these settings.")
    data_dir: Path = Field(Path("data"), description="Store and dead letters live here.")
    mappings: tuple[Path, ...] = Field(
        (), description="Mapping files or folders; empty means the shipped mappings."
    )
    log_level: str = Field("INFO", pattern="(?i)^(debug|info|warning|error)$")
    log_json: bool = Field(False, description="Log one JSON object per line.")
    store: StoreSettings = StoreSettings()
    limits: LimitSettings = LimitSettings()
    adapters: tuple[Transport, ...] = Field(
        ("mqtt", "coap", "http"), description="Which transports the service runs."
    )
    mqtt: MqttSettings | None = Field(
        None, description="External broker; unset means the embedded broker (``broker``)."
    )
    broker: BrokerSettings = BrokerSettings()
    coap: CoapSettings = CoapSettings()
    http: HttpSettings = HttpSettings()
    auth: AuthSettings = AuthSettings()
    sparql: SparqlSettings = SparqlSettings()
    stream: StreamSettings = StreamSettings()
    commands: CommandSettings = CommandSettings()
    viewer: ViewerSettings = ViewerSettings()

    @field_validator("config_file")
    @classmethod
    def _config_file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"config file {value} does not exist")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_path(init_settings)
        if path is not None:
            sources.append(_file_source(settings_cls, path))
        return tuple(sources)


def _config_path(init_settings: PydanticBaseSettingsSource) -> Path | None:
    kwargs: dict[str, Any] = getattr(init_settings, "init_kwargs", {})
    raw = kwargs.get("config_file") or os.environ.get("TRANSLATOR_CONFIG_FILE")
    return Path(raw) if raw else None


def _file_source(settings_cls: type[BaseSettings], path: Path) -> PydanticBaseSettingsSource:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    if path.suffix == ".toml":
        return TomlConfigSettingsSource(settings_cls, toml_file=path)
    if path.suffix in {".yaml", ".yml"}:
        return YamlConfigSettingsSource(settings_cls, yaml_file=path)
    raise ConfigError(f"config file {path}: use a .toml, .yaml or .yml file")


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning validation errors into one readable ``ConfigError``."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from err
