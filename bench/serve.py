"""Serving benchmark: SPARQL latency of the README's example queries (stream fan-out: later).

``python -m bench.serve`` (``--json``: the last line is one JSON object with the figures).

SPARQL section: ``--observations`` (default 1M) observations are generated synthetically
(climate sensors reporting temperature, humidity and battery voltage once a minute, the
voltage converted from mV, things spread over areas, the example queries' things among
them) and written through ``TwinStore.write`` in batches, on disk in a temporary folder
(``--store memory`` to skip the disk), then compacted (``TwinStore.optimize``: on disk it drops
the tombstones of the replaced latest state). As in the service, a ``GraphMirror`` (the
in-memory copy of the state, things, meta and scene graphs) is attached before the first
write, so loading pays for keeping it in step. Each example query then runs ``--repeat``
times (bounded by ``--seconds-per-query``) as the endpoint evaluates it
(``translator.twin.endpoint.protocol_query`` with the mirror, results materialized), once
more through the whole HTTP route in-process (negotiation, JSON serialization), giving
p50/p99 (and the CPU time's p50, which a loaded machine inflates far less), and, for the
queries the mirror answers, once more on the store alone (``store p50``: what they cost
without the mirror).

The comparison: ``--rdflib-observations`` observations (default 20k; rdflib keeps about 1 KB
per triple in memory) of the first ``--rdflib-things`` things (default 10, so that the
examples' time windows hold data), loaded both into an rdflib ``Dataset`` (default graph = the
union, like the endpoint) and into a second pyoxigraph store, and the same queries on both;
their row counts must agree. Targets: latest-state queries < 5 ms p50 on the full store;
history queries >= 100x faster than rdflib on the same data.

Sections are functions ``section(args) -> dict``, registered in ``SECTIONS``; ``--only``
picks some. Everything is generated before anything is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx
import rdflib
from pyoxigraph import BlankNode, NamedNode, QuerySolution
from rdflib.plugins.sparql import prepareQuery

from bench._serve_stream import add_stream_arguments, print_stream, stream_section
from translator.api.app import create_app
from translator.api.sparql import sparql_router
from translator.api.sparql_examples import EXAMPLES, ExampleQuery
from translator.ontology.files import ontology_dir
from translator.rdf.namespaces import (
    META_GRAPH,
    OBSERVATIONS_GRAPH,
    PREFIXES,
    STATE_GRAPH,
    THINGS_GRAPH,
)
from translator.rdf.observations import ObservationBuilder
from translator.settings import SparqlSettings
from translator.twin.endpoint import Dataset, protocol_query
from translator.twin.mirror import GraphMirror
from translator.twin.sparql import AskResult, GraphResult, QueryResult
from translator.twin.store import TwinStore
from translator.values import (
    Envelope,
    Placement,
    Protocol,
    Provenance,
    Reading,
    ThingInfo,
    Translated,
)

END: Final = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # the examples' windows end here
PERIOD: Final = timedelta(minutes=1)
READINGS_PER_MESSAGE: Final = 3
AREAS: Final = ("kitchen", "living-room", "bedroom", "office", None)
BATCH: Final = 1000
LATEST_STATE_TARGET_MS: Final = 5.0
HISTORY_SPEEDUP_TARGET: Final = 100.0


# --- synthetic data -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Device:
    """One simulated climate sensor."""

    iri: str
    mapping: str
    channel: str
    info: ThingInfo


@dataclass(frozen=True, slots=True)
class MappingVersion:
    """What the meta graph records of a mapping (fits ``TwinStore.load_meta``)."""

    id: str
    version: str
    file: str


def devices(count: int) -> list[Device]:
    """``count`` sensors: the examples' living-room and kitchen sensors, then numbered ones."""
    named: list[tuple[str, str | None]] = [
        ("living_room_sensor", "living-room"),
        ("kitchen_sensor", "kitchen"),
    ]
    named += [(f"sensor_{i:04d}", AREAS[i % len(AREAS)]) for i in range(max(count - 2, 0))]
    made = []
    for name, area in named[:count]:
        iri = f"urn:dev:zigbee2mqtt:{name}"
        mapping = f"site-{area}" if area else "zigbee2mqtt-climate"
        info = ThingInfo(iri, mapping, "saref:Sensor", name, Placement(area) if area else None)
        made.append(Device(iri, mapping, f"zigbee2mqtt/{name}", info))
    return made


