"""What the mapping compiler reads from the vocabulary, as a structural ``Protocol``.

``translator.ontology.vocabulary.Vocabulary`` satisfies it; naming only the members the
compiler uses keeps the mapping layer independent of how the ontology is loaded.
Everything here is consulted at load time, except the unit-code and conversion lookups of
readings whose unit or property comes from the payload (those are cached per plan).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol

from translator.ontology.model import PropertyDef, Unit

__all__ = ["CodeSystem", "Vocabulary"]

CodeSystem = Literal["senml", "ucum"]


class Vocabulary(Protocol):
    """Units and observable properties, with suggestions and conversions."""

    @property
    def units(self) -> Mapping[str, Unit]:
        """QUDT unit local name -> unit."""
        ...

    @property
    def properties(self) -> Mapping[str, PropertyDef]:
        """Property short name -> property."""
        ...

    def unit_for_code(self, code: str, system: CodeSystem) -> Unit | None:
        """The unit a SenML or UCUM code names, or ``None``."""
        ...

    def suggest_unit(self, name: str) -> str | None:
        """The unit local name ``name`` most likely means."""
        ...

    def suggest_property(self, name: str) -> str | None:
        """The property short name ``name`` most likely means."""
        ...

    def compatible(self, unit: str, prop: str) -> bool:
        """Whether a value of ``prop`` may be given in ``unit``."""
        ...

    def linear(self, from_unit: str, to_unit: str) -> tuple[float, float]:
        """``(a, b)`` with ``to = a * from + b``; ``ValueError`` when not convertible."""
        ...
