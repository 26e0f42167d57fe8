"""paho-mqtt driven from the event loop: the MQTT adapter's connection, reads, writes, timers.

paho parses and builds the packets; ``MqttLink`` drives it from the event loop instead of a
network thread (paho's external-loop API: ``loop_read``, ``loop_write``, ``loop_misc`` and the
socket callbacks). Every paho callback (a message, the acknowledgement of our publish, a
CONNACK) therefore runs on the loop: a message costs no thread hop, no self-pipe wake-up and
no hand-over of the GIL. What paho's ``loop_forever`` did in its thread, this does:

* **connecting**: the blocking part (DNS, TCP connect, TLS handshake, sending CONNECT) runs
  in a worker thread (``client.reconnect``); a failure is retried after ``reconnect_min_s``,
  doubling up to ``reconnect_max_s``, and a CONNACK that accepts us (``connected``) resets
  the wait; the first connection is retried the same way;
* **reading**: the socket sits in the loop's selector; a wake-up reads packets while they
  keep coming, at most ``READ_BURST`` (then other tasks get their turn), and then whatever
  TLS already decrypted, which the selector cannot see;
* **writing**: when paho queues a packet (an acknowledgement, a publish, a ping) it asks for
  a write; one flush per loop iteration sends all that is queued (or the caller flushes
  itself: ``hold_writes``/``release_writes``), and only a full socket buffer makes the
  selector watch for writability;
* **keepalive**: ``loop_misc`` once a second (a PINGREQ when the line was quiet, and the
  disconnect when the PINGRESP does not come);
* **back-pressure**: ``pause_reading`` takes the socket out of the selector, so the kernel
  buffers fill and TCP flow control holds the broker back, while acknowledgements,
  publishes and pings still go out; ``resume_reading`` puts it back.

Only ``client.reconnect`` runs off the loop; paho's socket callbacks it fires there are
passed to the loop with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any, Final

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode

from translator.adapters.mqtt_settings import MqttSettings

logger = logging.getLogger(__name__)

READ_BURST: Final = 64  # packets read per wake-up at most, before other tasks get a turn
TICK_S: Final = 1.0  # how often paho's keepalive bookkeeping runs (as in loop_forever)
DISCONNECT_SLACK_S: Final = 1.0  # beyond connect_timeout_s, for a connect under way at close


class MqttLink:
    """One paho client's connection, driven from the event loop (see the module docstring).

    ``maintain()`` connects, and reconnects after every loss, until ``close()``; then it sends
    DISCONNECT after whatever is queued and returns. ``progress`` returns a number that grows
    with each packet the adapter handled (a message, an acknowledgement of a publish): a read
    that handled nothing ends the burst. Use from the event loop's thread.
    """

    def __init__(
        self, client: paho.Client, settings: MqttSettings, progress: Callable[[], int]
    ) -> None:
        self._client = client
        self._settings = settings
        self._progress = progress
        self._peer = f"{settings.host}:{settings.port}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = 0  # the loop's thread
        self._sock: Any = None  # the attached socket (paho's SocketLike), None while down
        self._reading = True  # False while paused
        self._writer = False  # the selector watches the socket for writability
        self._flush_due = False
        self._held = False  # hold_writes: the caller flushes (release_writes)
        self._wanted = False  # paho asked for a write while held
        self._delay: float | None = None  # the last reconnect wait; None after a CONNACK
        self._closing = False
        self._wake = asyncio.Event()  # the socket closed, or close() was called
        self._gone = asyncio.Event()  # no socket attached
        self._gone.set()
        self._tick: asyncio.TimerHandle | None = None
        self._connecting: asyncio.Task[Any] | None = None
        client.on_socket_register_write = self._write_wanted
        client.on_socket_unregister_write = self._write_done
        client.on_socket_close = self._socket_closing

    @property
    def attached(self) -> bool:
        """Whether a socket is open and in the selector (connected or awaiting CONNACK)."""
        return self._sock is not None

    def connected(self) -> None:
        """The broker accepted us (a CONNACK): the next loss is retried after the shortest wait."""
        self._delay = None

    def close(self) -> None:
        """Stop reconnecting; ``maintain`` disconnects (after what is queued) and returns."""
        self._closing = True
        self._wake.set()

    def pause_reading(self) -> None:
        """Read nothing more until ``resume_reading`` (TCP then holds the broker back)."""
        if self._reading:
            self._reading = False
            if self._sock is not None:
                self._running_loop().remove_reader(self._sock)

    def resume_reading(self) -> None:
        """Read again after ``pause_reading``."""
        if not self._reading:
            self._reading = True
            sock = self._sock
            if sock is not None:
                loop = self._running_loop()
                loop.add_reader(sock, self._readable)
                if _tls_pending(sock):
                    loop.call_soon(self._readable)

    def hold_writes(self) -> None:
        """Let paho queue packets without arranging a flush, until ``release_writes``."""
        self._held = True

    def release_writes(self, *, now: bool) -> None:
        """End ``hold_writes``: send what was queued meanwhile now (a consumer about to go
        idle: saves a loop iteration per message at low rates), or on the loop's next turn."""
        self._held = False
        if self._wanted:
            self._wanted = False
            if now:
                self._flush()
            else:
                self._flush_soon()

    # -- the connection ---------------------------------------------------------------------

    async def maintain(self) -> None:
        """Connect, and reconnect after every loss, until ``close()``; then disconnect."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._tick = self._loop.call_later(TICK_S, self._on_tick)
        try:
            while not self._closing:
                self._wake.clear()
                if await self._connect():
                    await self._wake.wait()  # the socket closed, or close()
                if not self._closing:
                    await self._backoff()
        finally:
            await self._disconnect()
            if self._tick is not None:
                self._tick.cancel()

    async def _connect(self) -> bool:
        """One connection attempt (the blocking part in a worker thread); True: attached."""
        connecting = asyncio.ensure_future(asyncio.to_thread(self._client.reconnect))
        self._connecting = connecting
        try:
            await asyncio.shield(connecting)  # a cancelled maintain() leaves it to _disconnect
        except OSError as err:  # refused, unreachable, timed out, TLS failed: all retried
            self._connecting = None
            logger.warning(
                "cannot reach MQTT broker at %s (%s); retrying with backoff", self._peer, err
            )
            return False
        self._connecting = None
        self._attach()
        return self._sock is not None

    async def _backoff(self) -> None:
        settings = self._settings
        if self._delay is None:
            self._delay = settings.reconnect_min_s
        else:
            self._delay = min(self._delay * 2, settings.reconnect_max_s)
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._delay)  # close() cuts it short

    def _attach(self) -> None:
        sock = self._client.socket()
        if sock is None:
            return
        self._sock = sock
        self._gone.clear()
        if self._reading:
            self._running_loop().add_reader(sock, self._readable)
        self._flush()  # CONNECT, and whatever was published meanwhile

    def _detach(self, sock: Any) -> None:
        if sock is not self._sock:
            return
        loop = self._running_loop()
        loop.remove_reader(sock)
        if self._writer:
            self._writer = False
            loop.remove_writer(sock)
        self._sock = None
        self._gone.set()
        self._wake.set()

    async def _disconnect(self) -> None:
        """DISCONNECT after whatever is queued, bounded; a connect under way finishes first."""
        timeout = self._settings.connect_timeout_s + DISCONNECT_SLACK_S
        connecting = self._connecting
        if connecting is not None:
            await asyncio.wait({connecting}, timeout=timeout)
            if connecting.done() and not connecting.cancelled() and not connecting.exception():
                self._attach()
            self._connecting = None
        sock = self._sock
        if sock is None:
            return
        self._client.disconnect()  # queued behind the acknowledgements still to send
        self._flush()
        try:
            await asyncio.wait_for(self._gone.wait(), timeout)
        except TimeoutError:
            logger.warning("MQTT DISCONNECT to %s not sent in %s s; closing", self._peer, timeout)
            self._detach(sock)
            sock.close()

    def _on_tick(self) -> None:
        if self._sock is not None:
            self._client.loop_misc()  # keepalive; a lost broker closes the socket (→ _detach)
        self._tick = self._running_loop().call_later(TICK_S, self._on_tick)

    # -- reading and writing ----------------------------------------------------------------

    def _readable(self) -> None:
        client = self._client
        for _ in range(READ_BURST):
            if not self._reading or self._sock is None:
                return  # paused by what was just read, or the connection is gone
            before = self._progress()
            if client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return  # paho closed the socket and told us (_detach)
            if self._progress() == before:
                break  # nothing (more) to read, or a packet the adapter does not count
        sock = self._sock
        if self._reading and sock is not None and _tls_pending(sock):
            self._running_loop().call_soon(self._readable)

    def _flush_soon(self) -> None:
        if self._held:
            self._wanted = True
            return
        if not self._flush_due and not self._writer:
            self._flush_due = True
            self._running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_due = False
        sock = self._sock
        if sock is None:
            return  # not attached (yet): _attach flushes
        self._client.loop_write()  # on a failure paho closes the socket and tells us
        if self._sock is not sock:
            return
        if self._client.want_write():  # the socket buffer is full: wait until it drains
            if not self._writer:
                self._writer = True
                self._running_loop().add_writer(sock, self._flush)
        elif self._writer:
            self._writer = False
            self._running_loop().remove_writer(sock)

    # -- paho's socket callbacks (any thread: reconnect runs in a worker thread) -------------

    def _write_wanted(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        self._on_loop(self._flush_soon)

    def _write_done(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        self._on_loop(self._stop_writer, sock)

    def _socket_closing(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        self._on_loop(self._detach, sock)

    def _stop_writer(self, sock: Any) -> None:
        if self._writer and sock is self._sock:
            self._writer = False
            self._running_loop().remove_writer(sock)

    def _on_loop(self, callback: Callable[..., object], *args: object) -> None:
        loop = self._loop
        if loop is None:
            return  # not started: nothing is registered with a selector yet
        if threading.get_ident() == self._thread:
            callback(*args)
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing to do
            loop.call_soon_threadsafe(callback, *args)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "MqttLink used before maintain()"
        return self._loop


def _tls_pending(sock: Any) -> bool:
    """Whether TLS holds decrypted bytes the selector cannot see."""
    pending = getattr(sock, "pending", None)
    return pending is not None and bool(pending())
