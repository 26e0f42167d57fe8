"""An in-memory copy of the store's small named graphs, so SPARQL over them skips the disk.

On disk every triple-pattern lookup is a RocksDB seek; the state, things, meta and scene
graphs are small (thousands of quads, whatever the history holds), so ``GraphMirror``
keeps them in an in-memory pyoxigraph ``Store`` as well, and the SPARQL endpoint answers a
query from it when the query reads nothing else (``translator.twin.scope``).

Kept in step through ``TwinStore.add_change_listener``: the store calls ``apply`` under its
writer lock with ``(added, removed)`` after each change to those graphs. The mirror adds,
then removes (the store's own order), except that a quad in both lists stays when the store
holds it (reloading the ontology removes the old meta graph, then adds the new one).

``resync`` copies the graphs from the store (at ``attach``, and after changes no listener
sees: a SPARQL Update, see ``paused``); changes told meanwhile are buffered and replayed on
the copy, which makes the result exact whatever the order, since the last change of a quad
decides it. Until then ``snapshot`` is ``None`` and queries go to the store.

pyoxigraph's in-memory store keeps every removed quad's version (a state node updated a
thousand times is scanned a thousand times), so after enough removals (``rebuild_after``,
by default a quarter of the live quads and at least ``REBUILD_MIN_REMOVALS``) the live
quads, kept in a Python set, are copied into a fresh ``Store`` that replaces the old one.
A query holds the ``Store`` it started on, so a swap never disturbs it; pyoxigraph's stores
take concurrent readers and a writer.

If applying a change fails, the mirror stops answering (``snapshot`` is ``None``) until
the next ``resync``: queries are then slower, never wrong.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

from pyoxigraph import NamedNode, Quad, Store

from translator.errors import StoreError
from translator.rdf.namespaces import GRAPH, META_GRAPH, STATE_GRAPH, THINGS_GRAPH
from translator.twin.scope import GraphScope
from translator.twin.store import TwinStore

logger = logging.getLogger(__name__)

SCENE_GRAPH: Final = GRAPH + "scene"  # the viewer's placements (translator.viewer.placements)
MIRRORED_GRAPHS: Final = frozenset({STATE_GRAPH, THINGS_GRAPH, META_GRAPH, SCENE_GRAPH})
REBUILD_MIN_REMOVALS: Final = 2048
REBUILD_SHARE: Final = 4  # rebuild once removals reach a quarter of the live quads
_Change = tuple[Sequence[Quad], Sequence[Quad]]


@dataclass(frozen=True, slots=True)
class MirrorStats:
    """What the mirror holds and has done (for tests, logs and benchmarks)."""

    in_step: bool  # answering queries
    quads: int  # live quads
    removals: int  # quads removed since the last rebuild
    rebuilds: int  # fresh stores built because of removals
    resyncs: int  # copies made from the store


class GraphMirror:
    """In-memory copy of some named graphs of a ``TwinStore``; build it with ``attach``."""

    def __init__(
        self,
        source: TwinStore,
        *,
        graphs: Iterable[str] = MIRRORED_GRAPHS,
        rebuild_after: int | None = None,
    ) -> None:
        self._source = source
        self._scope = GraphScope(graphs)
        self._graph_nodes = frozenset(NamedNode(iri) for iri in self._scope.graphs)
        self._rebuild_after = rebuild_after
        self._lock = threading.Lock()  # guards the writes of everything below
        self._resync_lock = threading.Lock()  # one copy at a time
        self._store: Store | None = None
        self._live: set[Quad] = set()
        self._pending: list[_Change] | None = None  # changes told while a copy is made
        self._paused = 0
        self._removals = 0
        self._rebuilds = 0
        self._resyncs = 0

    @classmethod
    def attach(
        cls,
        source: TwinStore,
        *,
        graphs: Iterable[str] = MIRRORED_GRAPHS,
        rebuild_after: int | None = None,
    ) -> GraphMirror:
        """A mirror of ``graphs`` of ``source``, listening to its changes and seeded from it.

        Raises:
            StoreError: the store is closed or failed while being read.
        """
        mirror = cls(source, graphs=graphs, rebuild_after=rebuild_after)
        source.add_change_listener(mirror.apply)
        mirror.resync()
        return mirror

    @property
    def graphs(self) -> frozenset[str]:
        """The IRIs of the mirrored graphs."""
        return self._scope.graphs

    def snapshot(self) -> Store | None:
        """The in-memory store to read now, or ``None`` while the mirror is not in step.

        Lock-free (two attribute reads), so a query never waits for the writer applying a
        change or rebuilding; a query racing a pause reads what was there just before.
        """
        store = self._store
        return None if self._paused else store

    def store_for(self, sparql: str) -> Store | None:
        """The in-memory store when it can answer ``sparql`` (see ``translator.twin.scope``)."""
        store = self.snapshot()
        if store is None or not self._scope.contains(sparql):
            return None
        return store

    def stats(self) -> MirrorStats:
        """Counts of what the mirror holds and did."""
        with self._lock:
            return MirrorStats(
                in_step=self._store is not None and not self._paused,
                quads=len(self._live),
                removals=self._removals,
                rebuilds=self._rebuilds,
                resyncs=self._resyncs,
            )

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Send queries to the store while the block changes it behind the listener's back.

        For SPARQL Update: on leaving, the mirror copies the graphs again.
        """
        with self._lock:
            self._paused += 1
        try:
            yield
        finally:
            try:
                self.resync()
            finally:
                with self._lock:
                    self._paused -= 1

    def resync(self) -> None:
        """Copy the graphs from the store again (changes told meanwhile are replayed).

        Raises:
            StoreError: the store is closed or failed while being read.
        """
        with self._resync_lock:
            with self._lock:
                self._store = None
                self._pending = []
            try:
                live = self._read_source()
                fresh = Store()
                fresh.extend(live)
                with self._lock:
                    pending, self._pending = self._pending or [], None
                    self._live = live
                    for added, removed in pending:
                        self._apply(fresh, added, removed)
                    self._store = fresh
                    self._removals = 0
                    self._resyncs += 1
            except BaseException:
                with self._lock:
                    self._pending = None
                raise
        logger.debug("mirror: %d quads copied from the store", len(live))

    def _read_source(self) -> set[Quad]:
        db = _oxigraph(self._source)
        try:
            return {
                quad
                for graph in self._graph_nodes
                for quad in db.quads_for_pattern(None, None, None, graph)
            }
        except OSError as err:
            raise StoreError(f"the store failed while its graphs were copied: {err}") from err

    def apply(self, added: Sequence[Quad], removed: Sequence[Quad]) -> None:
        """The store's change listener: apply one change (``TwinStore.ChangeListener``)."""
        added = [quad for quad in added if quad.graph_name in self._graph_nodes]
        removed = [quad for quad in removed if quad.graph_name in self._graph_nodes]
        if not (added or removed):
            return
        with self._lock:
            if self._pending is not None:
                self._pending.append((added, removed))
                return
            store = self._store
            if store is None:
                return  # out of step: the next resync reads everything
            try:
                self._apply(store, added, removed)
                if self._removals >= self._rebuild_bound():
                    self._rebuild()
            except Exception:  # a mirror that missed a change must not answer any more
                logger.exception("mirror: applying a change failed; queries go to the store")
                self._store = None

    def _apply(self, store: Store, added: Sequence[Quad], removed: Sequence[Quad]) -> None:
        kept: set[Quad] = set()
        if added and removed:
            both = set(added).intersection(removed)
            if both:
                db = _oxigraph(self._source)
                kept = {quad for quad in both if quad in db}
        if added:
            store.extend(added)
            self._live.update(added)
        for quad in removed:
            if quad not in kept:
                store.remove(quad)
                self._live.discard(quad)
        self._removals += len(removed) - len(kept)

    def _rebuild_bound(self) -> int:
        if self._rebuild_after is not None:
            return self._rebuild_after
        return max(REBUILD_MIN_REMOVALS, len(self._live) // REBUILD_SHARE)

    def _rebuild(self) -> None:
        """Swap in a fresh store without the removed quads' versions (under ``_lock``)."""
        fresh = Store()
        fresh.extend(self._live)
        self._store = fresh
        logger.debug("mirror: rebuilt after %d removals (%d quads)", self._removals, len(fresh))
        self._removals = 0
        self._rebuilds += 1


def _oxigraph(store: TwinStore) -> Store:
    # TwinStore has no public seam to read a graph's quads (asked for, like the endpoint's).
    return store._db
