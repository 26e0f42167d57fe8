"""The compiled form of a mapping: immutable plans the hot path only reads.

``translator.mapping.compile`` builds these from a checked mapping file; ``extract`` and
``resolve`` run them. Nothing in a plan is parsed again per message: paths are
``PathQuery``s, templates are split, transforms are callables, unit conversions are
``(a, b)`` pairs, schemas are compiled validators.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from translator.mapping.channels import ChannelPattern
from translator.mapping.decode import PayloadFormat
from translator.mapping.jsonpath import PathQuery
from translator.mapping.payload_schema import PayloadSchema
from translator.mapping.templates import Template
from translator.mapping.times import TimeParser
from translator.mapping.transforms import Transform
from translator.ontology.model import PropertyDef
from translator.values import Placement, Protocol

if TYPE_CHECKING:
    from translator.mapping.examples import Example

__all__ = [
    "CapturePlan",
    "CommandPlan",
    "Condition",
    "Conversion",
    "MappingPlan",
    "PropertyPlan",
    "ReadingPlan",
    "ThingPlan",
    "TimePlan",
    "UnitPlan",
    "WherePlan",
]


@dataclass(frozen=True, slots=True)
class Condition:
    """One ``when`` test; ``test(doc) -> bool``."""

    text: str
    test: Callable[[Any], bool]


@dataclass(frozen=True, slots=True)
class CapturePlan:
    """A template variable read from the payload."""

    name: str
    path: PathQuery
    regex: re.Pattern[str] | None = None
    group: int | str = 0  # the regex group kept: "value", else 1, else the whole match


@dataclass(frozen=True, slots=True)
class ThingPlan:
    """How to describe the thing: IRI and label templates, type, placement."""

    iri: Template
    type: str | None
    label: Template | None
    placement: Placement | None
    per_item: bool  # the IRI needs foreach variables: one thing per item, not per envelope


@dataclass(frozen=True, slots=True)
class TimePlan:
    """Where a reading's time comes from (``path is None`` means arrival time)."""

    path: PathQuery | None = None
    parse: TimeParser | None = None
    optional: bool = False
    zone: tzinfo | None = None


@dataclass(frozen=True, slots=True)
class Conversion:
    """``canonical = a * source + b``; ``identity`` when source and canonical units agree."""

    source_unit: str
    a: float
    b: float
    identity: bool = False  # no conversion happens (a == 1, b == 0)


@dataclass(frozen=True, slots=True)
class PropertyPlan:
    """The property of a reading: fixed (``fixed``) or chosen per message."""

    fixed: PropertyDef | None
    path: PathQuery | None = None
    template: Template | None = None
    names: Mapping[str, str] = field(default_factory=dict)  # vendor name -> our short name


@dataclass(frozen=True, slots=True)
class UnitPlan:
    """The unit of the source value: fixed or read from the payload."""

    fixed: str | None
    path: PathQuery | None = None
    template: Template | None = None
    codes: str | None = None  # "senml" | "ucum" | None (QUDT names)
    names: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None


@dataclass(frozen=True, slots=True)
class WherePlan:
    """A foreach filter: the item's text at ``path`` must match ``regex``."""

    path: PathQuery
    regex: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class ReadingPlan:
    """One ``readings`` entry, compiled."""

    index: int
    line: int | None
    property: PropertyPlan
    value: PathQuery
    transforms: tuple[Transform, ...]
    unit: UnitPlan | None
    conversion: Conversion | None  # pre-reduced when property and unit are both fixed
    time: TimePlan | None  # the effective time source; None means the arrival time
    optional: bool
    foreach: PathQuery | None = None
    where: WherePlan | None = None

    def title(self) -> str:
        """``readings[2] (temperature)`` — how errors name this reading."""
        fixed = self.property.fixed
        return f"readings[{self.index}]" + (f" ({fixed.name})" if fixed else "")


@dataclass(frozen=True, slots=True)
class CommandPlan:
    """A command, compiled: value schema, channel template, payload template."""

    name: str
    protocol: Protocol
    channel: Template
    rest_variables: frozenset[str]  # variables allowed to hold '/' (channel {name+})
    method: str | None
    format: str  # "json" | "text"
    template: Any  # JSON template, or a Template for text
    value_schema: PayloadSchema | None
    value_map: Callable[[Any], Any] | None
    property: str | None
    line: int | None


@dataclass(frozen=True, slots=True)
class MappingPlan:
    """A whole mapping, compiled once and then only read."""

    id: str
    version: str
    file: str
    line: int | None
    description: str | None
    priority: int
    protocol: Protocol
    channel: ChannelPattern
    when: tuple[Condition, ...]
    format: PayloadFormat
    schema: PayloadSchema | None
    captures: tuple[CapturePlan, ...]
    thing: ThingPlan
    time: TimePlan | None
    readings: tuple[ReadingPlan, ...]
    commands: Mapping[str, CommandPlan]
    examples: tuple[Example, ...] = ()
    rank_key: tuple[int, int, int, int, str] = (0, 0, 0, 0, "")

    @property
    def variables(self) -> frozenset[str]:
        """Variables every message provides: channel captures plus ``captures``."""
        return frozenset(self.channel.variables) | {c.name for c in self.captures}
