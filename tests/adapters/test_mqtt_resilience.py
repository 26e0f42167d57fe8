"""MQTT adapter when things go wrong or scale out: broker restarts, lost sessions, shared
subscriptions, shutdown, refused credentials, TLS. Real mosquitto brokers on loopback."""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from translator.adapters.base import IngestResult
from translator.adapters.mqtt import MqttAdapter, MqttSettings, MqttTls
from translator.errors import AdapterError, ConfigError

TIMEOUT_S = 15.0


def lines(prefix: str, count: int) -> list[bytes]:
    return [f"{prefix}-{n:04d}".encode() for n in range(count)]


def paho_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("paho-mqtt-client-")]


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
async def test_broker_restart_mid_stream_loses_no_qos1_message(
    private_mosquitto: Any,
    make_collector: Any,
    mqtt_settings: Any,
    run_adapter: Any,
    until: Any,
    protocol: str,
) -> None:
    sink = make_collector()
    topic = "restart/stream"
    # a slow first retry, so "after" is most likely published while we are away
    settings = mqtt_settings(private_mosquitto.port, protocol=protocol, reconnect_min_s=0.5)
    before, after = lines("before", 20), lines("after", 50)
    async with run_adapter(MqttAdapter(settings, [topic], sink)) as adapter:
        await private_mosquitto.cli.publish_lines(topic, before)
        await sink.wait_for(len(before))
        await asyncio.to_thread(private_mosquitto.restart)
        # published as soon as the broker is back, whether or not we reconnected yet
        await private_mosquitto.cli.publish_lines(topic, after)
        await until(lambda: set(after) <= set(sink.payloads), within=TIMEOUT_S)
        stats = adapter.stats()
    assert stats.reconnects >= 1
    assert set(sink.payloads) == set(before + after)  # at-least-once: duplicates allowed
    arrived_after = [p for p in sink.payloads if p.startswith(b"after")]
    assert sorted(set(arrived_after)) == after


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
async def test_resubscribes_when_the_broker_lost_our_session(
    private_mosquitto: Any,
    make_collector: Any,
    mqtt_settings: Any,
    run_adapter: Any,
    until: Any,
    protocol: str,
) -> None:
    sink = make_collector()
    topic = "lost/session"
    settings = mqtt_settings(private_mosquitto.port, protocol=protocol)
    async with run_adapter(MqttAdapter(settings, [topic], sink)) as adapter:
        await asyncio.to_thread(private_mosquitto.stop)
        for stored in private_mosquitto.workdir.glob("*.db"):
            stored.unlink()  # the broker comes back knowing nothing about us
        await asyncio.to_thread(private_mosquitto.start)
        await until(lambda: adapter.stats().connects >= 2, within=TIMEOUT_S)
        async with asyncio.timeout(TIMEOUT_S):
            await adapter.ready()
        await private_mosquitto.cli.publish(topic, b"after a fresh broker")
        await sink.wait_for(1)
    assert sink.payloads == [b"after a fresh broker"]


async def test_first_connection_is_retried_until_the_broker_is_up(
    unused_tcp_port: int, mosquitto_factory: Any, make_collector: Any, mqtt_settings: Any
) -> None:
    port = unused_tcp_port
    sink = make_collector()
    adapter = MqttAdapter(mqtt_settings(port), ["late/broker"], sink)
    task = asyncio.create_task(adapter.run())
    try:
        await asyncio.sleep(0.3)  # a few refused attempts
        assert not adapter.stats().connected
        broker = await asyncio.to_thread(mosquitto_factory, "allow_anonymous true\n", port)
        async with asyncio.timeout(TIMEOUT_S):
            await adapter.ready()
        await broker.cli.publish("late/broker", b"hello")
        await sink.wait_for(1)
    finally:
        async with asyncio.timeout(TIMEOUT_S):
            await adapter.stop()
            await task
    assert adapter.stats().connects == 1


