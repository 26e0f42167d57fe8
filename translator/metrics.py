"""Prometheus metrics of one running service, in their own registry (no process global).

Built once by the service and handed to whatever counts; ``/metrics`` renders ``registry``.
Label values are bounded: adapters, mapping ids, rejection stages, never channels or things.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5)


@dataclass(frozen=True)
class Metrics:
    """Every metric the service exports."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    messages_in: Counter = field(init=False)
    messages_out: Counter = field(init=False)
    rejected: Counter = field(init=False)
    readings: Counter = field(init=False)
    translate_seconds: Histogram = field(init=False)
    store_batch_seconds: Histogram = field(init=False)
    queue_depth: Gauge = field(init=False)
    dropped: Counter = field(init=False)
    stream_clients: Gauge = field(init=False)
    stream_sent: Counter = field(init=False)
    stream_dropped: Counter = field(init=False)
    stream_evicted: Counter = field(init=False)
    commands: Counter = field(init=False)
    commands_in_flight: Gauge = field(init=False)

    def __post_init__(self) -> None:
        def add(name: str, metric: object) -> None:
            object.__setattr__(self, name, metric)

        reg = self.registry
        add(
            "messages_in",
            Counter("translator_messages_in", "Envelopes received", ["adapter"], registry=reg),
        )
        add(
            "messages_out",
            Counter(
                "translator_messages_translated",
                "Envelopes translated and stored",
                ["adapter", "mapping"],
                registry=reg,
            ),
        )
        add(
            "rejected",
            Counter(
                "translator_messages_rejected",
                "Envelopes rejected (dead letters), by stage",
                ["adapter", "stage"],
                registry=reg,
            ),
        )
        add(
            "readings",
            Counter("translator_readings", "Readings produced", ["mapping"], registry=reg),
        )
        add(
            "translate_seconds",
            Histogram(
                "translator_translate_seconds",
                "Time to translate one envelope (decode to SHACL gate)",
                buckets=LATENCY_BUCKETS,
                registry=reg,
            ),
        )
        add(
            "store_batch_seconds",
            Histogram(
                "translator_store_batch_seconds",
                "Time to write one batch to the store",
                registry=reg,
            ),
        )
        add(
            "queue_depth",
            Gauge("translator_queue_depth", "Items waiting, by queue", ["queue"], registry=reg),
        )
        add(
            "dropped",
            Counter(
                "translator_dropped", "Items dropped by an overload policy", ["queue"], registry=reg
            ),
        )
        add(
            "stream_clients",
            Gauge(
                "translator_stream_clients", "Stream clients connected", ["transport"], registry=reg
            ),
        )
        add(
            "stream_sent",
            Counter(
                "translator_stream_sent",
                "Stream messages delivered (websocket, sse) or republished (mqtt)",
                ["transport"],
                registry=reg,
            ),
        )
        add(
            "stream_dropped",
            Counter(
                "translator_stream_dropped",
                "Stream messages dropped for a slow client or a slow broker",
                ["transport"],
                registry=reg,
            ),
        )
        add(
            "stream_evicted",
            Counter(
                "translator_stream_evicted",
                "Stream clients disconnected for falling too far behind",
                ["transport"],
                registry=reg,
            ),
        )
        add(
            "commands",
            Counter(
                "translator_commands",
                "Commands by the status they reached (refused: 4xx, nothing sent)",
                ["status"],
                registry=reg,
            ),
        )
        add(
            "commands_in_flight",
            Gauge(
                "translator_commands_in_flight",
                "Commands pending or sent, waiting for confirmation",
                registry=reg,
            ),
        )

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
