"""The things graph and the registry of what it holds: each thing is written when first seen.

The registry remembers, per thing IRI, the quads the store holds and the last ``ThingInfo``
seen, so a message about a known, unchanged thing costs one dict lookup. When a mapping's
description of a thing changes (new label, new placement), the thing's quads are replaced.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from pyoxigraph import NamedNode, Quad, Store

from translator.errors import ExtractionError
from translator.rdf.terms import THINGS
from translator.rdf.things import thing_quads
from translator.values import ThingInfo, Translated

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ThingPlan:
    """What a batch changes in the things graph."""

    additions: list[Quad] = field(default_factory=list)
    removals: list[Quad] = field(default_factory=list)
    stored: dict[str, frozenset[Quad]] = field(default_factory=dict)
    seen: dict[str, ThingInfo] = field(default_factory=dict)


class ThingRegistry:
    """Which things the store describes, and how. Plans run under the store's writer lock."""

    def __init__(self) -> None:
        self._stored: dict[str, frozenset[Quad]] = {}
        self._seen: dict[str, ThingInfo] = {}

    def __len__(self) -> int:
        return len(self._stored)

    def __contains__(self, iri: object) -> bool:
        return iri in self._stored

    @classmethod
    def load(cls, store: Store) -> ThingRegistry:
        """Read back what the things graph holds."""
        registry = cls()
        found: dict[str, set[Quad]] = defaultdict(set)
        for quad in store.quads_for_pattern(None, None, None, THINGS):
            if isinstance(quad.subject, NamedNode):
                found[quad.subject.value].add(quad)
        registry._stored = {iri: frozenset(quads) for iri, quads in found.items()}
        return registry

    def plan(self, batch: Sequence[Translated]) -> ThingPlan:
        """The things-graph changes for the things of a batch that are new or changed."""
        plan = ThingPlan()
        for message in batch:
            for info in message.things:
                if plan.seen.get(info.iri, self._seen.get(info.iri)) == info:
                    continue
                plan.seen[info.iri] = info
                try:
                    quads = frozenset(thing_quads(info))
                except ExtractionError as err:
                    logger.warning("thing %r not described: %s", info.iri, err.reason)
                    continue
                plan.stored[info.iri] = quads
        for iri, quads in plan.stored.items():  # net change per thing, however often it changed
            old = self._stored.get(iri, frozenset())
            plan.additions += quads - old
            plan.removals += old - quads
        return plan

    def commit(self, plan: ThingPlan) -> None:
        """Take a plan once its quads are in the store."""
        self._stored.update(plan.stored)
        self._seen.update(plan.seen)
