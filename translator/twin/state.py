"""The latest-state graph and its in-memory index: one ``tr:State`` node per (thing, property).

The index mirrors the state graph exactly (each entry keeps the quads it has in the store), so
an update is computed as a quad diff without querying the store: plan a batch (pick the newest
reading per key, ignore readings older than the current state), write the diff, then commit
the plan to the index. ``StateIndex.load`` rebuilds the index from the store at open and
repairs any node left half-updated by a crash, from the observation it points to.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from pyoxigraph import Literal, NamedNode, Quad, Store

from translator.rdf.identifiers import observation_iri, state_iri
from translator.rdf.literals import (
    datetime_literal,
    literal_datetime,
    literal_value,
    utc,
    value_literal,
)
from translator.rdf.namespaces import TRP, UNIT
from translator.rdf.observations import named_node
from translator.rdf.terms import (
    HISTORY,
    QUDT_NUMERIC_VALUE,
    QUDT_UNIT,
    RDF_TYPE,
    SOSA_HAS_RESULT,
    SOSA_HAS_SIMPLE_RESULT,
    SOSA_MADE_BY_SENSOR,
    SOSA_OBSERVED_PROPERTY,
    SOSA_RESULT_TIME,
    STATE,
    TR_LATEST_OBSERVATION,
    TR_OF_THING,
    TR_STATE,
)
from translator.twin.prepared import PreparedMessage
from translator.values import Reading, ReadingValue

logger = logging.getLogger(__name__)

Key = tuple[str, str]  # (thing IRI, property short name)


@dataclass(frozen=True, slots=True)
class StateEntry:
    """The latest reading of one property of one thing, as the state graph holds it."""

    thing: str
    property: str
    value: ReadingValue
    unit: str | None
    time: datetime
    observation: str | None  # IRI of the observation it came from
    iri: str  # the state node


@dataclass(frozen=True, slots=True)
class _Slot:
    """An entry and its quads in the store: ``fixed`` never change for a key, ``varying`` do."""

    entry: StateEntry
    node: NamedNode
    fixed: tuple[Quad, ...]
    varying: tuple[Quad, ...]

    @property
    def quads(self) -> frozenset[Quad]:
        return frozenset(self.fixed + self.varying)

    @classmethod
    def build(cls, entry: StateEntry) -> _Slot:
        node = NamedNode(entry.iri)
        return cls(entry, node, _fixed_quads(node, entry), _varying_quads(node, entry))

    @classmethod
    def stored(cls, entry: StateEntry, node: NamedNode, quads: Iterable[Quad]) -> _Slot:
        fixed: list[Quad] = []
        varying: list[Quad] = []
        for quad in quads:
            (fixed if quad.predicate in _FIXED else varying).append(quad)
        return cls(entry, node, tuple(fixed), tuple(varying))


@dataclass(slots=True)
class StatePlan:
    """What a batch changes in the state graph, computed before anything is written."""

    additions: list[Quad] = field(default_factory=list)
    removals: list[Quad] = field(default_factory=list)
    slots: dict[Key, _Slot] = field(default_factory=dict)
    stale: int = 0  # readings ignored because the state already holds a newer one


_FIXED: Final = (RDF_TYPE, TR_OF_THING, SOSA_OBSERVED_PROPERTY)


def _fixed_quads(node: NamedNode, entry: StateEntry) -> tuple[Quad, ...]:
    return (
        Quad(node, RDF_TYPE, TR_STATE, STATE),
        Quad(node, TR_OF_THING, named_node(entry.thing, "thing"), STATE),
        Quad(node, SOSA_OBSERVED_PROPERTY, named_node(TRP + entry.property, "property"), STATE),
    )


def _varying_quads(node: NamedNode, entry: StateEntry) -> tuple[Quad, ...]:
    quads = [
        Quad(node, SOSA_HAS_SIMPLE_RESULT, value_literal(entry.value), STATE),
        Quad(node, SOSA_RESULT_TIME, datetime_literal(entry.time), STATE),
    ]
    if entry.unit is not None:
        quads.append(Quad(node, QUDT_UNIT, named_node(UNIT + entry.unit, "unit"), STATE))
    if entry.observation is not None:
        quads.append(Quad(node, TR_LATEST_OBSERVATION, NamedNode(entry.observation), STATE))
    return tuple(quads)


def state_quads(entry: StateEntry) -> frozenset[Quad]:
    """The state-graph quads of one entry (7, or 6 without a unit)."""
    return _Slot.build(entry).quads


class StateIndex:
    """In-memory mirror of the state graph. Plans run under the store's writer lock."""

    def __init__(self) -> None:
        self._slots: dict[Key, _Slot] = {}
        self._observations: set[str] = set()  # what the entries point to
        self._lock = threading.Lock()  # guards both between the writer and readers

    def __len__(self) -> int:
        return len(self._slots)

    @classmethod
    def load(cls, store: Store) -> tuple[StateIndex, StatePlan]:
        """Rebuild the index from the state graph; the plan repairs broken nodes (apply it)."""
        index = cls()
        repair = StatePlan()
        nodes: dict[NamedNode, list[Quad]] = defaultdict(list)
        for quad in store.quads_for_pattern(None, None, None, STATE):
            if isinstance(quad.subject, NamedNode):
                nodes[quad.subject].append(quad)
        for node, quads in nodes.items():
            entry = _entry_from_state(node, quads)
            if entry is not None:
                index._put((entry.thing, entry.property), _Slot.stored(entry, node, quads))
                continue
            logger.warning("repairing state node %s (%d quads)", node.value, len(quads))
            entry = _newest_observed(store, node, quads)
            wanted = _Slot.build(entry) if entry is not None else None
            kept = wanted.quads if wanted is not None else frozenset()
            repair.removals += set(quads) - kept
            repair.additions += kept - set(quads)
            if wanted is not None:
                repair.slots[(wanted.entry.thing, wanted.entry.property)] = wanted
        return index, repair

    def plan(self, batch: Sequence[PreparedMessage]) -> StatePlan:
        """The state changes a batch makes: the newest reading per key, if not older than now."""
        plan = StatePlan()
        winners: dict[Key, tuple[Reading, datetime, str | None, int]] = {}
        for message in batch:
            for index, reading in enumerate(message.readings):
                key = (reading.thing, reading.property)
                moment = utc(reading.time)
                best = winners.get(key)
                if best is not None:
                    current: datetime | None = best[1]
                else:
                    slot = self._slots.get(key)
                    current = slot.entry.time if slot is not None else None
                if current is not None and moment < current:
                    plan.stale += 1
                    continue
                winners[key] = (reading, moment, message.envelope_key, index)
        for key, (reading, moment, envelope, index) in winners.items():
            old = self._slots.get(key)
            if old is None:
                slot = _Slot.build(_entry(reading, moment, envelope, index, None))
                plan.additions += slot.fixed + slot.varying
            else:  # same node, same fixed quads: only the varying ones can differ
                entry = _entry(reading, moment, envelope, index, old.entry.iri)
                slot = _Slot(entry, old.node, old.fixed, _varying_quads(old.node, entry))
                plan.additions += (q for q in slot.varying if q not in old.varying)
                plan.removals += (q for q in old.varying if q not in slot.varying)
            plan.slots[key] = slot
        return plan

    def commit(self, plan: StatePlan) -> None:
        """Take a plan's entries once its quads are in the store."""
        with self._lock:
            for key, slot in plan.slots.items():
                self._put(key, slot)

    def _put(self, key: Key, slot: _Slot) -> None:
        old = self._slots.get(key)
        if old is not None and old.entry.observation is not None:
            self._observations.discard(old.entry.observation)
        if slot.entry.observation is not None:
            self._observations.add(slot.entry.observation)
        self._slots[key] = slot

    def entries(self, thing: str | None = None) -> list[StateEntry]:
        """The current entries (of one thing, or all), sorted by thing and property."""
        with self._lock:
            slots = list(self._slots.values())
        found = (s.entry for s in slots if thing is None or s.entry.thing == thing)
        return sorted(found, key=lambda e: (e.thing, e.property))

    def is_latest(self, observation: str) -> bool:
        """Whether a state entry points to this observation (retention keeps those)."""
        with self._lock:
            return observation in self._observations


