"""``translator test-mappings``: run every mapping's examples and show each verdict."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from translator.examples import run_examples
from translator.ontology.files import mappings_dir
from translator.pipeline import build_pipeline
from translator.settings import Settings

SUMMARY = "Run the examples embedded in mapping files through the whole pipeline (SHACL included)."
EXAMPLE = "translator test-mappings mappings/\n  translator test-mappings -v my-mappings/"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument(
        "paths", type=Path, nargs="*", help="mapping files or folders (default: shipped)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list passing examples too")


def run(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """One line per example (failures with their problems); ``N passed, M failed`` last."""
    paths: list[Path] = args.paths or list(settings.mappings) or [mappings_dir()]
    outcomes = run_examples(build_pipeline(settings, paths))
    for outcome in outcomes:
        if outcome.passed and not args.verbose:
            continue
        mark = "PASS" if outcome.passed else "FAIL"
        console.print(f"{mark} {outcome.example.title}  ({outcome.where})", markup=False)
        for problem in outcome.problems:
            console.print(f"     {problem}", markup=False)
    failed = sum(not o.passed for o in outcomes)
    console.print(f"examples: {len(outcomes) - failed} passed, {failed} failed", markup=False)
    return 1 if failed else 0
