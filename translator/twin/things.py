"""The things graph: the registry of what it holds, and the directory that reads it back.

``ThingRegistry`` (the store's writer side) remembers, per thing IRI, the quads the store
holds and the ``ThingInfo`` they describe, so a message about a known, unchanged thing costs
one dict lookup. A thing is described once and re-described only when its description
changes: its type, label, scene placement or template variables (``same_description``).
Another mapping of the same family describing it the same way changes nothing, so a Tasmota
plug or a FHIR patient whose mappings alternate is not rewritten message after message; its
``tr:registeredBy`` stays the mapping that first described it that way. Besides the
description (``rdf.things.thing_quads``) each thing records that mapping and its template
variables (``registration_quads``), which the command path needs. A batch writes at most one
change per thing, the net one.

``ThingDirectory`` (the reader side, for the things API, Thing Descriptions and commands) is
every thing as a ``ThingInfo``: read from the things graph once at start, then kept current
by ``learn``, an intake listener, by the same rule. ``describing_plans`` finds the mappings
that build a thing's IRI (a Tasmota plug is described by three).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from pyoxigraph import Literal, NamedNode, Quad, Store, Triple

from translator.errors import ExtractionError
from translator.mapping.plan import MappingPlan
from translator.mapping.templates import TemplateError
from translator.rdf.namespaces import PREFIXES, THINGS_GRAPH
from translator.rdf.terms import (
    RDF_TYPE,
    RDFS_LABEL,
    SOSA_PLATFORM,
    SOSA_SENSOR,
    THINGS,
    TR_AREA,
    TR_MODEL,
    TR_POSITION_X,
    TR_POSITION_Y,
    TR_POSITION_Z,
    TR_REGISTERED_BY,
    TR_SCENE_NODE,
    TR_VARIABLE,
)
from translator.rdf.things import parse_variable, registration_quads, thing_quads
from translator.twin.prepared import PreparedMessage
from translator.twin.sparql import GraphResult
from translator.values import Placement, ThingInfo, Translated

if TYPE_CHECKING:
    from translator.twin.store import TwinStore

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ThingPlan:
    """What a batch changes in the things graph."""

    additions: list[Quad] = field(default_factory=list)
    removals: list[Quad] = field(default_factory=list)
    stored: dict[str, frozenset[Quad]] = field(default_factory=dict)  # things whose quads change
    seen: dict[str, ThingInfo] = field(default_factory=dict)


def same_description(old: ThingInfo, new: ThingInfo) -> bool:
    """Whether ``new`` describes the thing as ``old`` does (which mapping says it aside)."""
    return old is new or (
        old.type == new.type
        and old.label == new.label
        and old.placement == new.placement
        and old.variables == new.variables
    )


DESCRIPTION_CACHE_SIZE: Final = 1024


class ThingRegistry:
    """Which things the store describes, and how. Plans run under the store's writer lock."""

    def __init__(self) -> None:
        self._stored: dict[str, frozenset[Quad]] = {}
        self._seen: dict[str, ThingInfo] = {}
        self._described: dict[ThingInfo, frozenset[Quad] | None] = {}  # bounded cache

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

    def plan(self, batch: Sequence[PreparedMessage]) -> ThingPlan:
        """The things-graph changes for the things of a batch that are new or changed."""
        plan = ThingPlan()
        described: dict[str, frozenset[Quad]] = {}
        for message in batch:
            for info in message.things:
                current = plan.seen.get(info.iri) or self._seen.get(info.iri)
                if current is not None and same_description(current, info):
                    continue
                plan.seen[info.iri] = info
                quads = self._describe(info)
                if quads is not None:
                    described[info.iri] = quads
        for iri, quads in described.items():  # net change per thing, however often it changed
            old = self._stored.get(iri, frozenset())
            if quads != old:
                plan.stored[iri] = quads
                plan.additions += quads - old
                plan.removals += old - quads
        return plan

    def commit(self, plan: ThingPlan) -> None:
        """Take a plan once its quads are in the store."""
        self._stored.update(plan.stored)
        self._seen.update(plan.seen)

    def _describe(self, info: ThingInfo) -> frozenset[Quad] | None:
        """The quads of ``info`` (cached: descriptions that alternate are built once)."""
        if info in self._described:
            return self._described[info]
        try:
            quads: frozenset[Quad] | None = frozenset(thing_quads(info) + registration_quads(info))
        except ExtractionError as err:
            logger.warning("thing %r not described: %s", info.iri, err.reason)
            quads = None
        if len(self._described) >= DESCRIPTION_CACHE_SIZE:
            self._described.clear()
        self._described[info] = quads
        return quads


THINGS_QUERY: Final = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{THINGS_GRAPH}> {{ ?s ?p ?o }} }}"
_PLATFORM_TYPES: Final = frozenset({SOSA_PLATFORM, SOSA_SENSOR})