def _entry(
    reading: Reading, moment: datetime, key: str | None, index: int, iri: str | None
) -> StateEntry:
    """The entry of ``reading``, ``readings[index]`` of the envelope with key ``key``."""
    numeric = not isinstance(reading.value, bool | str)
    return StateEntry(
        thing=reading.thing,
        property=reading.property,
        value=reading.value,
        unit=reading.unit if numeric else None,
        time=moment,
        observation=observation_iri(key, index) if key is not None else None,
        iri=iri or state_iri(reading.thing, reading.property),
    )


def _objects(quads: Iterable[Quad], predicate: NamedNode) -> list[object]:
    return [q.object for q in quads if q.predicate == predicate]


def _entry_from_state(node: NamedNode, quads: list[Quad]) -> StateEntry | None:
    """The entry a consistent state node holds, or ``None`` if the node is broken."""
    things = _objects(quads, TR_OF_THING)
    props = _objects(quads, SOSA_OBSERVED_PROPERTY)
    values = _objects(quads, SOSA_HAS_SIMPLE_RESULT)
    times = _objects(quads, SOSA_RESULT_TIME)
    units = _objects(quads, QUDT_UNIT)
    observations = _objects(quads, TR_LATEST_OBSERVATION)
    if any(len(found) != 1 for found in (things, props, values, times)):
        return None
    if len(units) > 1 or len(observations) > 1:
        return None
    try:
        return StateEntry(
            thing=_iri(things[0]),
            property=_local(props[0], TRP),
            value=literal_value(_literal(values[0])),
            unit=_local(units[0], UNIT) if units else None,
            time=literal_datetime(_literal(times[0])),
            observation=_iri(observations[0]) if observations else None,
            iri=node.value,
        )
    except ValueError:
        return None


