"""The files the ingest benchmark's processes share: what to publish, and what was published.

``bench.ingest`` writes a *messages file* (the topics and payloads one publisher run sends, in
order); the publisher process (``bench._ingest_publisher``) reads it and writes a *sent file*:
for every message its send time (``time.monotonic_ns()``, 0 when it was not sent) and whether
the broker acknowledged it. Both are plain length-prefixed binary, so a 100k-message run costs
no parsing worth measuring and no process ever unpickles anything.

Send times are comparable with the benchmark process's own ``time.monotonic_ns()``: on Linux
(and macOS) the monotonic clock is one clock for every process of the machine.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

_MESSAGE_HEADER: Final = struct.Struct(">HI")  # topic length, payload length
_COUNT: Final = struct.Struct(">Q")

Message = tuple[str, bytes]
"""One MQTT message to publish: topic and payload."""


def write_messages(path: Path, messages: Sequence[Message]) -> None:
    """Write ``messages`` in order to ``path``."""
    parts: list[bytes] = [_COUNT.pack(len(messages))]
    for topic, payload in messages:
        raw_topic = topic.encode()
        parts += [_MESSAGE_HEADER.pack(len(raw_topic), len(payload)), raw_topic, payload]
    path.write_bytes(b"".join(parts))


def read_messages(path: Path) -> list[Message]:
    """The messages ``write_messages`` wrote, in order."""
    data = path.read_bytes()
    (count,) = _COUNT.unpack_from(data, 0)
    offset = _COUNT.size
    messages: list[Message] = []
    for _ in range(count):
        topic_len, payload_len = _MESSAGE_HEADER.unpack_from(data, offset)
        offset += _MESSAGE_HEADER.size
        topic = data[offset : offset + topic_len].decode()
        offset += topic_len
        messages.append((topic, data[offset : offset + payload_len]))
        offset += payload_len
    if offset != len(data):
        raise ValueError(f"{path}: {len(data) - offset} bytes left after {count} messages")
    return messages


@dataclass(frozen=True, slots=True)
class Sent:
    """What one publisher run did, message by message (index = position in the messages file)."""

    send_ns: array[int]  # monotonic send time; 0: not sent (the run's time ran out)
    acked: bytes  # 1: the broker acknowledged it (QoS 1 PUBACK; QoS 0: written to the socket)

    def __post_init__(self) -> None:
        if len(self.send_ns) != len(self.acked):
            raise ValueError("send_ns and acked must have one entry per message")

    @property
    def sent(self) -> int:
        """Messages handed to the broker connection."""
        return sum(1 for ns in self.send_ns if ns)

    @property
    def acknowledged(self) -> int:
        """Messages the broker acknowledged."""
        return self.acked.count(1)

    def write(self, path: Path) -> None:
        """Write to ``path`` (the publisher's side)."""
        send_ns = array("q", self.send_ns)
        if send_ns.itemsize != 8:
            raise RuntimeError("array('q') is not 64-bit here")
        path.write_bytes(_COUNT.pack(len(send_ns)) + send_ns.tobytes() + self.acked)

    @classmethod
    def read(cls, path: Path) -> Sent:
        """Read what ``write`` wrote (the benchmark's side)."""
        data = path.read_bytes()
        (count,) = _COUNT.unpack_from(data, 0)
        start = _COUNT.size
        send_ns = array("q")
        send_ns.frombytes(data[start : start + 8 * count])
        acked = data[start + 8 * count :]
        if len(acked) != count:
            raise ValueError(f"{path}: expected {count} ack flags, found {len(acked)}")
        return cls(send_ns, acked)
