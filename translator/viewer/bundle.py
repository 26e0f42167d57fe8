"""The viewer's built front end (``translator/viewer/static/``), read into memory once.

``web/`` holds the sources (ES modules, three.js pinned in ``package-lock.json``); ``npm ci``
and ``node build.mjs`` there (``scripts/setup-venv`` does both when the sources changed)
write ``static/``: ``index.html``, ``style.css`` and ``assets/*.js``. The bundle is built at
install time and never committed. A checkout where it was not built still serves ``/viewer``:
a page that says how to build it.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Final

logger = logging.getLogger(__name__)

STATIC_DIR: Final = Path(__file__).resolve().parent / "static"
WEB_DIR: Final = Path(__file__).resolve().parent / "web"
INDEX: Final = "index.html"
ASSET_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MAX_ASSET_BYTES: Final = 16 * 1024 * 1024
_TYPES: Final = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".map": "application/json",
    ".json": "application/json",
}


@dataclass(frozen=True, slots=True)
class Asset:
    """One file of the bundle: its bytes, media type and ETag."""

    body: bytes
    media_type: str
    etag: str


@dataclass(frozen=True, slots=True)
class Bundle:
    """The built front end: ``index.html`` and the other files by name (one folder deep)."""

    index: Asset
    files: dict[str, Asset]


def load_bundle(folder: Path = STATIC_DIR) -> Bundle | None:
    """The bundle in ``folder``, or ``None`` when it was not built (no ``index.html``)."""
    index = folder / INDEX
    if not index.is_file():
        logger.warning("viewer not built: %s is missing (run scripts/setup-venv)", index)
        return None
    files: dict[str, Asset] = {}
    for file in sorted(folder.rglob("*")):
        relative = file.relative_to(folder)
        if not file.is_file() or file.stat().st_size > MAX_ASSET_BYTES:
            continue
        if len(relative.parts) > 2 or not all(ASSET_NAME.match(p) for p in relative.parts):
            continue
        files[relative.as_posix()] = asset(file.read_bytes(), file.suffix)
    return Bundle(files[INDEX], files)


def asset(body: bytes, suffix: str) -> Asset:
    """``body`` as a servable file (media type from ``suffix``)."""
    media_type = _TYPES.get(suffix) or mimetypes.types_map.get(suffix, "application/octet-stream")
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return Asset(body, media_type, etag)


def missing_page() -> Asset:
    """What ``/viewer`` shows when the front end was not built."""
    build = escape(f"cd {WEB_DIR} && npm ci && node build.mjs")
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Viewer not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>The 3D viewer is not built</h1>
<p>Its JavaScript bundle is made at install time with Node.js and npm.
Run <code>scripts/setup-venv</code> (it builds the bundle when <code>npm</code> is on the
PATH), or build it by hand:</p>
<pre>{build}</pre>
<p>then restart the translator. The stream (<code>/stream</code>) and SPARQL
(<code>/sparql</code>) work without it.</p>
</body></html>
"""
    return asset(html.encode(), ".html")
