"""The command service with the shipped mappings, a real pipeline and honest fake senders.

The senders implement the ``CommandSender`` seam (they record what they are handed, or fail
the way an adapter fails); confirmations come from envelopes translated by the real pipeline.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from translator.errors import AdapterError, CommandError, CommandNotFound
from translator.mapping import load_mappings
from translator.metrics import Metrics
from translator.pipeline import Pipeline, build_pipeline
from translator.settings import Settings
from translator.twin.commands import CommandRecord, CommandService, CommandStatus, same_value
from translator.twin.things import ThingDirectory
from translator.values import Envelope, Protocol, RenderedCommand, Translated

PLUG = "urn:dev:zigbee2mqtt:kitchen_plug"
TASMOTA = "urn:dev:tasmota:desk"
SHELLY = "urn:dev:shelly:shellyplus1pm-a8032ab12345"


class RecordingSender:
    """A transport that takes every command, or fails like an adapter (``AdapterError``)."""

    def __init__(self, error: str | None = None, *, hold: asyncio.Event | None = None) -> None:
        self.sent: list[RenderedCommand] = []
        self._error = error
        self._hold = hold

    async def send(self, command: RenderedCommand) -> None:
        if self._hold is not None:
            await self._hold.wait()
        if self._error is not None:
            raise AdapterError(self._error)
        self.sent.append(command)


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline(Settings())


def translate(
    pipeline: Pipeline,
    channel: str,
    payload: object,
    *,
    protocol: Protocol = Protocol.MQTT,
    at: datetime | None = None,
) -> Translated:
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    envelope = Envelope(protocol, channel, body, at or datetime.now(UTC))
    outcome = pipeline.translate(envelope)
    assert isinstance(outcome, Translated), outcome
    return outcome


def plug_state(pipeline: Pipeline, state: str, *, at: datetime | None = None) -> Translated:
    return translate(pipeline, "zigbee2mqtt/kitchen_plug", {"state": state, "power": 0}, at=at)


def service(
    pipeline: Pipeline,
    senders: dict[Protocol, RecordingSender],
    *known: Translated,
    **options: object,
) -> CommandService:
    directory = ThingDirectory()
    for message in known:
        directory.learn(message)
    return CommandService(pipeline.mappings, directory, senders, **options)  # type: ignore[arg-type]


async def test_command_is_rendered_sent_and_confirmed(pipeline: Pipeline) -> None:
    mqtt = RecordingSender()
    metrics = Metrics()
    commands = service(pipeline, {Protocol.MQTT: mqtt}, plug_state(pipeline, "ON"), metrics=metrics)
    record = await commands.submit(PLUG, "setOnOff", False)
    assert record.status is CommandStatus.SENT
    assert (record.mapping_id, record.protocol, record.property) == (
        "zigbee2mqtt-plug",
        Protocol.MQTT,
        "onOff",
    )
    assert [(c.channel, orjson.loads(c.payload)) for c in mqtt.sent] == [
        ("zigbee2mqtt/kitchen_plug/set", {"state": "OFF"})
    ]
    commands.observe(plug_state(pipeline, "ON"))  # not the commanded state
    assert commands.get(record.id) == record
    commands.observe(plug_state(pipeline, "OFF"))
    done = commands.get(record.id)
    assert done is not None
    assert done.status is CommandStatus.CONFIRMED
    assert done.finished_at is not None
    assert done.sent_at is not None
    assert done.as_dict()["status"] == "confirmed"
    assert metrics.commands.labels("confirmed")._value.get() == 1
    assert metrics.commands_in_flight._value.get() == 0


async def test_a_report_received_before_the_command_does_not_confirm_it(
    pipeline: Pipeline,
) -> None:
    commands = service(pipeline, {Protocol.MQTT: RecordingSender()}, plug_state(pipeline, "ON"))
    early = plug_state(pipeline, "OFF", at=datetime.now(UTC) - timedelta(seconds=5))
    record = await commands.submit(PLUG, "setOnOff", False)
    commands.observe(early)
    assert commands.get(record.id) == record


async def test_no_confirming_report_times_out(pipeline: Pipeline) -> None:
    commands = service(
        pipeline,
        {Protocol.MQTT: RecordingSender()},
        plug_state(pipeline, "ON"),
        confirm_timeout_s=0.05,
    )
    record = await commands.submit(PLUG, "setOnOff", False)
    final = await commands.wait(record.id, within=5)
    assert final.status is CommandStatus.TIMED_OUT
    assert final.reason == "no report of onOff = False within 0.05 s"
    commands.observe(plug_state(pipeline, "OFF"))  # too late: stays timed out
    assert commands.get(record.id) == final


async def test_a_thing_registered_by_a_mapping_without_commands_is_switched_by_its_family(
    pipeline: Pipeline,
) -> None:
    sensor = translate(pipeline, "tele/desk/SENSOR", {"ENERGY": {"Power": 12}})
    assert sensor.mapping_id == "tasmota-sensor"
    mqtt = RecordingSender()
    commands = service(pipeline, {Protocol.MQTT: mqtt}, sensor)
    record = await commands.submit(TASMOTA, "setOnOff", True)
    assert record.mapping_id in {"tasmota-power", "tasmota-state"}
    assert [(c.channel, c.payload) for c in mqtt.sent] == [("cmnd/desk/POWER", b"ON")]
    commands.observe(translate(pipeline, "stat/desk/POWER", b"ON"))
    assert commands.records(TASMOTA)[0].status is CommandStatus.CONFIRMED


@pytest.mark.parametrize(
    ("channel", "protocol", "expected"),
    [
        ("shellyplus1pm-a8032ab12345/events/rpc", Protocol.MQTT, Protocol.MQTT),
        ("shelly/shellyplus1pm-a8032ab12345/events", Protocol.HTTP, Protocol.HTTP),
    ],
    ids=["seen-on-mqtt", "seen-by-webhook"],
)
async def test_the_registering_mapping_picks_the_transport(
    pipeline: Pipeline, channel: str, protocol: Protocol, expected: Protocol
) -> None:
    notify = {
        "src": "shellyplus1pm-a8032ab12345",
        "method": "NotifyStatus",
        "params": {"ts": 1764064800.0, "switch:0": {"id": 0, "output": True}},
    }
    senders = {Protocol.MQTT: RecordingSender(), Protocol.HTTP: RecordingSender()}
    commands = service(pipeline, senders, translate(pipeline, channel, notify, protocol=protocol))
    record = await commands.submit(SHELLY, "setOnOff", False)
    assert record.protocol is expected
    sent = senders[expected].sent
    assert [c.channel for c in sent] == ["shellyplus1pm-a8032ab12345/rpc"]
    assert orjson.loads(sent[0].payload)["params"] == {"id": 0, "on": False}


async def test_an_ill_typed_value_is_refused_before_anything_is_sent(pipeline: Pipeline) -> None:
    mqtt = RecordingSender()
    metrics = Metrics()
    commands = service(pipeline, {Protocol.MQTT: mqtt}, plug_state(pipeline, "ON"), metrics=metrics)
    with pytest.raises(CommandError, match="'off' is not of type 'boolean'") as caught:
        await commands.submit(PLUG, "setOnOff", "off")
    assert not isinstance(caught.value, CommandNotFound)
    assert mqtt.sent == []
    assert commands.records() == []
    assert metrics.commands.labels("refused")._value.get() == 1


@pytest.mark.parametrize(
    ("thing", "name", "message"),
    [
        ("urn:dev:zigbee2mqtt:nobody", "setOnOff", "no thing 'urn:dev:zigbee2mqtt:nobody'"),
        (PLUG, "setBrightness", "has no command 'setBrightness' \\(commands: setOnOff\\)"),
    ],
    ids=["unknown-thing", "unknown-command"],
)
async def test_unknown_things_and_commands_are_not_found(
    pipeline: Pipeline, thing: str, name: str, message: str
) -> None:
    mqtt = RecordingSender()
    commands = service(pipeline, {Protocol.MQTT: mqtt}, plug_state(pipeline, "ON"))
    with pytest.raises(CommandNotFound, match=message):
        await commands.submit(thing, name, True)
    assert mqtt.sent == []


async def test_a_thing_whose_mappings_have_no_commands(pipeline: Pipeline) -> None:
    climate = translate(pipeline, "zigbee2mqtt/hall", {"temperature": 21.5})
    commands = service(pipeline, {Protocol.MQTT: RecordingSender()}, climate)
    with pytest.raises(CommandNotFound, match=r"\(commands: none\)"):
        await commands.submit("urn:dev:zigbee2mqtt:hall", "setOnOff", True)


@pytest.mark.parametrize(
    ("senders", "reason"),
    [
        ({Protocol.MQTT: RecordingSender("broker down")}, "broker down"),
        ({}, "no mqtt transport runs in this service"),
    ],
    ids=["adapter-error", "no-adapter"],
)
async def test_delivery_failures_end_failed_with_the_reason(
    pipeline: Pipeline, senders: dict[Protocol, RecordingSender], reason: str
) -> None:
    commands = service(pipeline, senders, plug_state(pipeline, "ON"))
    record = await commands.submit(PLUG, "setOnOff", False)
    assert (record.status, record.reason) == (CommandStatus.FAILED, reason)
    assert record.done
    assert (await commands.wait(record.id)) == record


async def test_a_delivery_that_hangs_times_out(pipeline: Pipeline) -> None:
    stuck = RecordingSender(hold=asyncio.Event())
    commands = service(
        pipeline, {Protocol.MQTT: stuck}, plug_state(pipeline, "ON"), confirm_timeout_s=0.05
    )
    record = await commands.submit(PLUG, "setOnOff", False)
    assert record.status is CommandStatus.TIMED_OUT
    assert record.sent_at is None


async def test_a_report_that_overtakes_the_send_still_confirms(pipeline: Pipeline) -> None:
    hold = asyncio.Event()
    commands = service(
        pipeline, {Protocol.MQTT: RecordingSender(hold=hold)}, plug_state(pipeline, "ON")
    )
    submitting = asyncio.create_task(commands.submit(PLUG, "setOnOff", False))
    await asyncio.sleep(0)
    (pending,) = commands.records()
    assert pending.status is CommandStatus.PENDING
    commands.observe(plug_state(pipeline, "OFF"))
    hold.set()
    record = await submitting
    assert record.status is CommandStatus.CONFIRMED
    assert record.sent_at is not None


async def test_watchers_see_every_status_and_can_stop(pipeline: Pipeline) -> None:
    commands = service(pipeline, {Protocol.MQTT: RecordingSender()}, plug_state(pipeline, "ON"))
    seen: list[str] = []
    stop = commands.watch(lambda record: seen.append(record.status.value))
    record = await commands.submit(PLUG, "setOnOff", False)
    waiting = asyncio.create_task(commands.wait(record.id, within=5))
    await asyncio.sleep(0)
    commands.observe(plug_state(pipeline, "OFF"))
    assert (await waiting).status is CommandStatus.CONFIRMED
    assert seen == ["pending", "sent", "confirmed"]
    stop()
    await commands.submit(PLUG, "setOnOff", True)
    assert len(seen) == 3


async def test_a_failing_watcher_does_not_break_the_command(pipeline: Pipeline) -> None:
    commands = service(pipeline, {Protocol.MQTT: RecordingSender()}, plug_state(pipeline, "ON"))

    def broken(record: CommandRecord) -> None:
        raise RuntimeError("bug")

    commands.watch(broken)
    record = await commands.submit(PLUG, "setOnOff", False)
    assert record.status is CommandStatus.SENT


async def test_the_history_is_bounded(pipeline: Pipeline) -> None:
    commands = service(
        pipeline, {Protocol.MQTT: RecordingSender()}, plug_state(pipeline, "ON"), history=2
    )
    first = await commands.submit(PLUG, "setOnOff", False)
    second = await commands.submit(PLUG, "setOnOff", True)
    third = await commands.submit(PLUG, "setOnOff", False)
    assert commands.get(first.id) is None
    assert commands.dropped_unfinished == 1
    assert [r.id for r in commands.records()] == [third.id, second.id]
    with pytest.raises(CommandNotFound):
        await commands.wait(first.id)
    commands.observe(plug_state(pipeline, "OFF"))  # confirms the third, not the dropped first
    assert commands.records()[0].status is CommandStatus.CONFIRMED
    commands.close()


async def test_the_stream_seam_returns_the_record_as_a_dict(pipeline: Pipeline) -> None:
    from translator.values import Command

    commands = service(pipeline, {Protocol.MQTT: RecordingSender()}, plug_state(pipeline, "ON"))
    answer = await commands.handle(Command(PLUG, "setOnOff", True))
    assert answer["status"] == "sent"
    assert answer["thing"] == PLUG
    assert answer["submitted_at"].endswith("Z")


UNCONFIRMABLE = """\
id: test-buzzer
version: "1"
match: {protocol: mqtt, channel: "buzzer/{device}"}
thing: {iri: "urn:dev:buzzer:{device}", type: saref:Device}
readings: []
commands:
  - name: beep
    channel: "buzzer/{device}/beep"
    payload: {format: text, template: "{value}"}
