"""Where the translate time goes: decode, match, schema, extract, RDF, SHACL gate.

Two measurements over the same envelopes, combined:

* **timed**: ``Pipeline.translate`` re-enacted from its public steps with a
  ``perf_counter_ns`` between them (about 70 ns each) — ``MappingSet.resolve`` (decode +
  match + schema + extract), the payload's SHA-256, ``ObservationBuilder.build_graph`` (RDF
  terms, indexed), ``ShapeGate.check_graph``, and the ``Translated`` value (which carries
  the gated index: the store writes it, no quads are made here) — in one interleaved loop,
  so the steps share the caches as they do in the real loop (timing each step in a loop of
  its own flatters it by a quarter). Each message's and step's least
  time of ``REPEATS`` runs counts, which drops the time spent descheduled by other load;
* **cProfile**: the shares of decode / schema / extract inside ``resolve`` and of the
  shapes' evaluation inside the gate, applied to the timed steps (a profiler slows small
  Python functions more than C calls, so its absolute numbers are not reported; a step
  whose function was renamed shows ``n/a``).

``Pipeline.translate`` itself is timed the same way, per message; it is the reference the
rows add up to (within the timers' cost).
"""

from __future__ import annotations

import cProfile
import gc
import hashlib
import pstats
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from translator.errors import PayloadError
from translator.mapping.mappingset import Resolution
from translator.pipeline import Pipeline
from translator.values import Envelope, Translated

REPEATS: Final = 3
# (file name ending, function name) of each profiled step
_FUNCTIONS: Final[dict[str, tuple[str, str]]] = {
    "resolve": ("translator/mapping/mappingset.py", "resolve"),
    "decode": ("translator/mapping/decode.py", "decode_payload"),
    "schema": ("translator/mapping/payload_schema.py", "violation"),
    "extract": ("translator/mapping/extract.py", "extract"),
    "gate": ("translator/validation/shapes.py", "check_graph"),
    "gate.evaluate": ("translator/validation/compiled.py", "evaluate"),
}


@dataclass(frozen=True, slots=True)
class Stage:
    """One row of the breakdown: microseconds per message (all messages counted)."""

    name: str
    us_per_msg: float
    how: str  # "direct" or "profile share"


@dataclass(frozen=True, slots=True)
class Breakdown:
    """The per-stage breakdown of ``Pipeline.translate`` over ``messages`` envelopes."""

    messages: int
    translate_us: float  # the whole translate, per message
    stages: tuple[Stage, ...]


STEPS: Final = ("translate", "resolve", "sha256", "rdf", "gate", "result")


def _bare(pipeline: Pipeline, envelopes: Sequence[Envelope]) -> list[int]:
    """Nanoseconds of ``Pipeline.translate`` per envelope (the reference)."""
    translate = pipeline.translate
    clock = time.perf_counter_ns
    spent = []
    for envelope in envelopes:
        started = clock()
        translate(envelope)
        spent.append(clock() - started)
    return spent


def _instrumented(pipeline: Pipeline, envelopes: Sequence[Envelope]) -> list[tuple[int, ...]]:
    """Nanoseconds per step and envelope, ``Pipeline.translate`` re-enacted with timers."""
    resolve, build = _resolver(pipeline), pipeline.builder.build_graph
    check = pipeline.gate.check_graph
    clock = time.perf_counter_ns
    spent: list[tuple[int, ...]] = []
    for envelope in envelopes:
        t0 = clock()
        resolution = resolve(envelope)
        t1 = clock()
        if resolution is None:
            spent.append((t1 - t0, 0, 0, 0, 0))
            continue
        digest = hashlib.sha256(envelope.payload).hexdigest()
        t2 = clock()
        graph = build(
            envelope,
            resolution.mapping_id,
            resolution.mapping_version,
            resolution.readings,
            sha256=digest,
        )
        t3 = clock()
        violations = check(graph)
        t4 = clock()
        if not violations:
            Translated(envelope, resolution.mapping_id, tuple(resolution.readings),
                       tuple(resolution.things), graph)  # fmt: skip
        t5 = clock()
        spent.append((t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4))
    return spent