def _newest_observed(store: Store, node: NamedNode, quads: list[Quad]) -> StateEntry | None:
    """Rebuild a broken state node from the newest observation it points to, if any."""
    found = []
    for candidate in _objects(quads, TR_LATEST_OBSERVATION):
        if isinstance(candidate, NamedNode):
            entry = _entry_from_observation(store, candidate, node.value)
            if entry is not None:
                found.append(entry)
    return max(found, key=lambda e: e.time, default=None)


def _entry_from_observation(store: Store, obs: NamedNode, iri: str) -> StateEntry | None:
    fields = {q.predicate: q.object for q in store.quads_for_pattern(obs, None, None, HISTORY)}
    try:
        unit = None
        result = fields.get(SOSA_HAS_SIMPLE_RESULT)
        if result is None:
            node = fields[SOSA_HAS_RESULT]
            values = {
                q.predicate: q.object
                for q in store.quads_for_pattern(_named(node), None, None, HISTORY)
            }
            result = values[QUDT_NUMERIC_VALUE]
            unit = _local(values[QUDT_UNIT], UNIT) if QUDT_UNIT in values else None
        return StateEntry(
            thing=_iri(fields[SOSA_MADE_BY_SENSOR]),
            property=_local(fields[SOSA_OBSERVED_PROPERTY], TRP),
            value=literal_value(_literal(result)),
            unit=unit,
            time=literal_datetime(_literal(fields[SOSA_RESULT_TIME])),
            observation=obs.value,
            iri=iri,
        )
    except (KeyError, ValueError):
        return None


def _named(term: object) -> NamedNode:
    if not isinstance(term, NamedNode):
        raise ValueError(f"not an IRI: {term}")
    return term


def _iri(term: object) -> str:
    return _named(term).value


def _literal(term: object) -> Literal:
    if not isinstance(term, Literal):
        raise ValueError(f"not a literal: {term}")
    return term


def _local(term: object, namespace: str) -> str:
    iri = _iri(term)
    if not iri.startswith(namespace):
        raise ValueError(f"{iri} is not in {namespace}")
    return iri[len(namespace) :]
