"""The command line: ``translator demo | serve | check | translate | test-mappings | …``.

The only package that configures logging, prints for people and calls ``sys.exit``.
Each command is a module with ``SUMMARY``, ``EXAMPLE``, ``configure(parser)`` and
``run(args, settings, console) -> exit code``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from rich.console import Console

from translator.cli import check, demo, ingest, query, serve, test_mappings, token, translate
from translator.errors import ConfigError, MappingError, TranslatorError
from translator.logs import configure_logging
from translator.settings import Settings, load_settings

COMMANDS: dict[str, ModuleType] = {
    "check": check,
    "translate": translate,
    "test-mappings": test_mappings,
    "ingest": ingest,
    "query": query,
    "serve": serve,
    "demo": demo,
    "token": token,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``translator`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command: ModuleType | None = getattr(args, "command", None)
    if command is None:
        parser.print_help()
        return 2
    errors = Console(stderr=True, highlight=False)
    try:
        settings = _settings(args)
        configure_logging(args.log_level or settings.log_level, json_format=settings.log_json)
        code: int = command.run(args, settings, Console(highlight=False))
        return code
    except MappingError as err:
        errors.print(f"mapping error: {err}", markup=False)
        return 1
    except ConfigError as err:
        errors.print(f"configuration error: {err}", markup=False)
        return 2
    except TranslatorError as err:
        errors.print(f"error: {err}", markup=False)
        return 1
    except KeyboardInterrupt:
        return 130


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if args.config is not None:
        overrides["config_file"] = args.config
    if getattr(args, "data_dir", None) is not None:
        overrides["data_dir"] = args.data_dir
    return load_settings(**overrides)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command and its example."""
    parser = argparse.ArgumentParser(
        prog="translator",
        description="Translate IoT vendor payloads into SOSA/QUDT RDF and serve them to engines.",
    )
    parser.add_argument("--config", type=Path, help="TOML or YAML settings file")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name, module in COMMANDS.items():
        sub = commands.add_parser(
            name,
            help=module.SUMMARY,
            description=module.SUMMARY,
            epilog=f"example:\n  {module.EXAMPLE}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.configure(sub)
        sub.set_defaults(command=module)
    return parser
