"""The raw broker ceiling's subscriber: a separate process that only counts messages.

``python -m bench._ingest_subscriber --port P --filter F [--filter F …] --expect N``

Subscribes to the translator's topic filters at QoS 1, like the service's MQTT adapter
(MQTT 5 with the same Receive Maximum, or 3.1.1 for the embedded broker), and does nothing
with a message but count it and note when it came; paho acknowledges each one. One thread,
``Client.loop``. After the SUBACK it prints ``subscribed``; it stops once ``--expect``
messages arrived, after ``--idle`` seconds without one (once the first came), or after
``--timeout`` seconds, and prints one JSON line: received, first/last arrival
(``time.monotonic_ns()``), CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Sequence
from typing import Any, Final

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

SUBSCRIBED: Final = "subscribed"
RECEIVE_MAXIMUM: Final = 1000  # the service adapter's default queue_size, its Receive Maximum
SUBSCRIBE_TIMEOUT_S: Final = 10.0


class Counter:
    """Counts what arrives; nothing else."""

    def __init__(self, client_id: str, protocol: str) -> None:
        self._v5 = protocol == "5"
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=paho.MQTTv5 if self._v5 else paho.MQTTv311,
        )
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.subscribed = False
        self.received = 0
        self.first_ns = 0
        self.last_ns = 0

    def subscribe(self, host: str, port: int, filters: Sequence[str]) -> None:
        """Connect, subscribe to ``filters`` at QoS 1, wait for the SUBACK."""
        properties = None
        if self._v5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.ReceiveMaximum = RECEIVE_MAXIMUM
        self.client.connect(host, port, keepalive=60, properties=properties)
        self.client.subscribe([(f, 1) for f in filters])
        deadline = time.monotonic() + SUBSCRIBE_TIMEOUT_S
        while not self.subscribed:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no SUBACK from {host}:{port} in {SUBSCRIBE_TIMEOUT_S} s")
            self.client.loop(timeout=0.05)

    def count(self, expect: int, idle_s: float, timeout_s: float) -> None:
        """Receive until ``expect`` messages, ``idle_s`` of silence, or ``timeout_s``."""
        deadline = time.monotonic_ns() + int(timeout_s * 1e9)
        idle_ns = int(idle_s * 1e9)
        while self.received < expect:
            now = time.monotonic_ns()
            if now > deadline or (self.received and now - self.last_ns > idle_ns):
                break
            self.client.loop(timeout=0.05)
        self.client.disconnect()

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        self.last_ns = time.monotonic_ns()
        if not self.received:
            self.first_ns = self.last_ns
        self.received += 1

    def _on_subscribe(
        self, client: paho.Client, userdata: Any, mid: int, reasons: Any, props: Any
    ) -> None:
        failed = [r for r in reasons if isinstance(r, ReasonCode) and r.is_failure]
        if failed:
            raise RuntimeError(f"the broker refused the subscription: {failed}")
        self.subscribed = True


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--filter", action="append", required=True, dest="filters")
    parser.add_argument("--expect", type=int, required=True, help="stop after this many")
    parser.add_argument("--idle", type=float, default=2.0, help="stop after this much silence")
    parser.add_argument("--timeout", type=float, default=120.0, help="stop after this long")
    parser.add_argument("--protocol", choices=("3.1.1", "5"), default="5")
    parser.add_argument("--client-id", default="bench-ingest-ceiling")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Subscribe, say so, count, print the summary line."""
    args = _arguments(argv)
    counter = Counter(args.client_id, args.protocol)
    try:
        counter.subscribe(args.host, args.port, args.filters)
        print(SUBSCRIBED, flush=True)
        counter.count(args.expect, args.idle, args.timeout)
    except KeyboardInterrupt:
        return 130
    usage = resource.getrusage(resource.RUSAGE_SELF)
    summary = {
        "received": counter.received,
        "first_ns": counter.first_ns,
        "last_ns": counter.last_ns,
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
    }
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