def mapping_versions(fleet: Sequence[Device]) -> list[MappingVersion]:
    """The mappings the fleet's messages name."""
    ids = sorted({device.mapping for device in fleet})
    return [MappingVersion(mapping, "1", f"{mapping}.yaml") for mapping in ids]


def messages(fleet: Sequence[Device], observations: int) -> Iterator[Translated]:
    """Messages in arrival order, every device once a minute, ending at ``END``."""
    builder = ObservationBuilder()
    rounds = -(-observations // (READINGS_PER_MESSAGE * len(fleet)))
    made = 0
    for step in range(rounds):
        at = END - PERIOD * (rounds - 1 - step)
        for index, device in enumerate(fleet):
            if made >= observations:
                return
            yield _message(builder, device, at, step + index)
            made += READINGS_PER_MESSAGE


def _message(builder: ObservationBuilder, device: Device, at: datetime, n: int) -> Translated:
    temperature = 18.0 + (n % 80) / 10
    humidity = 30.0 + (n % 300) / 10
    millivolts = 3000.0 - (n % 400)
    payload = f'{{"t":{temperature},"h":{humidity},"v":{millivolts}}}'.encode()
    envelope = Envelope(Protocol.MQTT, device.channel, payload, at)
    provenance = Provenance(device.mapping, "1", Protocol.MQTT, device.channel)
    readings = (
        Reading(device.iri, "temperature", temperature, "DEG_C", at, provenance),
        Reading(device.iri, "relativeHumidity", humidity, "PERCENT_RH", at, provenance),
        Reading(
            device.iri, "batteryVoltage", millivolts / 1000, "V", at, provenance,
            source_value=millivolts, source_unit="MilliV",
        ),
    )  # fmt: skip
    graph = builder.build_graph(envelope, device.mapping, "1", readings)
    return Translated(envelope, device.mapping, readings, (device.info,), graph)


def fill(store: TwinStore, fleet: Sequence[Device], observations: int) -> int:
    """Write ``observations`` observations (and the meta graph); returns messages written."""
    store.load_meta(mapping_versions(fleet), ontology=ontology_dir())
    batch: list[Translated] = []
    written = 0
    for message in messages(fleet, observations):
        batch.append(message)
        if len(batch) == BATCH:
            written += store.write(batch).messages
            batch = []
    if batch:
        written += store.write(batch).messages
    store.flush()
    return written


# --- timing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timing:
    """Latencies of one query, in milliseconds: wall clock, and the process's CPU time."""

    runs: int
    p50: float
    p99: float
    rows: int
    cpu_p50: float  # what a shared, loaded machine inflates least


def timed(run: Callable[[], int], repeat: int, budget_s: float) -> Timing:
    """Run ``run`` (which returns a row count) up to ``repeat`` times within ``budget_s``."""
    rows = run()  # warm-up, not timed
    samples: list[float] = []
    cpu: list[float] = []
    deadline = time.monotonic() + budget_s
    while len(samples) < repeat and (not samples or time.monotonic() < deadline):
        started, started_cpu = time.perf_counter(), time.process_time()
        rows = run()
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
    return Timing(len(samples), statistics.median(samples), p99, rows, statistics.median(cpu))


def row_count(result: QueryResult) -> int:
    """Rows of a result (triples of a graph, 1 for ASK)."""
    if isinstance(result, AskResult):
        return 1
    return len(result.triples) if isinstance(result, GraphResult) else len(result.solutions)


def oxigraph_run(
    store: TwinStore, query: ExampleQuery, mirror: GraphMirror | None = None
) -> Callable[[], int]:
    """One evaluation as the endpoint does it (results materialized)."""
    return lambda: row_count(protocol_query(store, query.sparql, mirror=mirror))


def http_runner(
    store: TwinStore, mirror: GraphMirror
) -> tuple[Callable[[ExampleQuery], Callable[[], int]], Any]:
    """Runs through the whole ``/sparql`` route in-process (JSON results)."""
    settings = SparqlSettings(max_rows=1_000_000, timeout_s=3600)  # latency, not limits
    app = create_app([sparql_router(store, settings, mirror=mirror)])
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    loop = asyncio.new_event_loop()

    def runner(query: ExampleQuery) -> Callable[[], int]:
        async def once() -> int:
            response = await client.post("/sparql", data={"query": query.sparql})
            response.raise_for_status()
            return len(response.json()["results"]["bindings"])

        return lambda: loop.run_until_complete(once())

    def close() -> None:
        loop.run_until_complete(client.aclose())
        loop.close()

    return runner, close


def rdflib_dataset(store: TwinStore) -> rdflib.Dataset:
    """The same quads in an rdflib Dataset whose default graph is the union."""
    dataset = rdflib.Dataset(default_union=True)
    history = Dataset(default_graphs=(OBSERVATIONS_GRAPH,))
    result = protocol_query(store, "SELECT ?s ?p ?o WHERE { ?s ?p ?o }", history)
    assert not isinstance(result, GraphResult | AskResult)
    with rdflib_quiet():
        default = dataset.default_graph
        dataset.addN((*_rdflib_terms(row), default) for row in result.solutions)
        named = Dataset(named_graphs=(STATE_GRAPH, THINGS_GRAPH, META_GRAPH))
        graphs = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
        result = protocol_query(store, graphs, named)
        assert not isinstance(result, GraphResult | AskResult)
        for iri in (STATE_GRAPH, THINGS_GRAPH, META_GRAPH):
            graph = dataset.graph(rdflib.URIRef(iri))
            rows = (row for row in result.solutions if row[3] == NamedNode(iri))
            dataset.addN((*_rdflib_terms(row)[:3], graph) for row in rows)
    return dataset


def _rdflib_terms(row: QuerySolution) -> tuple[Any, ...]:
    return tuple(_rdflib_term(term) for term in row)


def _rdflib_term(term: Any) -> Any:
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


@contextlib.contextmanager
def rdflib_quiet() -> Iterator[None]:
    """Silence the deprecation warnings rdflib 7 raises from its own parser and SPARQL code."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="rdflib")
        yield


def rdflib_run(dataset: rdflib.Dataset, query: ExampleQuery) -> Callable[[], int]:
    """One evaluation on rdflib, results materialized."""
    prepared = prepareQuery(query.sparql, initNs=PREFIXES)

    def run() -> int:
        with rdflib_quiet():
            return len(list(dataset.query(prepared)))

    return run


# --- the SPARQL section -------------------------------------------------------------------


def sparql_section(args: argparse.Namespace) -> dict[str, Any]:
    """Generate, load, then time every example query; returns the figures."""
    fleet = devices(args.things)
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as folder:
        path = None if args.store == "memory" else Path(folder) / "store"
        with TwinStore.open(path) as store:
            mirror = GraphMirror.attach(store)
            started = time.perf_counter()
            written = fill(store, fleet, args.observations)
            load_s = time.perf_counter() - started
            started = time.perf_counter()
            store.optimize()  # compaction drops the replaced state's tombstones (on disk)
            optimize_s = time.perf_counter() - started
            _say(args, f"stored {args.observations} observations ({written} messages) "
                 f"in {load_s:.1f} s ({args.store}), compacted in {optimize_s:.1f} s; "
                 f"mirror: {mirror.stats()}")  # fmt: skip
            via = {q.slug: "store" if mirror.store_for(q.sparql) is None else "mirror"
                   for q in EXAMPLES}  # fmt: skip
            full = {q.slug: timed(oxigraph_run(store, q, mirror), args.repeat,
                                  args.seconds_per_query) for q in EXAMPLES}  # fmt: skip
            alone = {q.slug: timed(oxigraph_run(store, q), args.repeat, args.seconds_per_query)
                    if via[q.slug] == "mirror" else full[q.slug] for q in EXAMPLES}  # fmt: skip
            runner, close = http_runner(store, mirror)
            try:
                http = {q.slug: timed(runner(q), args.repeat, args.seconds_per_query)
                        for q in EXAMPLES}  # fmt: skip
            finally:
                close()
    small, reference = _comparison(args, fleet)
    return _figures(args, (load_s, optimize_s), via, (full, alone, http), small, reference)


def _comparison(
    args: argparse.Namespace, fleet: Sequence[Device]
) -> tuple[dict[str, Timing], dict[str, Timing]]:
    with TwinStore.open() as subset:
        mirror = GraphMirror.attach(subset)
        fill(subset, fleet[: args.rdflib_things], args.rdflib_observations)
        started = time.perf_counter()
        dataset = rdflib_dataset(subset)
        _say(args, f"rdflib: {len(dataset)} default-graph triples + named graphs loaded "
             f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        small = {q.slug: timed(oxigraph_run(subset, q, mirror), args.repeat,
                               args.seconds_per_query) for q in EXAMPLES}  # fmt: skip
    reference = {
        q.slug: timed(rdflib_run(dataset, q), args.rdflib_repeat, args.seconds_per_query)
        for q in EXAMPLES
    }
    del dataset
    gc.collect()
    return small, reference


def _figures(
    args: argparse.Namespace,
    seconds: tuple[float, float],
    via: dict[str, str],
    timings: tuple[dict[str, Timing], dict[str, Timing], dict[str, Timing]],
    small: dict[str, Timing],
    reference: dict[str, Timing],
) -> dict[str, Any]:
    full, alone, http = timings
    queries: dict[str, dict[str, Any]] = {}
    for query in EXAMPLES:
        slug = query.slug
        queries[slug] = {
            "reads": query.reads,
            "via": via[slug],
            "rows": full[slug].rows,
            "p50_ms": round(full[slug].p50, 3),
            "p99_ms": round(full[slug].p99, 3),
            "cpu_p50_ms": round(full[slug].cpu_p50, 3),
            "store_p50_ms": round(alone[slug].p50, 3),
            "store_cpu_p50_ms": round(alone[slug].cpu_p50, 3),
            "http_p50_ms": round(http[slug].p50, 3),
            "http_p99_ms": round(http[slug].p99, 3),
            "subset_p50_ms": round(small[slug].p50, 3),
            "rdflib_p50_ms": round(reference[slug].p50, 3),
            "speedup_vs_rdflib": round(reference[slug].p50 / max(small[slug].p50, 1e-6), 1),
            "subset_cpu_p50_ms": round(small[slug].cpu_p50, 3),
            "rdflib_cpu_p50_ms": round(reference[slug].cpu_p50, 3),
            "cpu_speedup_vs_rdflib": round(
                reference[slug].cpu_p50 / max(small[slug].cpu_p50, 1e-6), 1
            ),
            "rows_agree": small[slug].rows == reference[slug].rows,
            "store_rows_agree": alone[slug].rows == full[slug].rows,
            "runs": full[slug].runs,
        }
    state = [q for q in queries.values() if q["reads"] == "state"]
    history = [q for q in queries.values() if q["reads"] == "history"]
    return {
        "observations": args.observations,
        "things": args.things,
        "store": args.store,
        "load_s": round(seconds[0], 1),
        "optimize_s": round(seconds[1], 1),
        "rdflib_observations": args.rdflib_observations,
        "rdflib_things": args.rdflib_things,
        "queries": queries,
        "latest_state_max_p50_ms": max(q["p50_ms"] for q in state),
        "latest_state_max_cpu_p50_ms": max(q["cpu_p50_ms"] for q in state),
        "history_min_speedup": min(q["speedup_vs_rdflib"] for q in history),
        "history_min_cpu_speedup": min(q["cpu_speedup_vs_rdflib"] for q in history),
        "targets_met": {
            "latest_state_p50_below_5ms": all(q["p50_ms"] < LATEST_STATE_TARGET_MS for q in state),
            "history_100x_rdflib": all(
                q["speedup_vs_rdflib"] >= HISTORY_SPEEDUP_TARGET for q in history
            ),
        },
    }


def print_sparql(figures: dict[str, Any]) -> None:
    """The SPARQL figures as a table."""
    print(
        f"\nSPARQL, {figures['observations']:,} observations ({figures['store']}), "
        f"rdflib on {figures['rdflib_observations']:,}"
    )
    head = ("query", "reads", "via", "rows", "p50 ms", "p99 ms", "cpu p50", "store p50",
            "store cpu", "http p50", "subset p50", "rdflib p50", "speedup",
            "cpu speedup")  # fmt: skip
    print("  ".join(f"{h:>10}" if i else f"{h:<22}" for i, h in enumerate(head)))
    for slug, q in figures["queries"].items():
        cells = (slug, q["reads"], q["via"], q["rows"], q["p50_ms"], q["p99_ms"],
                 q["cpu_p50_ms"], q["store_p50_ms"], q["store_cpu_p50_ms"], q["http_p50_ms"],
                 q["subset_p50_ms"], q["rdflib_p50_ms"], f"{q['speedup_vs_rdflib']}x",
                 f"{q['cpu_speedup_vs_rdflib']}x")  # fmt: skip
        print("  ".join(f"{c:>10}" if i else f"{c:<22}" for i, c in enumerate(cells)))
    print(f"targets: {figures['targets_met']}")
    print(f"in CPU time: latest-state max p50 {figures['latest_state_max_cpu_p50_ms']} ms, "
          f"history min speed-up {figures['history_min_cpu_speedup']}x")  # fmt: skip


# --- command line -------------------------------------------------------------------------

SECTIONS: Final[
    dict[str, tuple[Callable[[argparse.Namespace], dict[str, Any]], Callable[..., None]]]
] = {
    "sparql": (sparql_section, print_sparql),
    "stream": (stream_section, print_stream),
}


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's arguments (each section adds its own)."""
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__)
    parser.add_argument("--json", action="store_true", help="last line: one JSON object")
    parser.add_argument("--only", nargs="+", choices=sorted(SECTIONS), help="sections to run")
    sparql = parser.add_argument_group("sparql")
    sparql.add_argument("--observations", type=int, default=1_000_000)
    sparql.add_argument("--things", type=int, default=200)
    sparql.add_argument("--store", choices=("disk", "memory"), default="disk")
    sparql.add_argument("--repeat", type=int, default=200, help="runs per query (at most)")
    sparql.add_argument("--seconds-per-query", type=float, default=5.0, help="time per query")
    sparql.add_argument("--rdflib-observations", type=int, default=20_000)
    sparql.add_argument("--rdflib-things", type=int, default=10)
    sparql.add_argument("--rdflib-repeat", type=int, default=5)
    add_stream_arguments(parser)
    return parser


def _say(args: argparse.Namespace, text: str) -> None:
    print(text, file=sys.stderr if args.json else sys.stdout, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen sections; print tables, and the JSON line with ``--json``."""
    args = build_parser().parse_args(argv)
    figures: dict[str, Any] = {}
    for name in args.only or SECTIONS:
        run, show = SECTIONS[name]
        figures[name] = run(args)
        if args.json:  # on stderr at once: a later section's failure loses nothing
            _say(args, json.dumps({name: figures[name]}))
        else:
            show(figures[name])
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
