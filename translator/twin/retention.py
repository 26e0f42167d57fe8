"""Retention: find and delete history older than a cutoff, by quad patterns (no SPARQL text).

An observation is expired when its ``sosa:resultTime`` is before the cutoff and the latest
state does not point to it. Deleting it deletes its result node too; an envelope goes when
no observation is derived from it any more (or it never had one and arrived before the
cutoff). The latest-state graph is never touched. ``TwinStore.apply_retention`` runs these
steps chunk by chunk under its writer lock, so ingest goes on between chunks; the scans read
a snapshot, so deleting while scanning is safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import TypeVar

from pyoxigraph import Literal, NamedNode, Quad, Store

from translator.rdf.literals import literal_datetime, utc
from translator.rdf.terms import (
    HISTORY,
    PROV_WAS_DERIVED_FROM,
    SOSA_HAS_RESULT,
    SOSA_RESULT_TIME,
    TR_RECEIVED_AT,
)

T = TypeVar("T")


def _older(store: Store, predicate: NamedNode, cutoff: datetime) -> Iterator[NamedNode]:
    cutoff = utc(cutoff)
    for quad in store.quads_for_pattern(None, predicate, None, HISTORY):
        subject, value = quad.subject, quad.object
        if not isinstance(subject, NamedNode) or not isinstance(value, Literal):
            continue
        try:
            if literal_datetime(value) < cutoff:
                yield subject
        except ValueError:
            continue  # not a dateTime we wrote: leave it alone


def expired_observations(store: Store, cutoff: datetime) -> Iterator[NamedNode]:
    """Observations whose result time is before ``cutoff`` (the caller spares the state's)."""
    return _older(store, SOSA_RESULT_TIME, cutoff)


def expired_envelopes(store: Store, cutoff: datetime) -> Iterator[NamedNode]:
    """Envelopes that arrived before ``cutoff`` (deleted only once nothing derives from them)."""
    return _older(store, TR_RECEIVED_AT, cutoff)


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def delete_observations(store: Store, observations: Iterable[NamedNode]) -> set[NamedNode]:
    """Delete observations and their result nodes; returns the envelopes they came from."""
    envelopes: set[NamedNode] = set()
    for obs in observations:
        doomed: list[Quad] = []
        for quad in store.quads_for_pattern(obs, None, None, HISTORY):
            doomed.append(quad)
            if quad.predicate == SOSA_HAS_RESULT and isinstance(quad.object, NamedNode):
                doomed += store.quads_for_pattern(quad.object, None, None, HISTORY)
            elif quad.predicate == PROV_WAS_DERIVED_FROM and isinstance(quad.object, NamedNode):
                envelopes.add(quad.object)
        for quad in doomed:
            store.remove(quad)
    return envelopes


def delete_orphan_envelopes(store: Store, envelopes: Iterable[NamedNode]) -> int:
    """Delete the envelopes no observation is derived from any more; returns how many."""
    deleted = 0
    for env in envelopes:
        if next(store.quads_for_pattern(None, PROV_WAS_DERIVED_FROM, env, HISTORY), None):
            continue
        doomed = list(store.quads_for_pattern(env, None, None, HISTORY))
        for quad in doomed:
            store.remove(quad)
        deleted += bool(doomed)
    return deleted