class ThingDirectory:
    """Every known thing as a ``ThingInfo``; read on the event loop's thread only.

    ``learn`` is an intake listener (it runs right after translation, before the store has
    the message), so a thing is known to the API and the command path as soon as it speaks.
    """

    def __init__(self, things: Iterable[ThingInfo] = ()) -> None:
        self._things: dict[str, ThingInfo] = {info.iri: info for info in things}

    @classmethod
    def load(cls, store: TwinStore) -> ThingDirectory:
        """Read the things graph (one query; blocking: call it off the loop at start)."""
        result = store.query(THINGS_QUERY)
        assert isinstance(result, GraphResult)  # a CONSTRUCT query gives triples
        return cls(infos_from_triples(result.triples))

    def __len__(self) -> int:
        return len(self._things)

    def __contains__(self, iri: object) -> bool:
        return iri in self._things

    def __iter__(self) -> Iterator[ThingInfo]:
        """The things, sorted by IRI."""
        return iter([self._things[iri] for iri in sorted(self._things)])

    def get(self, iri: str) -> ThingInfo | None:
        """What the directory knows about ``iri``."""
        return self._things.get(iri)

    def learn(self, translated: Translated) -> None:
        """Take the things of a translated message (an intake listener: O(things)).

        A thing's entry changes when its description does (``same_description``), as in
        the things graph, not when another mapping of its family describes it the same way.
        """
        for info in translated.things:
            current = self._things.get(info.iri)
            if current is None or not same_description(current, info):
                self._things[info.iri] = info


def infos_from_triples(triples: Iterable[Triple | Quad]) -> list[ThingInfo]:
    """``ThingInfo``s back from things-graph triples (``thing_quads`` + ``registration_quads``).

    Things without ``tr:registeredBy`` (written before it existed) get an empty mapping id.
    """
    by_thing: dict[str, list[Triple | Quad]] = defaultdict(list)
    for triple in triples:
        if isinstance(triple.subject, NamedNode):
            by_thing[triple.subject.value].append(triple)
    return [_info(iri, found) for iri, found in sorted(by_thing.items())]


def _info(iri: str, triples: list[Triple | Quad]) -> ThingInfo:
    values: dict[NamedNode, list[str]] = defaultdict(list)
    types: list[str] = []
    for triple in triples:
        obj = triple.object
        if triple.predicate == RDF_TYPE and isinstance(obj, NamedNode):
            if obj not in _PLATFORM_TYPES:
                types.append(compact_iri(obj.value))
        elif isinstance(obj, Literal):
            values[triple.predicate].append(obj.value)
    variables = (parse_variable(text) for text in values[TR_VARIABLE])
    return ThingInfo(
        iri=iri,
        mapping_id=min(values[TR_REGISTERED_BY], default=""),
        type=min(types, default=None),
        label=min(values[RDFS_LABEL], default=None),
        placement=_placement(values),
        variables=tuple(sorted(pair for pair in variables if pair is not None)),
    )


def _placement(values: Mapping[NamedNode, list[str]]) -> Placement | None:
    area = min(values[TR_AREA], default=None)
    model = min(values[TR_MODEL], default=None)
    node = min(values[TR_SCENE_NODE], default=None)
    axes = [values[axis] for axis in (TR_POSITION_X, TR_POSITION_Y, TR_POSITION_Z)]
    position = None
    if all(axes):
        try:
            x, y, z = (float(axis[0]) for axis in axes)
            position = (x, y, z)
        except ValueError:
            position = None
    if area is None and model is None and node is None and position is None:
        return None
    return Placement(area=area, position=position, model=model, node=node)


def compact_iri(iri: str) -> str:
    """``https://saref.etsi.org/core/Switch`` → ``saref:Switch`` (the longest known namespace)."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]) :]}" if best else iri


def describing_plans(plans: Mapping[str, MappingPlan], info: ThingInfo) -> list[MappingPlan]:
    """The mappings whose thing IRI template, filled with ``info.variables``, gives its IRI.

    The mapping that registered the thing comes first, then the others in rank order (the
    order of ``MappingSet.mappings``). Files of one family share the IRI template and its
    variables (docs/mappings.md), so a Tasmota plug first seen on ``tele/…/SENSOR`` is also
    described by the relay mappings that carry its ``setOnOff`` command. A mapping on the
    registering mapping's own channel pattern is a rival, not a family member: it describes
    another kind of device (a Zigbee2MQTT climate sensor is not a plug, though both are
    ``urn:dev:zigbee2mqtt:{device}`` on ``zigbee2mqtt/{device}``), so it is left out.
    """
    variables = dict(info.variables)
    registering = plans.get(info.mapping_id)
    found = [registering] if registering is not None else []
    rival = None if registering is None else (registering.protocol, registering.channel.text)
    for plan in plans.values():
        if plan.id == info.mapping_id or (plan.protocol, plan.channel.text) == rival:
            continue
        try:
            if plan.thing.iri.render(variables) == info.iri:
                found.append(plan)
        except TemplateError:
            continue
    return found
