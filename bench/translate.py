"""Benchmark of the translation core: ``python -m bench.translate [--json]``.

Generates a realistic mixed stream (every shipped device family, ~1 % invalid, seeded;
``bench.stream``) before anything is timed, then measures side by side in the same run:

1. **translate**: ``Pipeline.translate`` (decode → match → JSON Schema → readings → RDF →
   SHACL gate), no I/O: messages/s, p50/p99 µs per message;
2. **translate + store**: the same through ``Ingestor`` into a fresh on-disk Oxigraph store
   and dead-letter store: messages/s, triples per message, peak RSS;
3. **naive**: a fresh rdflib Graph + ``pyshacl.validate`` per message, on a sample holding
   every shape-invalid message of the stream plus random valid ones;
4. the verdicts of the compiled gate and pyshacl compared on that sample (all messages
   with ``--full-oracle``), and the Python ceiling (``orjson.loads`` + plain tuples).

Prints a Markdown table (the README's); with ``--json`` the last line is one JSON object.
``--profile`` adds the per-stage breakdown (``bench.stages``). No network is used.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import orjson

from bench.naive import NaiveResult, load_shapes, run_naive, run_naive_batched
from bench.phases import run_ceiling, run_store, run_translate
from bench.report import Results, load_average, render_table, summary
from bench.stages import measure_stages
from bench.stream import build_stream
from translator.pipeline import Pipeline, build_pipeline
from translator.settings import load_settings
from translator.values import Envelope

MAX_MESSAGES = 2_000_000


def _bounded(low: int, high: int) -> type[int]:
    """An argparse type: an integer in [low, high]."""

    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not in [{low:,}, {high:,}]")
        return value

    return parse  # type: ignore[return-value]  # argparse only calls it


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 0.5:
        raise argparse.ArgumentTypeError(f"{value} is not in [0, 0.5]")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.translate",
        description="Measure the translation core on a realistic mixed stream.",
        epilog="example: .venv/bin/python -m bench.translate --messages 100000 --json",
    )
    add = parser.add_argument
    add("--messages", type=_bounded(1, MAX_MESSAGES), default=100_000, help="stream length")
    add("--seed", type=int, default=42, help="seed of the stream and of the naive sample")
    add("--devices-per-kind", type=_bounded(1, 1000), default=20, help="devices of each kind")
    add("--invalid-rate", type=_rate, default=0.01, help="share of broken messages")
    add("--batch-size", type=_bounded(1, 100_000), default=1000, help="messages per store write")
    add("--naive-sample", type=_bounded(0, 10_000), default=1000, help="naive sample size")
    add("--naive-batch", type=_bounded(0, 10_000), default=0, help="also time pyshacl per batch")
    add("--repeat", type=_bounded(1, 20), default=3, help="bare translate loops (best counts)")
    add("--full-oracle", action="store_true", help="compare with pyshacl on every message (slow)")
    add("--no-store", action="store_true", help="skip the translate + store phase")
    add("--profile", action="store_true", help="add the per-stage breakdown")
    add("--profile-messages", type=_bounded(100, MAX_MESSAGES), default=20_000)
    add("--store-dir", type=Path, default=None, help="where the temporary store goes")
    add("--json", action="store_true", help="end with one JSON line")
    add("--quiet", action="store_true", help="no progress on stderr")
    return parser


def _naive_sample(
    envelopes: Sequence[Envelope], outcomes: Sequence[str], size: int, seed: int
) -> tuple[list[Envelope], int]:
    """Every shape-rejected envelope plus random translated ones, up to ``size`` in all."""
    shape = [i for i, outcome in enumerate(outcomes) if outcome == "shape"]
    valid = [i for i, outcome in enumerate(outcomes) if outcome == "valid"]
    extra = random.Random(seed).sample(valid, max(0, min(len(valid), size - len(shape))))
    return [envelopes[i] for i in sorted(shape + extra)], len(shape)


def run(args: argparse.Namespace, pipeline: Pipeline) -> Results:
    """Generate the stream and run every phase."""

    def say(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr)

    load = load_average()
    say(f"generating {args.messages:,} messages …")
    stream = build_stream(
        args.messages,
        seed=args.seed,
        topic_filters=pipeline.mappings.topic_filters(),
        devices_per_kind=args.devices_per_kind,
        invalid_rate=args.invalid_rate,
    )
    envelopes = [m.envelope for m in stream.messages]
    gc.collect()
    gc.freeze()  # the stream itself is not the pipeline's garbage to scan
    say("translate …")
    translated = run_translate(pipeline, envelopes, repeats=args.repeat)
    store = None
    if not args.no_store:
        say("translate + store …")
        store = run_store(pipeline, envelopes, batch_size=args.batch_size, folder=args.store_dir)
    say("naive (rdflib + pyshacl) …")
    shapes = load_shapes()
    sample, shape_invalid = _naive_sample(
        envelopes, translated.outcomes, args.naive_sample, args.seed
    )
    naive = run_naive(pipeline, sample, shapes)
    batched = None
    if args.naive_batch:
        say(f"naive, {args.naive_batch} messages per pyshacl call …")
        batched = run_naive_batched(pipeline, sample, shapes, batch=args.naive_batch)
    oracle: NaiveResult | None = None
    if args.full_oracle:
        say("pyshacl on the whole stream …")
        oracle = run_naive(pipeline, envelopes, shapes)
    say("ceiling …")
    ceiling = run_ceiling(envelopes)
    breakdown = None
    if args.profile:
        say("per-stage breakdown …")
        breakdown = measure_stages(pipeline, envelopes[: args.profile_messages])
    return Results(
        stream, args.seed, load, translated, store, naive, len(sample), shape_invalid, batched,
        oracle, ceiling, breakdown,
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when the gate and pyshacl agree on every compared message."""
    args = _parser().parse_args(argv)
    pipeline = build_pipeline(load_settings(store={"in_memory": True}))
    results = run(args, pipeline)
    print(render_table(results))
    if args.json:
        print(orjson.dumps(summary(results)).decode())
    return 1 if results.verdict_mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
