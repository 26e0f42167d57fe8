"""The immersive layer's live stream: one normalized message shape, three ways out.

``Hub`` (fed by the intake) fans messages out to WebSocket (``websocket_router``), SSE
(``sse_router``) and MQTT republish (``Republisher``) subscribers through bounded queues;
``context_router`` serves the JSON-LD context; ``read_seed`` starts the hub from the store.
See docs/stream.md.
"""

from __future__ import annotations

from translator.stream.context import context_router
from translator.stream.filters import StreamFilter
from translator.stream.hub import Hub
from translator.stream.message import StreamEvent, message_schema
from translator.stream.republish import Republisher, topic_for
from translator.stream.seed import read_seed
from translator.stream.sse import sse_router
from translator.stream.websocket import websocket_router

__all__ = [
    "Hub",
    "Republisher",
    "StreamEvent",
    "StreamFilter",
    "context_router",
    "message_schema",
    "read_seed",
    "sse_router",
    "topic_for",
    "websocket_router",
]
