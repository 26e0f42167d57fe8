"""``translator check``: every mapping file against the schema, the ontology and its examples."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from translator.errors import MappingError
from translator.examples import run_examples
from translator.mapping import find_mapping_files, load_mappings
from translator.ontology.files import mappings_dir
from translator.ontology.vocabulary import load_vocabulary
from translator.pipeline import build_pipeline
from translator.settings import Settings

SUMMARY = (
    "Check mapping files: schema, ontology terms, units vs quantity kinds, JSONPaths, "
    "templates, and run their examples."
)
EXAMPLE = "translator check mappings/\n  translator check mappings/tasmota-sensor.yaml"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument(
        "paths", type=Path, nargs="*", help="mapping files or folders (default: shipped)"
    )


def run(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Report every broken file (file:line: reason), then every failing example."""
    paths: list[Path] = args.paths or list(settings.mappings) or [mappings_dir()]
    vocabulary = load_vocabulary()
    files = find_mapping_files(paths)
    broken = 0
    for file in files:
        try:
            load_mappings([file], vocabulary)
        except MappingError as err:
            broken += 1
            console.print(f"✗ {err}", markup=False)
    if broken:
        console.print(f"{broken} of {len(files)} mapping files are invalid", markup=False)
        return 1
    pipeline = build_pipeline(settings, paths)  # the whole set: duplicate ids are caught here
    outcomes = run_examples(pipeline)
    for outcome in outcomes:
        if not outcome.passed:
            console.print(f"✗ {outcome.where}: {outcome.example.title}", markup=False)
            for problem in outcome.problems:
                console.print(f"    {problem}", markup=False)
    failed = sum(not o.passed for o in outcomes)
    console.print(
        f"{len(files)} mapping files valid; {len(outcomes) - failed} examples passed, "
        f"{failed} failed",
        markup=False,
    )
    return 1 if failed else 0
