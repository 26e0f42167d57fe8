"""Stream filters: which messages a subscriber wants (things, properties, thing types, areas).

Each criterion is a set of accepted values; a message passes when it passes every criterion
given. An absent or empty criterion accepts everything. Thing types compare as full IRIs, so
``saref:Switch`` and ``https://saref.etsi.org/core/Switch`` are the same filter. A message
whose thing has no known type (or area) does not pass a ``types`` (or ``areas``) criterion.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from translator.rdf.things import expand_curie
from translator.stream.message import StreamEvent

MAX_VALUES: Final = 1000  # per criterion: a filter is untrusted input
MAX_VALUE_LENGTH: Final = 2048


@dataclass(frozen=True, slots=True)
class StreamFilter:
    """A subscriber's filter; ``None`` means "any"."""

    things: frozenset[str] | None = None
    properties: frozenset[str] | None = None
    types: frozenset[str] | None = None  # full IRIs
    areas: frozenset[str] | None = None

    @classmethod
    def build(
        cls,
        *,
        things: Iterable[str] | None = None,
        properties: Iterable[str] | None = None,
        types: Iterable[str] | None = None,
        areas: Iterable[str] | None = None,
    ) -> StreamFilter:
        """A filter from lists of values (CURIE types are expanded).

        Raises:
            ValueError: a criterion has too many values, or a value is empty or too long.
        """
        expanded = None if types is None else [expand_curie(t) for t in types]
        return cls(
            things=_criterion("things", things),
            properties=_criterion("properties", properties),
            types=_criterion("types", expanded),
            areas=_criterion("areas", areas),
        )

    @property
    def accepts_all(self) -> bool:
        """Whether every message passes."""
        return self.things is self.properties is self.types is self.areas is None

    def matches(self, event: StreamEvent) -> bool:
        """Whether ``event`` passes every criterion."""
        return (
            (self.things is None or event.thing in self.things)
            and (self.properties is None or event.property in self.properties)
            and (self.types is None or event.type_iri in self.types)
            and (self.areas is None or event.area in self.areas)
        )


ANY: Final = StreamFilter()


def _criterion(name: str, values: Iterable[str] | None) -> frozenset[str] | None:
    if values is None:
        return None
    found = frozenset(values)
    if len(found) > MAX_VALUES:
        raise ValueError(f"{name}: at most {MAX_VALUES} values")
    for value in found:
        if not value or len(value) > MAX_VALUE_LENGTH:
            raise ValueError(f"{name}: values must be 1 to {MAX_VALUE_LENGTH} characters")
    return found or None