async def test_an_idle_connection_keeps_itself_alive(
    mosquitto: Any, make_collector: Any, mqtt_settings: Any, run_adapter: Any, until: Any
) -> None:
    # paho runs on our event loop, so its keepalive PINGREQ depends on our timer; without
    # it mosquitto would drop a client silent for 1.5 x keepalive
    sink = make_collector()
    topic = f"idle-{uuid.uuid4().hex[:8]}/x"
    settings = mqtt_settings(mosquitto.port, keepalive_s=5, block_timeout_s=1.0)
    pinged = f"Received PINGREQ from {settings.client_id}"
    async with run_adapter(MqttAdapter(settings, [topic], sink)) as adapter:
        await until(lambda: pinged in mosquitto.log(), within=TIMEOUT_S)
        await mosquitto.cli.publish(topic, b"still here")
        await sink.wait_for(1)
        stats = adapter.stats()
    assert (stats.connects, stats.connected) == (1, True)


async def test_shared_subscription_splits_the_load_between_workers(
    mosquitto: Any, make_collector: Any, mqtt_settings: Any, run_adapter: Any, until: Any
) -> None:
    root = f"shared-{uuid.uuid4().hex[:8]}"
    group = f"workers{uuid.uuid4().hex[:6]}"
    sinks = [make_collector(), make_collector()]
    workers = [
        MqttAdapter(
            mqtt_settings(mosquitto.port, protocol="5", shared_group=group), [f"{root}/#"], s
        )
        for s in sinks
    ]
    sent = lines("load", 60)
    async with run_adapter(workers[0]), run_adapter(workers[1]):
        await mosquitto.cli.publish_lines(f"{root}/meter", sent)
        await until(lambda: sum(len(s.envelopes) for s in sinks) >= len(sent), within=TIMEOUT_S)
    first, second = (s.payloads for s in sinks)
    assert first, "both workers must get a share"
    assert second, "both workers must get a share"
    assert sorted(first + second) == sent, "every message exactly once across the group"


async def test_stop_drains_the_queue_then_acks_so_nothing_comes_back(
    mosquitto: Any, make_collector: Any, mqtt_settings: Any, until: Any
) -> None:
    gate = asyncio.Event()
    seen: list[bytes] = []
    known_tasks = asyncio.all_tasks()
    known_threads = {t for t in threading.enumerate() if not t.name.startswith("asyncio_")}

    async def slow_sink(envelope: Any) -> Any:
        await gate.wait()
        seen.append(envelope.payload)
        return IngestResult(accepted=True)

    topic = f"drain-{uuid.uuid4().hex[:8]}/x"
    settings = mqtt_settings(mosquitto.port, queue_size=100)
    adapter = MqttAdapter(settings, [topic], slow_sink)
    task = asyncio.create_task(adapter.run(), name="adapter")
    async with asyncio.timeout(TIMEOUT_S):
        await adapter.ready()
    sent = lines("queued", 30)
    await mosquitto.cli.publish_lines(topic, sent)
    await until(lambda: adapter.stats().received == len(sent))
    stopping = asyncio.create_task(adapter.stop())
    await asyncio.sleep(0)  # stop() has closed the queue: what is queued still goes to the sink
    gate.set()
    async with asyncio.timeout(TIMEOUT_S):
        await stopping
        await task
    assert seen == sent
    assert paho_threads() == []
    assert asyncio.all_tasks() == known_tasks
    assert {t for t in threading.enumerate() if not t.name.startswith("asyncio_")} <= known_threads

    # Same client id, persistent session: had any ack been missing, the broker would redeliver.
    again = make_collector()
    resumed = MqttAdapter(settings, [topic], again)
    task = asyncio.create_task(resumed.run())
    try:
        async with asyncio.timeout(TIMEOUT_S):
            await resumed.ready()
        await mosquitto.cli.publish(topic, b"sentinel")
        await again.wait_for(1)
    finally:
        await resumed.stop()
        await task
    assert again.payloads == [b"sentinel"]


async def test_cancelled_run_leaves_unprocessed_messages_to_the_next_session(
    mosquitto: Any, make_collector: Any, mqtt_settings: Any, until: Any
) -> None:
    never = asyncio.Event()

    async def stuck_sink(envelope: Any) -> Any:
        await never.wait()

    topic = f"cancel-{uuid.uuid4().hex[:8]}/x"
    settings = mqtt_settings(mosquitto.port)
    adapter = MqttAdapter(settings, [topic], stuck_sink)
    task = asyncio.create_task(adapter.run())
    async with asyncio.timeout(TIMEOUT_S):
        await adapter.ready()
    sent = lines("unacked", 5)
    await mosquitto.cli.publish_lines(topic, sent)
    await until(lambda: adapter.stats().received == len(sent))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert paho_threads() == []

    sink = make_collector()
    resumed = MqttAdapter(settings, [topic], sink)
    task = asyncio.create_task(resumed.run())
    try:
        await sink.wait_for(len(sent), within=TIMEOUT_S)
    finally:
        await resumed.stop()
        await task
    assert sink.payloads == sent  # redelivered by the broker, in order


