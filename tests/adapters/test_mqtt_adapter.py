"""MQTT adapter against a real mosquitto on loopback: arrival, order, bytes, filters, sending."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from translator.adapters.base import IngestResult
from translator.adapters.mqtt import MqttAdapter, MqttSettings, check_topic_filter
from translator.errors import AdapterError, ConfigError
from translator.values import Command, Protocol, RenderedCommand


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def test_payloads_arrive_in_order_with_exact_bytes(
    mosquitto: Any, make_collector: Any, mqtt_settings: Any, run_adapter: Any
) -> None:
    sink = make_collector()
    topic = f"{unique('exact')}/device"
    payloads = [b"\x00\xff binary\r\n", "température 21,5 °C".encode(), b"", b"{}" * 50_000]
    async with run_adapter(MqttAdapter(mqtt_settings(mosquitto.port), [topic], sink)) as adapter:
        for payload in payloads:
            await mosquitto.cli.publish(topic, payload)
        envelopes = await sink.wait_for(len(payloads))
        stats = adapter.stats()
    assert [e.payload for e in envelopes] == payloads
    assert {e.channel for e in envelopes} == {topic}
    assert all(e.protocol is Protocol.MQTT for e in envelopes)
    assert all(e.received_at.utcoffset() is not None for e in envelopes)
    assert all(e.content_format is None for e in envelopes)
    assert envelopes[0].peer == f"127.0.0.1:{mosquitto.port}"
    assert (stats.received, stats.delivered, stats.dropped) == (4, 4, 0)


async def test_a_stream_keeps_its_order(
    mosquitto: Any, make_collector: Any, mqtt_settings: Any, run_adapter: Any
) -> None:
    sink = make_collector()
    topic = f"{unique('stream')}/sensor"
    lines = [f'{{"seq":{n}}}'.encode() for n in range(300)]
    async with run_adapter(MqttAdapter(mqtt_settings(mosquitto.port), [topic], sink)):
        await mosquitto.cli.publish_lines(topic, lines)
        await sink.wait_for(len(lines))
    assert sink.payloads == lines


async def test_only_topics_matching_the_filters_arrive(
    mosquitto: Any, make_collector: Any, mqtt_settings: Any, run_adapter: Any
) -> None:
    root = unique("wild")
    sink = make_collector()
    filters = [f"{root}/+/temperature", f"{root}/plug/#"]
    published = {
        f"{root}/kitchen/temperature": True,
        f"{root}/kitchen/humidity": False,
        f"{root}/kitchen/sub/temperature": False,
        f"{root}/plug": True,  # '#' also matches the parent level
        f"{root}/plug/a/b/c": True,
        f"{root}/plugs/a": False,
    }
    adapter = MqttAdapter(mqtt_settings(mosquitto.port), filters, sink)
    async with run_adapter(adapter):
        for topic in published:
            await mosquitto.cli.publish(topic, topic.encode())
        sentinel = f"{root}/done/temperature"
        await mosquitto.cli.publish(sentinel, b"end")
        await sink.wait_for(sum(published.values()) + 1)
    assert [e.channel for e in sink.envelopes] == [
        *(topic for topic, wanted in published.items() if wanted),
        sentinel,
    ]


async def test_content_type_comes_from_the_mqtt5_property(
    mosquitto: Any, make_collector: Any, mqtt_settings: Any, run_adapter: Any
) -> None:
    sink = make_collector()
    topic = f"{unique('ct')}/senml"
    adapter = MqttAdapter(mqtt_settings(mosquitto.port, protocol="5"), [topic], sink)
    async with run_adapter(adapter):
        await mosquitto.cli.publish(
            topic, b"[]", version="5", content_type="application/senml+json"
        )
        await mosquitto.cli.publish(topic, b"[]", version="5")
        first, second = await sink.wait_for(2)
    assert first.content_format == "application/senml+json"
    assert second.content_format is None


async def test_rejections_and_sink_errors_are_counted_and_ingest_goes_on(
    mosquitto: Any, mqtt_settings: Any, run_adapter: Any, until: Any
) -> None:
    seen: list[bytes] = []

    async def sink(envelope: Any) -> IngestResult:
        seen.append(envelope.payload)
        if envelope.payload == b"boom":
            raise RuntimeError("a bug in the sink")
        return IngestResult(accepted=envelope.payload != b"bad", reason="test")

    topic = f"{unique('errors')}/x"
    async with run_adapter(MqttAdapter(mqtt_settings(mosquitto.port), [topic], sink)) as adapter:
        await mosquitto.cli.publish_lines(topic, [b"ok", b"boom", b"bad", b"ok"])
        await until(lambda: adapter.stats().delivered + adapter.stats().sink_errors == 4)
        stats = adapter.stats()
    assert seen == [b"ok", b"boom", b"bad", b"ok"]
    assert (stats.delivered, stats.rejected, stats.sink_errors) == (3, 1, 1)


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
async def test_send_publishes_a_command_that_mosquitto_sub_sees(
    mosquitto: Any, make_collector: Any, mqtt_settings: Any, run_adapter: Any, protocol: str
) -> None:
    channel = f"{unique('cmd')}/plug/set"
    command = RenderedCommand(
        command=Command(thing="urn:example:plug", name="switch", value=True),
        mapping_id="tasmota",
        protocol=Protocol.MQTT,
        channel=channel,
        payload=b'{"POWER":"ON"}',
        content_format="application/json",
    )
    adapter = MqttAdapter(mqtt_settings(mosquitto.port, protocol=protocol), [], make_collector())
    async with run_adapter(adapter), mosquitto.cli.subscribe(channel, count=1) as subscription:
        await adapter.send(command)
        assert await subscription.messages(1) == [(channel, b'{"POWER":"ON"}')]
        assert adapter.stats().published == 1


async def test_publish_retained_reaches_a_later_subscriber(
    mosquitto: Any, make_collector: Any, mqtt_settings: Any, run_adapter: Any
) -> None:
    topic = f"{unique('retained')}/state"
    adapter = MqttAdapter(mqtt_settings(mosquitto.port), [], make_collector())
    async with run_adapter(adapter):
        await adapter.publish(topic, b"21.5", qos=0, retain=True)
        async with mosquitto.cli.subscribe(topic, count=1) as subscription:
            assert await subscription.messages(1) == [(topic, b"21.5")]
        await adapter.publish(topic, b"", retain=True)  # clear it for later sessions


async def test_send_refuses_a_command_for_another_protocol(
    mosquitto: Any, make_collector: Any, mqtt_settings: Any, run_adapter: Any
) -> None:
    command = RenderedCommand(
        command=Command(thing="urn:example:lamp", name="dim", value=3),
        mapping_id="senml",
        protocol=Protocol.COAP,
        channel="lamp/dim",
        payload=b"3",
    )
    adapter = MqttAdapter(mqtt_settings(mosquitto.port), [], make_collector())
    async with run_adapter(adapter):
        with pytest.raises(AdapterError, match="coap"):
            await adapter.send(command)


async def test_publish_before_run_is_an_adapter_error(
    mosquitto: Any, make_collector: Any, mqtt_settings: Any
) -> None:
    adapter = MqttAdapter(mqtt_settings(mosquitto.port), [], make_collector())
    with pytest.raises(AdapterError, match="not running"):
        await adapter.publish("a/b", b"x")


@pytest.mark.parametrize("bad", ["", "a/#/b", "a/b#", "a/+b/c", "+a", "a/\x00"])
def test_invalid_topic_filters_are_config_errors(bad: str, make_collector: Any) -> None:
    with pytest.raises(ConfigError, match="topic filter"):
        MqttAdapter(MqttSettings(), [bad], make_collector())


@pytest.mark.parametrize("good", ["#", "+", "a/+/c", "a/b/#", "zigbee2mqtt/+", "/leading"])
def test_valid_topic_filters_pass(good: str) -> None:
    check_topic_filter(good)


@pytest.mark.parametrize(
    "values",
    [
        {"password": "secret"},  # password without user name
        {"username": "u", "password": ""},
        {"shared_group": "a/b"},
        {"shared_group": "g+"},
        {"reconnect_min_s": 5, "reconnect_max_s": 1},
        {"queue_size": 0},
        {"protocol": "3.1"},
        {"qos": 3},
        {"tls": {"key_file": "client.key"}},
        {"hostname": "typo"},
    ],
)
def test_settings_refuse_inconsistent_values(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MqttSettings(**values)


def test_settings_keep_the_password_secret() -> None:
    settings = MqttSettings(username="translator", password="s3cret-value")
    assert "s3cret-value" not in repr(settings)
    assert "s3cret-value" not in str(settings.model_dump())


def test_default_client_id_is_fixed_per_host(make_collector: Any) -> None:
    first = MqttAdapter(MqttSettings(), ["a"], make_collector())
    second = MqttAdapter(MqttSettings(), ["a"], make_collector())
    assert first.client_id == second.client_id
    assert first.client_id.startswith("translator-")
