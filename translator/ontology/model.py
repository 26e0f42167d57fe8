"""Typed facts read from the shipped ontology: units and observable properties.

These are the only ontology facts the hot path needs; they are read once at start
(``translator.ontology.vocabulary.load_vocabulary``) and handed down as a ``Vocabulary``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ValueKind(StrEnum):
    """What kind of value a property takes."""

    NUMBER = "number"
    BOOLEAN = "boolean"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Unit:
    """A QUDT unit. ``si = (value + offset) * multiplier`` (QUDT's convention)."""

    name: str  # QUDT local name, e.g. "DEG_C"
    iri: str
    symbol: str | None
    multiplier: float
    offset: float
    quantity_kinds: frozenset[str]  # QUDT quantity kind local names
    ucum: frozenset[str] = field(default_factory=frozenset)
    senml: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class PropertyDef:
    """An observable property of the project's vocabulary (``trp:<name>``)."""

    name: str  # stable short name, e.g. "temperature"
    iri: str
    kind: ValueKind
    quantity_kind: str | None  # QUDT quantity kind local name; None for boolean/text
    canonical_unit: str | None  # QUDT unit local name; None for boolean/text
    minimum: float | None = None  # physical range, in the canonical unit
    maximum: float | None = None
    label: str | None = None
