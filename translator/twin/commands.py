"""Commands back to devices: check, render, send, then track until the device confirms.

Application layer. ``CommandService.submit(thing, name, value)``:

1. finds the thing (``ThingDirectory``) and the mappings that describe it and declare the
   command (``describing_plans``: the registering mapping first) — else ``CommandNotFound``;
2. renders it (``MappingSet.render_command``: the value is checked against the command's
   JSON Schema, the channel filled from the thing's variables) — else ``CommandError``,
   and nothing is sent;
3. records it ``pending`` and hands the ``RenderedCommand`` to the sender of its protocol
   (the MQTT and CoAP adapters, the HTTP command client), which makes it ``sent`` or
   ``failed`` (with the reason);
4. the intake tells ``observe`` of every translated message: a reading of the thing's
   command ``property`` (from an envelope received after the submission) whose value equals
   the commanded one makes it ``confirmed``;
5. with no such reading ``confirm_timeout_s`` after submission it ends ``timed-out``.

A command whose mapping names no ``property`` (or whose value is ``null``) cannot be
confirmed: ``sent`` is its last status. Records live in a bounded in-memory history (oldest
dropped first). Everything runs on the event loop's thread; ``watch`` and ``wait`` let the
API and the WebSocket follow status changes.
"""

from __future__ import annotations

import asyncio
import builtins
import itertools
import logging
import math
import secrets
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final
from typing import Protocol as TypingProtocol

from translator.errors import AdapterError, CommandError, CommandNotFound
from translator.mapping.mappingset import MappingSet
from translator.mapping.plan import MappingPlan
from translator.metrics import Metrics
from translator.twin.things import ThingDirectory, describing_plans
from translator.values import Command, Protocol, RenderedCommand, ThingInfo, Translated

logger = logging.getLogger(__name__)

DEFAULT_CONFIRM_TIMEOUT_S: Final = 10.0
DEFAULT_HISTORY: Final = 1000
DROP_WARNING_EVERY: Final = 1000


class CommandStatus(StrEnum):
    """Where a command stands. ``confirmed``, ``failed`` and ``timed-out`` are final."""

    PENDING = "pending"  # accepted and rendered, being handed to the adapter
    SENT = "sent"  # the adapter delivered it (broker ack, CoAP/HTTP success code)
    CONFIRMED = "confirmed"  # the device reported the commanded state
    FAILED = "failed"  # the adapter could not deliver it (reason says why)
    TIMED_OUT = "timed-out"  # no confirming report within the timeout


FINAL: Final = frozenset({CommandStatus.CONFIRMED, CommandStatus.FAILED, CommandStatus.TIMED_OUT})


class CommandSender(TypingProtocol):
    """Delivers a rendered command (``MqttAdapter``, ``CoapAdapter``, ``HttpCommandClient``)."""

    async def send(self, command: RenderedCommand) -> None:
        """Deliver it; raise ``AdapterError`` when it cannot be delivered."""
        ...


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """One command and what became of it. ``property`` is ``None`` when it cannot be confirmed."""

    id: str
    thing: str
    name: str
    value: Any
    status: CommandStatus
    submitted_at: datetime
    mapping_id: str
    protocol: Protocol
    channel: str
    property: str | None = None
    sent_at: datetime | None = None
    finished_at: datetime | None = None
    reason: str | None = None

    @builtins.property  # the field ``property`` shadows the builtin here
    def done(self) -> bool:
        """No further status will come: final, or sent and not confirmable."""
        return self.status in FINAL or (self.status is CommandStatus.SENT and self.property is None)

    def as_dict(self) -> dict[str, Any]:
        """The record as JSON-ready values (times in ISO 8601, UTC)."""
        return {
            "id": self.id,
            "thing": self.thing,
            "name": self.name,
            "value": self.value,
            "status": self.status.value,
            "mapping": self.mapping_id,
            "protocol": self.protocol.value,
            "channel": self.channel,
            "property": self.property,
            "submitted_at": _iso(self.submitted_at),
            "sent_at": _iso(self.sent_at),
            "finished_at": _iso(self.finished_at),
            "reason": self.reason,
        }


StatusListener = Callable[[CommandRecord], None]
"""Told of every status change (on the loop's thread; must not block)."""


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


