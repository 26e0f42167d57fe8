"""``translator token``: make a new API token, print it once and the settings that accept it."""

from __future__ import annotations

import argparse
import json

from rich.console import Console

from translator.api.auth import SCOPES, hash_token, new_token
from translator.settings import Settings, TokenSettings

SUMMARY = "Create an API bearer token: printed once; settings keep only its salted hash."
EXAMPLE = "translator token --name unity --scopes read,stream"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument("--name", required=True, help="who holds the token (letters, digits, -_)")
    parser.add_argument(
        "--scopes",
        required=True,
        type=_scopes,
        help=f"comma-separated, from: {', '.join(SCOPES)} (admin implies all)",
    )


def _scopes(text: str) -> tuple[str, ...]:
    scopes = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        raise argparse.ArgumentTypeError(
            f"unknown scope(s) {', '.join(unknown) or '(none given)'}; choose from "
            f"{', '.join(SCOPES)}"
        )
    return scopes


def run(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Print a new token and the TOML and environment lines that accept it."""
    token = new_token(args.name)
    entry = TokenSettings.model_validate(
        {"name": args.name, "scopes": args.scopes, "hash": hash_token(token)}
    )
    scopes = ", ".join(json.dumps(scope) for scope in entry.scopes)
    lines = [
        f"token (shown once, keep it secret): {token}",
        "",
        "add to the config file (TOML):",
        "[[auth.tokens]]",
        f"name = {json.dumps(entry.name)}",
        f"scopes = [{scopes}]",
        f"hash = {json.dumps(entry.hash)}",
        "",
        "or to the environment (this replaces every configured token):",
        f"TRANSLATOR_AUTH__TOKENS='{json.dumps([entry.model_dump(mode='json')])}'",
    ]
    if any(existing.name == entry.name for existing in settings.auth.tokens):
        lines.append(f"\nnote: a token named {entry.name!r} exists; replace its entry to rotate")
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    return 0
