"""``translator query``: SPARQL against the data directory's store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from translator.settings import Settings
from translator.twin.paths import open_store
from translator.twin.query import FORMATS, render_results

SUMMARY = "Run a SPARQL query against the store (table on a terminal, or CSV/TSV/JSON)."
EXAMPLE = (
    "translator query 'SELECT ?thing ?p ?v WHERE { ?s tr:ofThing ?thing ; "
    "sosa:observedProperty ?p ; sosa:hasSimpleResult ?v }'\n"
    "  translator query --format csv --file latest.rq"
)


def configure(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument("--data-dir", type=Path, help="where the store lives (default: data)")
    parser.add_argument(
        "--format",
        choices=sorted(FORMATS),
        help="output format (default: table on a terminal, else csv)",
    )
    parser.add_argument("--file", type=Path, help="read the query from this file")
    parser.add_argument("sparql", nargs="?", help="the query (the project's prefixes are known)")


def run(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Run the query and print its results."""
    if (args.file is None) == (args.sparql is None):
        console.print("give the query as an argument or with --file, not both", markup=False)
        return 2
    text = args.file.read_text() if args.file is not None else args.sparql
    fmt = args.format or ("table" if sys.stdout.isatty() else "csv")
    with open_store(settings, read_only=True) as store:
        results = store.query(text)
        render_results(results, fmt, console)
    return 0
