"""The embedded amqtt broker with real MQTT clients (mosquitto_pub/sub, our adapter) on loopback."""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
import uuid
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from translator.adapters.broker import EmbeddedBroker
from translator.adapters.mqtt import MqttAdapter, MqttSettings
from translator.errors import AdapterError, ConfigError

TIMEOUT_S = 15.0

needs_mosquitto_clients = pytest.mark.skipif(
    shutil.which("mosquitto_pub") is None or shutil.which("mosquitto_sub") is None,
    reason="mosquitto clients not installed (apt-get install mosquitto-clients)",
)


@pytest.fixture
async def broker() -> Any:
    async with EmbeddedBroker() as running:
        yield running


@needs_mosquitto_clients
async def test_mosquitto_clients_publish_and_subscribe_with_wildcards(
    broker: EmbeddedBroker, mqtt_cli: Any
) -> None:
    cli = mqtt_cli(broker.port)
    async with cli.subscribe("home/+/temperature", count=2) as subscription:
        await cli.publish("home/kitchen/temperature", b"21.5", qos=0)
        await cli.publish("home/kitchen/humidity", b"40", qos=1)
        await cli.publish("home/hall/temperature", b"\x00\xff", qos=1)
        assert await subscription.messages(2) == [
            ("home/kitchen/temperature", b"21.5"),
            ("home/hall/temperature", b"\x00\xff"),
        ]


@needs_mosquitto_clients
async def test_retained_message_reaches_a_later_subscriber(
    broker: EmbeddedBroker, mqtt_cli: Any
) -> None:
    cli = mqtt_cli(broker.port)
    await cli.publish("plug/state", b'{"POWER":"ON"}', retain=True)
    async with cli.subscribe("plug/#", count=1) as subscription:
        assert await subscription.messages(1) == [("plug/state", b'{"POWER":"ON"}')]


@needs_mosquitto_clients
async def test_adapter_receives_and_sends_through_the_embedded_broker(
    broker: EmbeddedBroker, mqtt_cli: Any, make_collector: Any, run_adapter: Any
) -> None:
    cli = mqtt_cli(broker.port)
    sink = make_collector()
    settings = broker.client_settings(MqttSettings(client_id=f"t-{uuid.uuid4().hex[:8]}"))
    async with run_adapter(MqttAdapter(settings, ["zigbee2mqtt/+"], sink)) as adapter:
        await cli.publish("zigbee2mqtt/sensor1", b'{"temperature":21.5}')
        await cli.publish("zigbee2mqtt/sensor1/set", b"ignored: deeper than +")
        await cli.publish("zigbee2mqtt/sensor2", b'{"humidity":40}')
        envelopes = await sink.wait_for(2)
        async with cli.subscribe("cmnd/plug/POWER", count=1) as subscription:
            await adapter.publish("cmnd/plug/POWER", b"ON")
            assert await subscription.messages(1) == [("cmnd/plug/POWER", b"ON")]
    assert [(e.channel, e.payload) for e in envelopes] == [
        ("zigbee2mqtt/sensor1", b'{"temperature":21.5}'),
        ("zigbee2mqtt/sensor2", b'{"humidity":40}'),
    ]
    assert envelopes[0].peer == f"127.0.0.1:{broker.port}"


def test_client_settings_speak_the_brokers_dialect() -> None:
    base = MqttSettings(protocol="5", shared_group="workers", username="u", password="p", qos=1)
    embedded = EmbeddedBroker()
    embedded._port = 1884  # as if started; client_settings only reads it
    settings = embedded.client_settings(base)
    assert (settings.host, settings.port, settings.protocol) == ("127.0.0.1", 1884, "3.1.1")
    assert (settings.shared_group, settings.username, settings.password) == (None, None, None)
    assert settings.qos == 1


async def test_amqtt_refuses_mqtt5_which_is_why_clients_speak_311(broker: EmbeddedBroker) -> None:
    loop = asyncio.get_running_loop()
    answered: asyncio.Future[ReasonCode] = loop.create_future()
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="v5", protocol=paho.MQTTv5)
    client.on_connect = lambda _c, _u, _f, reason, _p: loop.call_soon_threadsafe(
        answered.set_result, reason
    )
    client.connect_async("127.0.0.1", broker.port)
    client.loop_start()
    try:
        async with asyncio.timeout(TIMEOUT_S):
            reason = await answered
    finally:
        client.disconnect()
        await asyncio.to_thread(client.loop_stop)
    assert reason.value == 0x84  # Unsupported Protocol Version


async def test_persistent_session_keeps_qos1_messages_while_the_client_is_away(
    broker: EmbeddedBroker, make_collector: Any, run_adapter: Any
) -> None:
    settings = broker.client_settings(MqttSettings(client_id="returning-client", qos=1))
    publisher_settings = broker.client_settings(MqttSettings(client_id="pub"))
    publisher = MqttAdapter(publisher_settings, [], make_collector())
    async with run_adapter(MqttAdapter(settings, ["away/#"], make_collector())):
        pass  # subscribed once; the session stays on the broker
    sink = make_collector()
    async with run_adapter(publisher):
        for n in range(5):
            await publisher.publish(f"away/{n}", f"{n}".encode(), qos=1)
    async with run_adapter(MqttAdapter(settings, ["away/#"], sink)):
        await sink.wait_for(5, within=TIMEOUT_S)
    assert sink.payloads == [b"0", b"1", b"2", b"3", b"4"]


async def test_port_zero_picks_a_free_port_and_a_taken_port_is_an_adapter_error() -> None:
    async with EmbeddedBroker() as first:
        assert first.port > 0
        assert first.url == f"mqtt://127.0.0.1:{first.port}"
        taken = EmbeddedBroker(port=first.port)
        with pytest.raises(AdapterError, match="cannot listen"):
            await taken.start()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org"])
def test_only_loopback_is_allowed(host: str) -> None:
    with pytest.raises(ConfigError):
        EmbeddedBroker(host=host)


def test_port_is_unknown_before_start() -> None:
    with pytest.raises(AdapterError, match="not started"):
        _ = EmbeddedBroker().port


async def test_stop_leaves_no_task_or_thread_and_logs_quietly(
    make_collector: Any,
    run_adapter: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO)
    for name in ("amqtt", "transitions"):  # as if no broker had quieted them yet
        monkeypatch.setattr(logging.getLogger(name), "level", logging.NOTSET)
    tasks_before = asyncio.all_tasks()
    threads_before = {t for t in threading.enumerate() if not t.name.startswith("asyncio_")}
    async with EmbeddedBroker() as broker:
        sink = make_collector()
        settings = broker.client_settings(MqttSettings(client_id="quiet"))
        async with run_adapter(MqttAdapter(settings, ["q/#"], sink)) as adapter:
            await adapter.publish("q/1", b"x")
            await sink.wait_for(1)
    assert asyncio.all_tasks() == tasks_before
    assert {t for t in threading.enumerate() if not t.name.startswith("asyncio_")} <= threads_before
    # amqtt's INFO chatter (a line per connection and state change) is turned down
    chatter = [
        r
        for r in caplog.records
        if r.name.startswith(("amqtt", "transitions")) and r.levelno < logging.WARNING
    ]
    assert chatter == []
    assert any("embedded MQTT broker" in r.getMessage() for r in caplog.records)
