"""Content negotiation for ``/sparql``: which result format an ``Accept`` header asks for.

SELECT and ASK answer in the SPARQL 1.1 results formats, CONSTRUCT and DESCRIBE in RDF
formats; the names on the right are those of ``translator.twin.query.serialize_result``.
``*/*`` or no ``Accept`` picks the kind's default (JSON results, Turtle); ``text/*`` or
``application/*`` the first format of that major type in the tables below. Parameters
other than ``q`` are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

ResultKind = Literal["results", "graph"]

RESULT_TYPES: Final[Mapping[str, str]] = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",  # what generic HTTP clients ask for
    "application/xml": "xml",
}
GRAPH_TYPES: Final[Mapping[str, str]] = {
    "text/turtle": "turtle",
    "application/n-triples": "ntriples",
    "application/ld+json": "json",
    "application/rdf+xml": "xml",
    "application/x-turtle": "turtle",
}
DEFAULTS: Final[Mapping[ResultKind, str]] = {"results": "json", "graph": "turtle"}
SUPPORTED: Final = (
    "SELECT/ASK: application/sparql-results+json, application/sparql-results+xml, text/csv, "
    "text/tab-separated-values; CONSTRUCT/DESCRIBE: text/turtle, application/n-triples, "
    "application/ld+json, application/rdf+xml"
)


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One entry of an ``Accept`` header."""

    type: str
    q: float
    order: int

    @property
    def specificity(self) -> int:
        """2 for ``type/subtype``, 1 for ``type/*``, 0 for ``*/*``."""
        if self.type == "*/*":
            return 0
        return 1 if self.type.endswith("/*") else 2


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of ``header``, best first (q, then specificity, then order)."""
    if not header or not header.strip():
        return [MediaRange("*/*", 1.0, 0)]
    ranges: list[MediaRange] = []
    for order, part in enumerate(header.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranges.append(MediaRange(media.lower(), q, order))
    return sorted(ranges, key=lambda r: (-r.q, -r.specificity, r.order))


def negotiate(ranges: list[MediaRange], kind: ResultKind) -> str | None:
    """The format for a result of ``kind``, or ``None`` when nothing acceptable fits."""
    table = RESULT_TYPES if kind == "results" else GRAPH_TYPES
    for media in ranges:
        if media.type == "*/*":
            return DEFAULTS[kind]
        if media.type.endswith("/*"):  # the first format of that major type, if any
            major = media.type[:-1]
            fits = [fmt for name, fmt in table.items() if name.startswith(major)]
            if fits:
                return fits[0]
        elif media.type in table:
            return table[media.type]
    return None


def wants_html(ranges: list[MediaRange]) -> bool:
    """Whether a browser asks for a page (``text/html`` named explicitly)."""
    return any(media.type in ("text/html", "application/xhtml+xml") for media in ranges)
