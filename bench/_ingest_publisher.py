"""The ingest benchmark's publisher: a separate process that publishes a messages file, paced.

``python -m bench._ingest_publisher --port P --messages IN --out OUT --rate R --seconds S``

One paho client, driven from this process's only thread (``Client.loop``, no network
thread: ``publish`` writes to the socket at once), publishes the messages of ``IN`` in order
at ``R`` messages/s (each message has its due time; a publisher more than ``LAG_NS`` behind
is forgiven the rest, so it never bursts to catch up by more than that) or, with
``--rate 0``, as fast as the broker takes them. At most ``--window`` QoS 1 messages wait for
their PUBACK at a time; a full window holds the publisher back, so a send time is always the
moment the message went to the socket, never time spent queued inside paho. It stops after
``--seconds`` or at the end of the file, waits (bounded) for the outstanding PUBACKs, and
writes ``OUT`` (``bench._ingest_files.Sent``). Its last stdout line is one JSON object:
sent, acked, first/last send time, CPU seconds used.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from bench._ingest_files import Message, Sent, read_messages

LAG_NS: Final = 20_000_000  # a publisher this far behind its schedule stops catching up
CONNECT_TIMEOUT_S: Final = 10.0
ACK_TIMEOUT_S: Final = 30.0
POLL_S: Final = 0.002  # longest select() while waiting for a due time or a PUBACK


class Publisher:
    """A single-threaded paho publisher that records when each message went out."""

    def __init__(self, client_id: str, *, qos: int, window: int, protocol: str) -> None:
        version = paho.MQTTv5 if protocol == "5" else paho.MQTTv311
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=version
        )
        self._client.max_inflight_messages_set(window)
        self._client.max_queued_messages_set(0)
        self._client.on_connect = self._on_connect
        self._client.on_publish = self._on_publish
        self._qos = qos
        self._window = window
        self._connected = False
        self._pending: dict[int, int] = {}  # mid -> message index
        self._acked = bytearray()
        self.acks = 0

    def connect(self, host: str, port: int) -> None:
        """Connect and wait for the CONNACK."""
        self._client.connect(host, port, keepalive=60)
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while not self._connected:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no CONNACK from {host}:{port} in {CONNECT_TIMEOUT_S} s")
            self._client.loop(timeout=0.05)

    def run(self, messages: Sequence[Message], rate: float, seconds: float) -> Sent:
        """Publish ``messages`` at ``rate`` msg/s (0: as fast as possible) for ``seconds``."""
        count = len(messages)
        send_ns = array("q", bytes(8 * count))
        self._acked = bytearray(count)
        interval = 1e9 / rate if rate > 0 else 0.0
        start = time.monotonic_ns()
        due = float(start)  # when the next message is due
        deadline = start + int(seconds * 1e9)
        index = 0
        while index < count:
            now = time.monotonic_ns()
            if now >= deadline:
                break
            burst = min(self._allowed(now, due, interval, count), self._room(), count - index)
            if burst <= 0:
                wait = (due - now) / 1e9 if interval and now < due else POLL_S
                self._client.loop(timeout=min(wait, POLL_S))
                continue
            for _ in range(burst):
                topic, payload = messages[index]
                send_ns[index] = time.monotonic_ns()
                self._publish(topic, payload, index)
                index += 1
            due = max(due, now - LAG_NS) + burst * interval
            self._client.loop(timeout=0)
        self._await_acks()
        return Sent(send_ns, bytes(self._acked))

    @staticmethod
    def _allowed(now: int, due: float, interval: float, count: int) -> int:
        """How many messages are due now (a publisher that fell behind by more than
        ``LAG_NS`` is forgiven the rest: it does not burst to catch up)."""
        if not interval:
            return count
        if now < due:
            return 0
        return int((now - max(due, now - LAG_NS)) // interval) + 1

    def _room(self) -> int:
        return self._window - len(self._pending)

    def close(self) -> None:
        """Disconnect politely."""
        self._client.disconnect()
        self._client.loop(timeout=0.1)

    def _publish(self, topic: str, payload: bytes, index: int) -> None:
        info = self._client.publish(topic, payload, self._qos)
        if info.rc is not MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise RuntimeError(f"publish to {topic!r} failed: {paho.error_string(info.rc)}")
        if self._qos == 0:
            self._acked[index] = 1
            self.acks += 1
        else:
            self._pending[info.mid] = index

    def _await_acks(self) -> None:
        deadline = time.monotonic() + ACK_TIMEOUT_S
        while self._pending and time.monotonic() < deadline:
            self._client.loop(timeout=POLL_S)

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if reason.is_failure:
            raise RuntimeError(f"the broker refused the connection: {reason}")
        self._connected = True

    def _on_publish(
        self, client: paho.Client, userdata: Any, mid: int, reason: ReasonCode, props: Any
    ) -> None:
        index = self._pending.pop(mid, None)
        if index is not None and not reason.is_failure:
            self._acked[index] = 1
            self.acks += 1


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--messages", type=Path, required=True, help="messages file to publish")
    parser.add_argument("--out", type=Path, required=True, help="where to write the sent file")
    parser.add_argument("--rate", type=float, default=0.0, help="msg/s; 0: as fast as possible")
    parser.add_argument("--seconds", type=float, default=10.0, help="stop publishing after this")
    parser.add_argument("--window", type=int, default=100, help="unacknowledged QoS 1 at most")
    parser.add_argument("--qos", type=int, choices=(0, 1), default=1)
    parser.add_argument("--protocol", choices=("3.1.1", "5"), default="3.1.1")
    parser.add_argument("--client-id", default="bench-ingest-publisher")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Publish, write the sent file, print the summary line."""
    args = _arguments(argv)
    messages = read_messages(args.messages)
    publisher = Publisher(args.client_id, qos=args.qos, window=args.window, protocol=args.protocol)
    try:
        publisher.connect(args.host, args.port)
        sent = publisher.run(messages, args.rate, args.seconds)
        publisher.close()
    except KeyboardInterrupt:
        return 130
    sent.write(args.out)
    times = [ns for ns in sent.send_ns if ns]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    summary = {
        "sent": len(times),
        "acked": sent.acknowledged,
        "first_ns": min(times, default=0),
        "last_ns": max(times, default=0),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
    }
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