async def test_a_clean_run_logs_nothing_above_info(
    mosquitto: Any,
    make_collector: Any,
    mqtt_settings: Any,
    run_adapter: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="translator")
    sink = make_collector()
    topic = f"quiet-{uuid.uuid4().hex[:8]}"
    async with run_adapter(MqttAdapter(mqtt_settings(mosquitto.port), [topic], sink)):
        await mosquitto.cli.publish(topic, b"x")
        await sink.wait_for(1)
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == []
    assert any("MQTT connected" in r.getMessage() for r in caplog.records)


@pytest.fixture
def password_broker(mosquitto_factory: Any, tmp_path: Path) -> Any:
    if shutil.which("mosquitto_passwd") is None:
        pytest.skip("mosquitto_passwd not installed (apt-get install mosquitto)")
    passwords = tmp_path / "passwords"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(passwords), "translator", "right-password"],
        check=True,
        capture_output=True,
    )
    passwords.chmod(0o600)
    return mosquitto_factory(f"allow_anonymous false\npassword_file {passwords}\n")


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
async def test_wrong_password_is_a_permanent_adapter_error(
    password_broker: Any, make_collector: Any, mqtt_settings: Any, protocol: str
) -> None:
    settings = mqtt_settings(
        password_broker.port, protocol=protocol, username="translator", password="wrong"
    )
    adapter = MqttAdapter(settings, ["a/b"], make_collector())
    async with asyncio.timeout(TIMEOUT_S):
        with pytest.raises(AdapterError, match=r"mqtt\.password"):
            await adapter.run()
    assert paho_threads() == []


async def test_right_password_connects(
    password_broker: Any, make_collector: Any, mqtt_settings: Any, run_adapter: Any
) -> None:
    sink = make_collector()
    settings = mqtt_settings(password_broker.port, username="translator", password="right-password")
    async with run_adapter(MqttAdapter(settings, ["auth/ok"], sink)) as adapter:
        await adapter.publish("auth/ok", b"loop")  # our own publish comes back to us
        await sink.wait_for(1)
    assert sink.payloads == [b"loop"]


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it (openssl CLI)."""
    ca_key, ca_cert = folder / "ca.key", folder / "ca.pem"
    key, csr, cert = folder / "server.key", folder / "server.csr", folder / "server.pem"
    ext = folder / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    steps = [
        f"req -x509 -newkey rsa:2048 -nodes -days 2 -keyout {ca_key} -out {ca_cert}"
        " -subj /CN=test-ca",
        f"req -newkey rsa:2048 -nodes -keyout {key} -out {csr} -subj /CN=127.0.0.1",
        f"x509 -req -in {csr} -CA {ca_cert} -CAkey {ca_key} -CAcreateserial -days 2"
        f" -out {cert} -extfile {ext}",
    ]
    for step in steps:  # tmp paths hold no spaces
        subprocess.run(["openssl", *step.split()], check=True, capture_output=True)
    return ca_cert, cert, key


async def test_tls_connection_verified_against_a_ca_file(
    tmp_path: Path,
    mosquitto_factory: Any,
    make_collector: Any,
    mqtt_settings: Any,
    run_adapter: Any,
) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    ca, cert, key = make_certificates(tmp_path)
    broker = mosquitto_factory(f"allow_anonymous true\ncertfile {cert}\nkeyfile {key}\n")
    sink = make_collector()
    settings = mqtt_settings(broker.port, tls=MqttTls(ca_file=ca))
    async with run_adapter(MqttAdapter(settings, ["tls/x"], sink)) as adapter:
        await adapter.publish("tls/x", b"encrypted")
        await sink.wait_for(1)
    assert sink.payloads == [b"encrypted"]


def test_unreadable_tls_files_are_a_config_error(tmp_path: Path, make_collector: Any) -> None:
    bad = tmp_path / "not-a-ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ConfigError, match=r"mqtt\.tls"):
        MqttAdapter(MqttSettings(tls=MqttTls(ca_file=bad)), ["a"], make_collector())