def _least(runs: Sequence[Sequence[Sequence[int]]]) -> dict[str, float]:
    """Seconds per step: each envelope's and step's least time over the runs, summed.

    The least of a few runs drops the time a message spent descheduled by other load.
    """
    totals = [0] * len(STEPS)
    for per_run in zip(*runs, strict=True):
        for step, values in enumerate(zip(*per_run, strict=True)):
            totals[step] += min(values)
    return {name: nanos / 1e9 for name, nanos in zip(STEPS, totals, strict=True)}


def _resolver(pipeline: Pipeline) -> Callable[[Envelope], Resolution | None]:
    resolve = pipeline.mappings.resolve

    def resolve_or_none(envelope: Envelope) -> Resolution | None:
        try:
            return resolve(envelope)
        except PayloadError:
            return None

    return resolve_or_none


def _cumulative(stats: pstats.Stats) -> dict[str, float]:
    """Cumulative seconds of each function of ``_FUNCTIONS`` in a profile."""
    found = dict.fromkeys(_FUNCTIONS, 0.0)
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]  # pstats keeps it public
    for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in table.items():
        for name, (ending, wanted) in _FUNCTIONS.items():
            if function == wanted and filename.replace("\\", "/").endswith(ending):
                found[name] += cumulative
    return found


def _profile_shares(pipeline: Pipeline, envelopes: Sequence[Envelope]) -> dict[str, float]:
    profiler = cProfile.Profile()
    translate = pipeline.translate
    profiler.enable()
    for envelope in envelopes:
        translate(envelope)
    profiler.disable()
    return _cumulative(pstats.Stats(profiler))


def measure_stages(pipeline: Pipeline, envelopes: Sequence[Envelope]) -> Breakdown:
    """Time each step of the pipeline over ``envelopes`` (see the module docstring)."""
    count = len(envelopes)
    _bare(pipeline, envelopes)  # warm-up
    runs = []
    for _ in range(REPEATS):
        gc.collect()
        bare = _bare(pipeline, envelopes)
        steps = _instrumented(pipeline, envelopes)
        runs.append([(whole, *parts) for whole, parts in zip(bare, steps, strict=True)])
    direct = _least(runs)
    shares = _profile_shares(pipeline, envelopes)
    return Breakdown(count, 1e6 * direct["translate"] / count, _rows(direct, shares, count))


def _rows(direct: dict[str, float], shares: dict[str, float], count: int) -> tuple[Stage, ...]:
    def us(seconds: float) -> float:
        return 1e6 * seconds / count

    def part(whole: str, names: Sequence[str]) -> tuple[float, ...]:
        if not shares[whole]:  # the profiled function was renamed: nothing to split by
            return tuple(float("nan") for _ in names)
        return tuple(direct[whole] * shares[name] / shares[whole] for name in names)

    decode, schema, extract = part("resolve", ("decode", "schema", "extract"))
    (evaluate,) = part("gate", ("gate.evaluate",))
    share = "profile share"
    return (
        Stage("decode (bytes to JSON/SenML/text)", us(decode), share),
        Stage("match (size check, channel index, when-conditions)",
              us(direct["resolve"] - decode - schema - extract), share),
        Stage("schema (JSON Schema)", us(schema), share),
        Stage("extract (readings, things)", us(extract), share),
        Stage("rdf: payload SHA-256", us(direct["sha256"]), "timed"),
        Stage("rdf: terms + index (ObservationBuilder.build_graph)", us(direct["rdf"]), "timed"),
        Stage("gate: evaluate the compiled shapes", us(evaluate), share),
        Stage("gate: rest (data view, violations)", us(direct["gate"] - evaluate), share),
        Stage("result: Translated (carries the gated index)", us(direct["result"]), "timed"),
    )  # fmt: skip
