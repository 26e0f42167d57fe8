"""``translator translate``: a dry run of one payload through the whole edge pipeline."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyoxigraph
from rich.console import Console

from translator.pipeline import build_pipeline
from translator.rdf.namespaces import PREFIXES
from translator.settings import Settings
from translator.values import Envelope, Protocol, Reading, Rejected

SUMMARY = "Dry run: translate one payload file and print the readings or the RDF."
EXAMPLE = (
    "translator translate --protocol mqtt --channel tele/plug1/SENSOR payload.json\n"
    "  translator translate --protocol coap --channel senml/dev1 \\\n"
    "      --content-format application/senml+cbor --format turtle reading.cbor"
)

FORMATS = {"turtle": pyoxigraph.RdfFormat.TURTLE, "jsonld": pyoxigraph.RdfFormat.JSON_LD}


def configure(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument(
        "--mappings",
        type=Path,
        action="append",
        metavar="PATH",
        help="mapping file or folder (repeatable; default: the shipped mappings)",
    )
    parser.add_argument("--protocol", choices=[p.value for p in Protocol], required=True)
    parser.add_argument("--channel", required=True, help="MQTT topic, CoAP or HTTP path")
    parser.add_argument("--content-format", help="media type, e.g. application/senml+json")
    parser.add_argument("--received-at", help="arrival time, ISO 8601 (default: now)")
    parser.add_argument(
        "--format", choices=["readings", *FORMATS], default="readings", help="what to print"
    )
    parser.add_argument("payload", help="payload file, or - for standard input")


def run(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Translate the payload; print the result, or the rejection and exit 1."""
    pipeline = build_pipeline(settings, args.mappings)
    payload = sys.stdin.buffer.read() if args.payload == "-" else Path(args.payload).read_bytes()
    envelope = Envelope(
        protocol=Protocol(args.protocol),
        channel=args.channel.strip("/") if args.protocol != "mqtt" else args.channel,
        payload=payload,
        received_at=_arrival(args.received_at),
        content_format=args.content_format,
    )
    outcome = pipeline.translate(envelope)
    if isinstance(outcome, Rejected):
        print(
            orjson.dumps(rejection_report(outcome), option=orjson.OPT_INDENT_2).decode(),
            file=sys.stderr,
        )
        return 1
    if args.format == "readings":
        body = [reading_record(r) for r in outcome.readings]
        sys.stdout.write(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        triples = [pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in outcome.quads]
        text = pyoxigraph.serialize(triples, format=FORMATS[args.format], prefixes=PREFIXES)
        sys.stdout.write((text or b"").decode() + "\n")
    return 0


def reading_record(reading: Reading) -> dict[str, Any]:
    """A reading as the JSON the dry run prints: thing, property, value, unit, time."""
    record: dict[str, Any] = {
        "thing": reading.thing,
        "property": reading.property,
        "value": reading.value,
        "unit": reading.unit,
        "time": reading.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
    if reading.source_unit is not None:
        record["source"] = {"value": reading.source_value, "unit": reading.source_unit}
    return record


def rejection_report(rejected: Rejected) -> dict[str, Any]:
    """Why a payload was rejected, as printed on standard error."""
    return {
        "rejected": True,
        "stage": rejected.stage,
        "mapping": rejected.mapping_id,
        "reason": rejected.reason,
        "detail": rejected.detail,
    }


def _arrival(raw: str | None) -> datetime:
    if raw is None:
        return datetime.now(UTC)
    when = datetime.fromisoformat(raw)
    return when if when.tzinfo else when.replace(tzinfo=UTC)
