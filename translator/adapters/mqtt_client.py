"""paho-mqtt plumbing for the MQTT adapter: the client, its CONNECT, its acknowledgements.

``build_client`` turns ``MqttSettings`` into a configured paho client (callback API 2,
manual acknowledgements, backoff, TLS, credentials); ``connect_options`` gives the CONNECT's
clean-start flag and MQTT 5 properties; ``AckLine`` sends acknowledgements in the order the
messages arrived, whatever order they are settled in. Nothing here touches the event loop.
"""

from __future__ import annotations

import logging
import ssl
from collections import deque
from dataclasses import dataclass
from typing import Literal, Protocol, cast

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from translator.adapters.mqtt_settings import MqttSettings, MqttTls
from translator.errors import ConfigError

logger = logging.getLogger(__name__)

# CONNACK reasons that retrying cannot fix (MQTT 5 codes; paho maps 3.1.1 codes onto them).
_PERMANENT_REFUSALS = {
    0x84: "the broker does not speak this MQTT version: set mqtt.protocol to '3.1.1'",
    0x85: "the broker rejected the client id: set mqtt.client_id",
    0x86: "bad user name or password: check mqtt.username and mqtt.password",
    0x87: "not authorized: check mqtt.username, mqtt.password and the broker's ACL",
    0x8C: "bad authentication method",
}


def refusal_hint(reason: ReasonCode) -> str | None:
    """What to fix when the broker refused the connection for good; ``None`` if transient."""
    return _PERMANENT_REFUSALS.get(reason.value)


@dataclass(slots=True)
class PendingAck:
    """A QoS>0 message the broker waits to hear about; acknowledged once ``settled``."""

    mid: int
    qos: int
    settled: bool = False


class Acknowledger(Protocol):
    """What ``AckLine`` needs of a client: paho's ``Client.ack``."""

    def ack(self, mid: int, qos: int) -> object:
        """Send the acknowledgement of message ``mid`` received at ``qos``."""
        ...


class AckLine:
    """Acknowledgements owed to the broker, sent strictly in arrival order.

    ``expect`` registers a QoS>0 message as it arrives; ``settle`` marks it done (handed to
    the sink, or dropped) and sends every acknowledgement now due. ``reset`` forgets what is
    owed on a connection that is gone: the broker redelivers those messages, and their packet
    ids mean nothing on the new connection. Used from one thread (the event loop's).
    """

    def __init__(self, client: Acknowledger) -> None:
        self._client = client
        self._owed: deque[PendingAck] = deque()

    def expect(self, mid: int, qos: int) -> PendingAck | None:
        """Register an arrival; ``None`` for QoS 0, which needs no acknowledgement."""
        if qos == 0:
            return None
        ack = PendingAck(mid, qos)
        self._owed.append(ack)
        return ack

    def settle(self, ack: PendingAck | None) -> None:
        """Mark ``ack`` due and send every acknowledgement now due, in arrival order."""
        if ack is None:
            return
        ack.settled = True
        while self._owed and self._owed[0].settled:
            head = self._owed.popleft()
            self._client.ack(head.mid, head.qos)

    def reset(self) -> None:
        """Forget what is owed on the previous connection."""
        self._owed.clear()


def connect_options(settings: MqttSettings) -> tuple[bool | Literal[3], Properties | None]:
    """The CONNECT's clean-start flag and (MQTT 5) properties for ``connect_async``."""
    if settings.protocol != "5":
        # MQTT 3.1.1 takes its clean-session flag at construction (see build_client) and
        # refuses any clean_start but the default.
        return paho.MQTT_CLEAN_START_FIRST_ONLY, None
    properties = _properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = (
        settings.session_expiry_s if settings.persistent_session else 0
    )
    properties.ReceiveMaximum = settings.queue_size
    return not settings.persistent_session, properties


def publish_properties(settings: MqttSettings, content_type: str | None) -> Properties | None:
    """MQTT 5 PUBLISH properties carrying ``content_type``, if there is one to carry.

    They pack once (``PackedOnce``): build them once per content type and reuse them for
    every publish, never changing them.
    """
    if content_type is None or settings.protocol != "5":
        return None
    properties = PackedOnce(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho's
    properties.ContentType = content_type
    return properties


class PackedOnce(Properties):
    """MQTT 5 properties that serialize once: paho packs a publish's properties anew on
    every publish (~8 µs in pure Python), so reused, never-changed properties keep the bytes."""

    def pack(self) -> bytes:
        """The properties' bytes, computed on the first call."""
        packed: bytes | None = self.__dict__.get("_packed")
        if packed is None:
            packed = bytes(super().pack())  # type: ignore[no-untyped-call]  # paho's, unannotated
            object.__setattr__(self, "_packed", packed)  # paho's __setattr__ takes no others
        return packed


class _PahoShutdownNoise(logging.Filter):
    """paho 2.2's network thread logs "Client is not connected" at ERROR after every clean
    disconnect; it is not an error, so it becomes a DEBUG record (or none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and str(record.msg).startswith("Client is not conn"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


def _paho_logger() -> logging.Logger:
    paho_logger = logging.getLogger(f"{__name__}.paho")
    if not any(isinstance(f, _PahoShutdownNoise) for f in paho_logger.filters):
        paho_logger.addFilter(_PahoShutdownNoise())
    return paho_logger


def build_client(settings: MqttSettings, client_id: str) -> paho.Client:
    v5 = settings.protocol == "5"
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        # 3.1.1 has one clean-session flag for every connect; MQTT 5 sets it per connect.
        clean_session=None if v5 else not settings.persistent_session,
        protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
        manual_ack=True,
    )
    client.enable_logger(_paho_logger())
    # paho annotates the delays as int but computes with floats; sub-second waits are fine.
    client.reconnect_delay_set(
        cast(int, settings.reconnect_min_s), cast(int, settings.reconnect_max_s)
    )
    client.connect_timeout = settings.connect_timeout_s
    client.max_queued_messages_set(settings.outbox_size)
    if settings.username is not None:
        password = settings.password.get_secret_value() if settings.password else None
        client.username_pw_set(settings.username, password)
    if settings.tls is not None:
        _configure_tls(client, settings.tls)
    return client


def _configure_tls(client: paho.Client, tls: MqttTls) -> None:
    try:
        context = ssl.create_default_context(cafile=str(tls.ca_file) if tls.ca_file else None)
        if tls.cert_file is not None:
            context.load_cert_chain(tls.cert_file, tls.key_file)
    except (OSError, ssl.SSLError) as err:
        raise ConfigError(f"mqtt.tls: cannot load the certificates: {err}") from err
    if tls.insecure:
        logger.warning("MQTT TLS hostname check is off (mqtt.tls.insecure)")
        context.check_hostname = False
    client.tls_set_context(context)


def _properties(packet_type: int) -> Properties:
    return Properties(packet_type)  # type: ignore[no-untyped-call]  # paho leaves it unannotated


def message_content_type(message: paho.MQTTMessage) -> str | None:
    properties = getattr(message, "properties", None)
    value = getattr(properties, "ContentType", None)
    return value if isinstance(value, str) and value else None