"""


async def test_a_command_without_a_confirming_property_ends_sent(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    (tmp_path / "buzzer.yaml").write_text(UNCONFIRMABLE)
    mappings = load_mappings([tmp_path], pipeline.vocabulary)
    directory = ThingDirectory()
    buzzer = Pipeline(pipeline.vocabulary, mappings, pipeline.gate, pipeline.builder)
    directory.learn(translate(buzzer, "buzzer/door", b"{}"))
    commands = CommandService(mappings, directory, {Protocol.MQTT: RecordingSender()})
    record = await commands.submit("urn:dev:buzzer:door", "beep", 3)
    assert (record.status, record.property, record.done) == (CommandStatus.SENT, None, True)
    assert (await commands.wait(record.id, within=1)) == record


@pytest.mark.parametrize(
    ("reported", "commanded", "same"),
    [
        (True, True, True),
        (True, 1, False),
        (1.0, 1, True),
        (21.5, 21.500000000001, True),
        (21.5, 21.6, False),
        ("eco", "eco", True),
        ("1", 1, False),
    ],
)
def test_same_value(reported: object, commanded: object, same: bool) -> None:
    assert same_value(reported, commanded) is same


async def test_closing_answers_the_waiters(pipeline: Pipeline) -> None:
    commands = service(pipeline, {Protocol.MQTT: RecordingSender()}, plug_state(pipeline, "ON"))
    record = await commands.submit(PLUG, "setOnOff", False)
    waiting = asyncio.create_task(commands.wait(record.id))
    await asyncio.sleep(0)
    commands.close()
    assert (await asyncio.wait_for(waiting, 5)).status is CommandStatus.SENT
