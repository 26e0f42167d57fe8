"""Settings of the MQTT adapter: how to reach the broker and how to consume from it.

Frozen pydantic models (untrusted input: a config file, the environment). They live next to
the adapter until they join ``translator/settings.py`` as its ``mqtt`` group; what each one
means is tabled in ``docs/adapters-mqtt.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from translator.adapters.overload import OverloadPolicy
from translator.errors import ConfigError


class MqttTls(BaseModel):
    """TLS towards the broker. Without ``ca_file`` the system's trusted CAs are used."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ca_file: Path | None = Field(None, description="PEM file of the CA(s) to trust.")
    cert_file: Path | None = Field(None, description="Client certificate (PEM), for mutual TLS.")
    key_file: Path | None = Field(None, description="Client private key (PEM), for mutual TLS.")
    insecure: bool = Field(
        False, description="Skip the server hostname check (like mosquitto_pub --insecure)."
    )

    @model_validator(mode="after")
    def _key_needs_cert(self) -> MqttTls:
        if self.key_file is not None and self.cert_file is None:
            raise ValueError("key_file needs cert_file")
        return self


class MqttSettings(BaseModel):
    """How to reach the MQTT broker and how to consume from it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field("127.0.0.1", description="Broker host name or address.")
    port: int = Field(1883, ge=1, le=65535)
    tls: MqttTls | None = Field(None, description="TLS settings; None means plain TCP.")
    username: str | None = None
    password: SecretStr | None = None
    client_id: str | None = Field(
        None,
        min_length=1,
        description="Fixed id, so the broker keeps our session; default translator-<hostname>.",
    )
    protocol: Literal["3.1.1", "5"] = Field("5", description="MQTT protocol version.")
    qos: Literal[0, 1, 2] = Field(1, description="QoS of subscriptions and of our publishes.")
    keepalive_s: int = Field(30, ge=5, le=65535, description="Keepalive interval in seconds.")
    shared_group: str | None = Field(
        None,
        pattern=r"^[^/+#]+$",
        description="Subscribe as $share/<group>/<filter> so workers split the load.",
    )
    persistent_session: bool = Field(
        True, description="Keep the broker session (and QoS>0 messages) across disconnects."
    )
    session_expiry_s: int = Field(
        3600, ge=0, le=0xFFFFFFFF, description="MQTT 5: seconds the broker keeps the session."
    )
    queue_size: int = Field(
        1000, ge=1, le=65535, description="Hand-off queue bound (and MQTT 5 Receive Maximum)."
    )
    overload: OverloadPolicy = Field(
        OverloadPolicy.BLOCK, description="What a full hand-off queue does with the next message."
    )
    outbox_size: int = Field(
        10_000, ge=1, description="QoS>0 publishes awaiting the broker's ack or a connection."
    )
    block_timeout_s: float = Field(
        10.0, gt=0, description="BLOCK: longest wait for room (s) before the message is dropped."
    )
    reconnect_min_s: float = Field(1.0, gt=0, description="First reconnect wait (s).")
    reconnect_max_s: float = Field(60.0, gt=0, description="Cap of the doubling wait (s).")
    connect_timeout_s: float = Field(5.0, gt=0, description="TCP/TLS connect timeout (s).")
    publish_timeout_s: float = Field(10.0, gt=0, description="Wait for the broker's ack (s).")
    drain_timeout_s: float = Field(10.0, gt=0, description="Longest drain on stop (s).")

    @field_validator("password")
    @classmethod
    def _not_empty(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            raise ValueError("password must not be empty; leave it unset instead")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> MqttSettings:
        if self.password is not None and self.username is None:
            raise ValueError("password needs username")
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be >= reconnect_min_s")
        if self.block_timeout_s >= self.keepalive_s:
            # paho's thread sends no PINGREQ while it waits; the broker must not time us out
            raise ValueError("block_timeout_s must be shorter than keepalive_s")
        return self


def check_topic_filter(topic_filter: str) -> None:
    """Raise ``ConfigError`` unless ``topic_filter`` is a valid MQTT topic filter."""
    levels = topic_filter.split("/")
    if not topic_filter or "\x00" in topic_filter:
        raise ConfigError(f"MQTT topic filter {topic_filter!r} is empty or holds NUL")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            raise ConfigError(f"MQTT topic filter {topic_filter!r}: '#' must be the last level")
        if "+" in level and level != "+":
            raise ConfigError(f"MQTT topic filter {topic_filter!r}: '+' must fill a whole level")
