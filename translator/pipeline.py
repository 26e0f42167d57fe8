"""The edge pipeline: ``translate(Envelope) -> Translated | Rejected``.

decode → match a mapping → JSON Schema → readings → RDF → SHACL gate. Every step that can
fail on bad input raises a ``PayloadError``; this module catches it in exactly one place
and turns it into a ``Rejected`` (a future dead letter), so a bad payload never escapes.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from translator.errors import PayloadError, ShapeViolation
from translator.mapping import MappingSet, load_mappings
from translator.ontology.files import mappings_dir, ontology_dir
from translator.ontology.vocabulary import Vocabulary, load_vocabulary
from translator.rdf.observations import ObservationBuilder
from translator.settings import Settings
from translator.validation import ShapeGate, Violation
from translator.validation.terms import render
from translator.values import Envelope, Rejected, Translated

logger = logging.getLogger(__name__)

MAX_REPORTED_VIOLATIONS = 5


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Compiled once (mappings, shapes, vocabulary), then run per envelope."""

    vocabulary: Vocabulary
    mappings: MappingSet
    gate: ShapeGate
    builder: ObservationBuilder

    def translate(self, envelope: Envelope) -> Translated | Rejected:
        """Translate one envelope; never raises for bad input."""
        try:
            resolution = self.mappings.resolve(envelope)
            digest = hashlib.sha256(envelope.payload).hexdigest()
            graph = self.builder.build_graph(
                envelope,
                resolution.mapping_id,
                resolution.mapping_version,
                resolution.readings,
                sha256=digest,
            )
            violations = self.gate.check_graph(graph)  # the gate reads the builder's index
            if violations:
                raise _shape_violation(resolution.mapping_id, violations)
        except PayloadError as err:
            logger.debug(
                "rejected at %s: %s",
                err.stage,
                err.reason,
                extra={"channel": envelope.channel, "mapping": err.mapping_id},
            )
            return Rejected(
                envelope=envelope,
                stage=err.stage,  # type: ignore[arg-type]
                reason=err.reason,
                mapping_id=err.mapping_id,
                detail=err.detail,
            )
        return Translated(
            envelope=envelope,
            mapping_id=resolution.mapping_id,
            readings=tuple(resolution.readings),
            things=tuple(resolution.things),
            graph=graph,  # the very index the gate judged: the store writes it as it is
        )


def _shape_violation(mapping_id: str, violations: tuple[Violation, ...]) -> ShapeViolation:
    shown = violations[:MAX_REPORTED_VIOLATIONS]
    more = len(violations) - len(shown)
    reason = "; ".join(str(v) for v in shown) + (f" (+{more} more)" if more > 0 else "")
    return ShapeViolation(
        f"SHACL: {reason}",
        mapping_id=mapping_id,
        detail={"violations": [_violation_record(v) for v in shown], "count": len(violations)},
    )


def _violation_record(violation: Violation) -> dict[str, str | None]:
    value = violation.value
    return {
        "focus": render(violation.focus, violation.prefixes),
        "path": violation.path,
        "value": None if value is None else render(value, violation.prefixes),
        "component": violation.component,
        "shape": violation.shape,
        "message": violation.message,
    }


def build_pipeline(settings: Settings, mapping_paths: list[Path] | None = None) -> Pipeline:
    """Load the vocabulary, compile the mappings and the shapes: everything the hot path needs."""
    vocabulary = load_vocabulary()
    paths = mapping_paths or list(settings.mappings) or [mappings_dir()]
    mappings = load_mappings(
        paths,
        vocabulary,
        max_payload_bytes=settings.limits.max_payload_bytes,
        max_json_depth=settings.limits.max_json_depth,
    )
    gate = ShapeGate.from_path(ontology_dir() / "shapes.ttl")
    return Pipeline(vocabulary, mappings, gate, ObservationBuilder())