class CommandService:
    """Submits commands and tracks them; one per service, used on the event loop only."""

    def __init__(
        self,
        mappings: MappingSet,
        things: ThingDirectory,
        senders: Mapping[Protocol, CommandSender],
        *,
        metrics: Metrics | None = None,
        confirm_timeout_s: float = DEFAULT_CONFIRM_TIMEOUT_S,
        history: int = DEFAULT_HISTORY,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._mappings = mappings
        self._things = things
        self._senders = dict(senders)
        self._metrics = metrics
        self._timeout = confirm_timeout_s
        self._history = history
        self._clock = clock
        self._records: OrderedDict[str, CommandRecord] = OrderedDict()
        self._awaiting: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._waiters: dict[str, list[asyncio.Future[CommandRecord]]] = defaultdict(list)
        self._listeners: list[StatusListener] = []
        self._prefix = secrets.token_hex(4)  # ids stay unique across restarts
        self._counter = itertools.count(1)
        self.dropped_unfinished = 0  # records the bounded history let go before they ended

    # -- submitting -------------------------------------------------------------------------

    async def submit(self, thing: str, name: str, value: Any) -> CommandRecord:
        """Validate, render and send one command; return its record (``sent`` or ``failed``).

        Raises:
            CommandNotFound: the thing is unknown, or none of its mappings has ``name``.
            CommandError: the value breaks the command's schema, or the thing's variables
                cannot fill the channel; nothing was sent.
        """
        try:
            plan, rendered = self._render(Command(thing, name, value))
        except CommandError:
            self._count("refused")
            raise
        record = CommandRecord(
            id=f"{self._prefix}-{next(self._counter)}",
            thing=thing,
            name=name,
            value=value,
            status=CommandStatus.PENDING,
            submitted_at=self._clock(),
            mapping_id=plan.id,
            protocol=rendered.protocol,
            channel=rendered.channel,
            property=_confirming_property(plan, name, value),
        )
        self._start(record)
        await self._send(record.id, rendered)
        return self._records.get(record.id, record)

    async def handle(self, command: Command) -> dict[str, Any]:
        """``submit`` as the stream layer's ``CommandHandler``: the record as a dict."""
        record = await self.submit(command.thing, command.name, command.value)
        return record.as_dict()

    def _render(self, command: Command) -> tuple[MappingPlan, RenderedCommand]:
        info = self._things.get(command.thing)
        if info is None:
            raise CommandNotFound(f"no thing {command.thing!r} is known (it has not reported yet)")
        plans = [p for p in self._plans(info) if command.name in p.commands]
        if not plans:
            known = sorted({n for p in self._plans(info) for n in p.commands}) or ["none"]
            raise CommandNotFound(
                f"thing {command.thing} has no command {command.name!r} "
                f"(commands: {', '.join(known)})"
            )
        variables = dict(info.variables)
        first: CommandError | None = None
        for plan in plans:  # the registering mapping first; family members after it
            try:
                return plan, self._mappings.render_command(plan.id, command, variables)
            except CommandError as err:
                first = first or err
        assert first is not None
        raise first

    def _plans(self, info: ThingInfo) -> list[MappingPlan]:
        return describing_plans(self._mappings.mappings, info)

    def _start(self, record: CommandRecord) -> None:
        self._records[record.id] = record
        self._trim()
        if record.property is not None:
            self._awaiting[(record.thing, record.property)].append(record.id)
        loop = asyncio.get_running_loop()
        self._timers[record.id] = loop.call_later(self._timeout, self._expire, record.id)
        self._count(CommandStatus.PENDING)
        self._in_flight()
        self._notify(record)

    async def _send(self, command_id: str, rendered: RenderedCommand) -> None:
        sender = self._senders.get(rendered.protocol)
        if sender is None:
            reason = f"no {rendered.protocol.value} transport runs in this service"
            self._finish(command_id, CommandStatus.FAILED, reason)
            return
        try:
            async with asyncio.timeout(self._timeout):
                await sender.send(rendered)
        except TimeoutError:
            self._finish(command_id, CommandStatus.TIMED_OUT, "delivery took too long")
            return
        except AdapterError as err:
            self._finish(command_id, CommandStatus.FAILED, str(err))
            return
        except Exception:  # a sender's bug: the command fails, the service goes on
            logger.exception("sending command %s failed", command_id)
            self._finish(command_id, CommandStatus.FAILED, "the transport failed unexpectedly")
            return
        self._sent(command_id)

    def _sent(self, command_id: str) -> None:
        record = self._records.get(command_id)
        if record is None:
            return
        if record.status is not CommandStatus.PENDING:  # confirmed before the send returned
            self._update(replace(record, sent_at=record.sent_at or self._clock()))
            return
        self._update(replace(record, status=CommandStatus.SENT, sent_at=self._clock()))
        self._count(CommandStatus.SENT)
        if record.property is None:
            self._release(command_id)

    # -- tracking ---------------------------------------------------------------------------

    def observe(self, translated: Translated) -> None:
        """Confirm the commands a translated message shows done (an intake listener)."""
        if not self._awaiting:
            return
        received = _aware(translated.envelope.received_at)
        for reading in translated.readings:
            waiting = self._awaiting.get((reading.thing, reading.property))
            if not waiting:
                continue
            for command_id in list(waiting):
                record = self._records.get(command_id)
                if (
                    record is not None
                    and received >= record.submitted_at
                    and same_value(reading.value, record.value)
                ):
                    self._finish(command_id, CommandStatus.CONFIRMED, None)

    def _expire(self, command_id: str) -> None:
        self._timers.pop(command_id, None)
        record = self._records.get(command_id)
        if record is None or record.done:
            return
        reason = (
            f"no report of {record.property} = {record.value!r} within {self._timeout:g} s"
            if record.status is CommandStatus.SENT
            else f"not delivered within {self._timeout:g} s"
        )
        self._finish(command_id, CommandStatus.TIMED_OUT, reason)

    def _finish(self, command_id: str, status: CommandStatus, reason: str | None) -> None:
        record = self._records.get(command_id)
        if record is None or record.status in FINAL:
            return
        self._update(replace(record, status=status, finished_at=self._clock(), reason=reason))
        self._count(status)
        self._release(command_id)

    def _release(self, command_id: str) -> None:
        """Stop waiting for a command: no timer, no confirmation slot, waiters answered."""
        timer = self._timers.pop(command_id, None)
        if timer is not None:
            timer.cancel()
        record = self._records.get(command_id)
        if record is not None and record.property is not None:
            key = (record.thing, record.property)
            waiting = self._awaiting.get(key)
            if waiting is not None and command_id in waiting:
                waiting.remove(command_id)
                if not waiting:
                    del self._awaiting[key]
        for future in self._waiters.pop(command_id, []):
            if not future.done() and record is not None:
                future.set_result(record)
        self._in_flight()

    def _update(self, record: CommandRecord) -> None:
        if record.id in self._records:
            self._records[record.id] = record
        self._notify(record)

    def _trim(self) -> None:
        while len(self._records) > self._history:
            oldest, record = next(iter(self._records.items()))
            self._release(oldest)
            self._records.pop(oldest, None)
            if not record.done:
                self.dropped_unfinished += 1
                if self.dropped_unfinished % DROP_WARNING_EVERY == 1:  # rate-limited
                    logger.warning(
                        "%d commands dropped from the history before they ended "
                        "(commands.history = %d)",
                        self.dropped_unfinished,
                        self._history,
                    )

    # -- reading ----------------------------------------------------------------------------

    def get(self, command_id: str) -> CommandRecord | None:
        """One command's record, while the history holds it."""
        return self._records.get(command_id)

    def records(self, thing: str | None = None) -> list[CommandRecord]:
        """The records held (of one thing, or all), newest first."""
        return [r for r in reversed(self._records.values()) if thing is None or r.thing == thing]

    def commands_of(self, thing: str) -> dict[str, MappingPlan]:
        """Command name → the mapping that will render it, for a known thing."""
        info = self._things.get(thing)
        found: dict[str, MappingPlan] = {}
        for plan in self._plans(info) if info is not None else []:
            for name in plan.commands:
                found.setdefault(name, plan)
        return found

    def watch(self, listener: StatusListener) -> Callable[[], None]:
        """Call ``listener`` on every status change; returns the function that stops it."""
        self._listeners.append(listener)

        def stop() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return stop

    async def wait(self, command_id: str, *, within: float | None = None) -> CommandRecord:
        """The record once it is ``done`` (at once if it is already).

        Raises:
            CommandNotFound: no such command in the history.
            TimeoutError: not done within ``within`` seconds.
        """
        record = self._records.get(command_id)
        if record is None:
            raise CommandNotFound(f"no command {command_id!r} in the history")
        if record.done:
            return record
        future: asyncio.Future[CommandRecord] = asyncio.get_running_loop().create_future()
        self._waiters[command_id].append(future)
        try:
            async with asyncio.timeout(within):
                return await asyncio.shield(future)
        finally:
            waiters = self._waiters.get(command_id)
            if waiters is not None and future in waiters:
                waiters.remove(future)

    def close(self) -> None:
        """At shutdown: cancel the timers and answer every ``wait`` with the record as it is
        (unfinished records stay unfinished)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for command_id, futures in self._waiters.items():
            record = self._records.get(command_id)
            for future in futures:
                if not future.done() and record is not None:
                    future.set_result(record)
        self._waiters.clear()

    # -- bookkeeping ------------------------------------------------------------------------

    def _notify(self, record: CommandRecord) -> None:
        for listener in list(self._listeners):
            try:
                listener(record)
            except Exception:  # a listener's bug must not break the command path
                logger.exception("command status listener %r failed", listener)

    def _count(self, status: str) -> None:
        if self._metrics is not None:
            self._metrics.commands.labels(str(status)).inc()

    def _in_flight(self) -> None:
        if self._metrics is not None:
            self._metrics.commands_in_flight.set(len(self._timers))


def _confirming_property(plan: MappingPlan, name: str, value: Any) -> str | None:
    """The property whose report confirms the command, if it can be confirmed at all."""
    return None if value is None else plan.commands[name].property


def same_value(reported: Any, commanded: Any) -> bool:
    """Whether a reported reading value is the commanded one (``true`` is not ``1``)."""
    if isinstance(reported, bool) or isinstance(commanded, bool):
        return isinstance(reported, bool) and isinstance(commanded, bool) and reported == commanded
    if isinstance(reported, int | float) and isinstance(commanded, int | float):
        return math.isclose(reported, commanded, rel_tol=1e-9, abs_tol=1e-9)
    return bool(reported == commanded)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
