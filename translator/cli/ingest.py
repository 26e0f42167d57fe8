"""``translator ingest``: captured payload files into the data directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from translator.adapters.captures import CaptureProblem, capture_files, read_capture
from translator.pipeline import build_pipeline
from translator.settings import Settings
from translator.twin.ingest import Ingestor, IngestStats
from translator.twin.paths import open_dead_letters, open_store

SUMMARY = "Translate captured payloads (.jsonl envelopes or mosquitto_sub -v logs) into the store."
EXAMPLE = (
    "mosquitto_sub -v -t 'zigbee2mqtt/#' > capture.txt; translator ingest capture.txt\n"
    "  translator ingest --data-dir data captures/"
)


def configure(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument("--data-dir", type=Path, help="where the store lives (default: data)")
    parser.add_argument(
        "--mappings", type=Path, action="append", metavar="PATH", help="mapping file or folder"
    )
    parser.add_argument("paths", type=Path, nargs="+", help="capture files or folders")


def run(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Ingest every capture; print a summary; exit 1 when a capture line was unreadable."""
    files = capture_files(args.paths)
    missing = [f for f in files if not f.is_file()]
    if missing:
        console.print(f"no such capture file: {missing[0]}", markup=False)
        return 2
    pipeline = build_pipeline(settings, args.mappings)
    problems: list[CaptureProblem] = []
    with open_store(settings) as store, open_dead_letters(settings) as dead_letters:
        ingestor = Ingestor(pipeline, store, dead_letters, batch_size=settings.store.batch_size)
        with ingestor, _progress(console) as progress:
            task = progress.add_task("ingesting", total=sum(f.stat().st_size for f in files))
            for path in files:
                for item in read_capture(path):
                    if isinstance(item, CaptureProblem):
                        problems.append(item)
                    else:
                        ingestor.feed(item)
                progress.advance(task, path.stat().st_size)
    console.print(_summary(ingestor.stats, len(problems), settings))
    for problem in problems[:20]:
        console.print(f"{problem.file}:{problem.line}: {problem.reason}", markup=False)
    return 1 if problems else 0


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _summary(stats: IngestStats, unreadable: int, settings: Settings) -> Table:
    table = Table(title=f"ingest into {settings.data_dir}", show_header=False)
    table.add_row("accepted messages", str(stats.accepted))
    table.add_row("readings stored", str(stats.readings))
    table.add_row("rejected (dead letters)", str(stats.rejected))
    for stage, count in sorted(stats.by_stage.items()):
        table.add_row(f"  rejected at {stage}", str(count))
    table.add_row("unreadable capture lines", str(unreadable))
    return table
