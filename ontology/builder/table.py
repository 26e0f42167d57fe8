"""Our own tables, read from ``ontology/properties.yaml`` and ``ontology/senml.yaml``.

These two files are the source of truth for the property vocabulary and for the SenML unit
codes; everything else in ``ontology/`` derived from them is generated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

NAME_PATTERN = re.compile(r"^[a-z][A-Za-z0-9]*$")
KINDS = ("number", "boolean", "text")


class TableError(ValueError):
    """A row of properties.yaml or senml.yaml is malformed."""


@dataclass(frozen=True, slots=True)
class PropertyRow:
    """One observable property as the table declares it."""

    name: str
    label: str
    kind: str
    quantity_kind: str | None
    unit: str | None
    minimum: str | None  # decimal lexical form, kept as written
    maximum: str | None
    saref: str | None  # SAREF property class local name
    see_also: tuple[str, ...]  # CURIEs
    aliases: tuple[str, ...]
    units: tuple[str, ...] = ()  # explicit applicable units, when QUDT's kinds do not fit


@dataclass(frozen=True, slots=True)
class SenmlCode:
    """One SenML unit code and the QUDT unit it names."""

    code: str
    unit: str
    rfc: str


def read_properties(path: Path) -> tuple[PropertyRow, ...]:
    """Read and check ``properties.yaml``; rows keep the file's order."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = tuple(_property_row(raw) for raw in document["properties"])
    names = [row.name for row in rows]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise TableError(f"{path}: duplicate property names {duplicates}")
    return rows


def read_senml(path: Path) -> tuple[SenmlCode, ...]:
    """Read ``senml.yaml``: one entry per code, sorted by code."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    codes = [
        SenmlCode(code=str(code), unit=str(unit), rfc=rfc)
        for rfc, table in document.items()
        for code, unit in table.items()
    ]
    return tuple(sorted(codes, key=lambda entry: entry.code))


def _property_row(raw: dict[str, Any]) -> PropertyRow:
    name = str(raw["name"])
    if not NAME_PATTERN.match(name):
        raise TableError(f"property name {name!r} must match {NAME_PATTERN.pattern}")
    kind = str(raw["kind"])
    if kind not in KINDS:
        raise TableError(f"{name}: kind must be one of {KINDS}, not {kind!r}")
    numeric = kind == "number"
    if numeric != ("unit" in raw and "quantity_kind" in raw):
        raise TableError(f"{name}: numbers need unit and quantity_kind, others have neither")
    return PropertyRow(
        name=name,
        label=str(raw["label"]),
        kind=kind,
        quantity_kind=_optional(raw, "quantity_kind"),
        unit=_optional(raw, "unit"),
        minimum=_optional(raw, "min"),
        maximum=_optional(raw, "max"),
        saref=_optional(raw, "saref"),
        see_also=tuple(str(item) for item in raw.get("see_also", ())),
        aliases=tuple(str(item) for item in raw.get("aliases", ())),
        units=tuple(str(item) for item in raw.get("units", ())),
    )


def _optional(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return None if value is None else str(value)
