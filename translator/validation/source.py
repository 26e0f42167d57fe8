"""What a constraint compiler may ask of the shapes graph while compiling one shape.

The component modules (``value_checks``, ``pair_checks``, ``shape_checks``) see the shapes
graph only through ``ShapeSource``, which ``compiler.ShapesCompiler`` implements; this keeps
them free of the compiler's bookkeeping and breaks the import cycle between them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeAlias

from translator.validation.compiled import CompiledShape, Constraint
from translator.validation.paths import Path
from translator.validation.terms import RdfTerm, Term


class ShapeSource(Protocol):
    """Read access to the shapes graph, with terms already converted for the hot path."""

    def values(self, node: RdfTerm, local_name: str) -> list[RdfTerm]:
        """Objects of ``node sh:<local_name> ?o``."""
        ...

    def items(self, list_node: RdfTerm) -> list[RdfTerm]:
        """Members of the RDF list at ``list_node``."""
        ...

    def term(self, node: RdfTerm) -> Term:
        """The pyoxigraph term for a shapes-graph term."""
        ...

    def is_true(self, node: RdfTerm | None) -> bool:
        """Whether ``node`` is the literal ``true`` (lexically, as xsd:boolean)."""
        ...

    def shape(self, node: RdfTerm) -> CompiledShape:
        """The compiled shape at ``node`` (possibly still being compiled, on cycles)."""
        ...

    def path(self, node: RdfTerm) -> Path:
        """The compiled property path at ``node``."""
        ...

    def render(self, term: Term | None) -> str:
        """Readable text for a term, with the shapes graph's prefixes."""
        ...

    def render_list(self, terms: Sequence[Term]) -> str:
        """Readable text for a short list of terms: ``(a, b, c)``."""
        ...

    def parent_properties(self, node: RdfTerm) -> list[RdfTerm]:
        """Shapes whose ``sh:property`` includes ``node``."""
        ...

    def after_compile(self, step: Callable[[], None]) -> None:
        """Run ``step`` once every shape is compiled (for look-ups across shapes)."""
        ...


ComponentCompiler: TypeAlias = Callable[[ShapeSource, CompiledShape, RdfTerm], list[Constraint]]
"""Compiles one value of a constraint parameter of a shape into constraints."""
