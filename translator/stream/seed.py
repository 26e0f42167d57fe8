"""What the hub starts from: the store's latest state, things and provenance, read once at start.

``TwinStore.latest()`` gives the state entries; two constant SPARQL queries add what a
message carries beyond them: each thing's type and area (things graph), and each latest
observation's source (envelope, protocol, channel, mapping) and converted-from value. Run it
off the event loop (``asyncio.to_thread``): it reads the whole state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pyoxigraph import Literal, NamedNode, QuerySolution

from translator.rdf.namespaces import STATE_GRAPH, THINGS_GRAPH, UNIT
from translator.stream.hub import SeedEntry
from translator.stream.message import Observation, Source, ThingMeta, compact_iri
from translator.twin.sparql import SelectResult
from translator.twin.store import TwinStore

_THINGS_QUERY: Final = f"""
SELECT ?thing ?type ?area WHERE {{
  GRAPH <{THINGS_GRAPH}> {{
    ?thing a sosa:Platform .
    OPTIONAL {{ ?thing a ?type FILTER (?type NOT IN (sosa:Platform, sosa:Sensor)) }}
    OPTIONAL {{ ?thing tr:area ?area }}
  }}
}}"""

_SOURCES_QUERY: Final = f"""
SELECT ?observation ?envelope ?protocol ?channel ?mapping ?sourceValue ?sourceUnit WHERE {{
  GRAPH <{STATE_GRAPH}> {{ ?state tr:latestObservation ?observation }}
  ?observation prov:wasDerivedFrom ?envelope .
  ?envelope tr:protocol ?protocol ; tr:channel ?channel ; tr:translatedBy ?plan .
  ?plan tr:mappingId ?mapping .
  OPTIONAL {{ ?observation sosa:hasResult ?result .
             ?result tr:sourceValue ?sourceValue ; tr:sourceUnit ?sourceUnit }}
}}"""


@dataclass(frozen=True, slots=True)
class Seed:
    """The hub's starting point."""

    things: tuple[tuple[str, ThingMeta], ...]
    entries: tuple[SeedEntry, ...]


@dataclass(frozen=True, slots=True)
class _Origin:
    source: Source
    source_value: float | None
    source_unit: str | None


def read_seed(store: TwinStore) -> Seed:
    """Read the latest state, the things and the state's provenance from ``store``.

    Raises:
        StoreError: the store failed while reading.
    """
    things = _things(store)
    origins = _origins(store)
    entries = []
    for entry in store.latest():
        origin = origins.get(entry.observation or "")
        observation = Observation(
            iri=entry.observation,
            thing=entry.thing,
            property=entry.property,
            value=entry.value,
            unit=entry.unit,
            time=entry.time,
            source_value=None if origin is None else origin.source_value,
            source_unit=None if origin is None else origin.source_unit,
        )
        entries.append(SeedEntry(observation, None if origin is None else origin.source))
    return Seed(tuple(things.items()), tuple(entries))


def _select(store: TwinStore, sparql: str) -> tuple[QuerySolution, ...]:
    result = store.query(sparql)
    assert isinstance(result, SelectResult)
    return result.solutions


def _things(store: TwinStore) -> dict[str, ThingMeta]:
    things: dict[str, ThingMeta] = {}
    for row in _select(store, _THINGS_QUERY):
        thing, kind, area = row["thing"], row["type"], row["area"]
        if not isinstance(thing, NamedNode):
            continue
        known = things.get(thing.value, ThingMeta())
        things[thing.value] = ThingMeta(
            type=compact_iri(kind.value) if isinstance(kind, NamedNode) else known.type,
            area=area.value if isinstance(area, Literal) else known.area,
        )
    return things


def _origins(store: TwinStore) -> dict[str, _Origin]:
    origins: dict[str, _Origin] = {}
    for row in _select(store, _SOURCES_QUERY):
        observation, envelope = row["observation"], row["envelope"]
        if not isinstance(observation, NamedNode) or not isinstance(envelope, NamedNode):
            continue
        value, unit = row["sourceValue"], row["sourceUnit"]
        origins[observation.value] = _Origin(
            source=Source(
                protocol=_text(row["protocol"]),
                mapping=_text(row["mapping"]),
                channel=_text(row["channel"]),
                envelope=envelope.value,
            ),
            source_value=float(value.value) if isinstance(value, Literal) else None,
            source_unit=unit.value.removeprefix(UNIT) if isinstance(unit, NamedNode) else None,
        )
    return origins


def _text(term: object) -> str:
    return term.value if isinstance(term, Literal) else ""
