"""The twin store: history, latest state, things and meta in one pyoxigraph store.

``TwinStore.write`` takes a batch of ``Translated`` messages (each carries the ``MessageGraph``
the SHACL gate judged); ``prepare`` turns each into a ``PreparedMessage`` (its history as
N-Quads text made of pyoxigraph's own serialization of each term, ``translator.rdf.nquads``),
which a caller that queues messages does early (``Ingestor``, see ``twin.prepared``) and hands
to ``write_prepared``. A write does, under one writer lock:

1. ONE insert of the batch's history triples, the new or changed things' quads and the new
   state quads, as one N-Quads document: ``Store.bulk_load`` on disk for big batches (~2x
   less CPU per quad than the transactional ``load`` once compaction is counted, see
   docs/rdf-model.md), ``Store.load`` in memory and for small batches. Both parse and write
   in Rust with the GIL released, so a writer thread runs beside the translating one;
2. the removal of the replaced state and thing quads, one by one (each releases the GIL).

``bulk_load`` ingests the whole batch's files in one RocksDB ingestion, but pyoxigraph does not
promise atomicity; ``load`` (small batches, memory) is one transaction. A crash between 1 and 2
leaves a state node with two values; ``open`` repairs it from the observation it points to.
Readers never take the lock: pyoxigraph gives each query a consistent snapshot, and the
in-memory state index has its own small lock.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from pathlib import Path
from types import TracebackType
from typing import Final, Protocol, TypeAlias

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store

from translator.errors import ExtractionError, OntologyError, StoreError
from translator.ontology.files import ontology_dir
from translator.rdf.identifiers import MAPPING_PREFIX
from translator.rdf.nquads import QuadText
from translator.rdf.terms import META, OWL_VERSION_INFO
from translator.rdf.things import mapping_quads
from translator.twin.prepared import PreparedMessage, prepare
from translator.twin.retention import (
    chunks,
    delete_observations,
    delete_orphan_envelopes,
    expired_envelopes,
    expired_observations,
)
from translator.twin.sparql import DEFAULT_WORKERS, QueryResult, QueryRunner
from translator.twin.state import StateEntry, StateIndex, StatePlan
from translator.twin.things import ThingRegistry
from translator.values import Translated

logger = logging.getLogger(__name__)

BULK_MIN_QUADS: Final = 5_000  # below this a transactional load is as cheap (and atomic)
RETENTION_CHUNK: Final = 2_000  # observations deleted per writer-lock hold
ONTOLOGY_MARK: Final = "ontology-sha256:"


ChangeListener: TypeAlias = Callable[[Sequence[Quad], Sequence[Quad]], None]
"""Told ``(added, removed)`` after each change to the named graphs (state, things, meta,
scene), under the writer lock, in the order the changes were made; never of history (the
default graph). Must be quick and must not call back into the store's writers."""


class MappingRef(Protocol):
    """What the meta graph records of a mapping (a compiled ``MappingPlan`` fits)."""

    @property
    def id(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def file(self) -> str: ...


@dataclass(frozen=True, slots=True)
class WriteStats:
    """What one ``write`` did."""

    messages: int = 0
    readings: int = 0
    quads: int = 0  # history quads inserted
    things: int = 0  # things described for the first time or whose description changed
    state_updates: int = 0  # (thing, property) entries created or replaced
    stale_readings: int = 0  # readings older than the state they would have replaced


def _document(batch: Sequence[PreparedMessage], quads: list[Quad]) -> tuple[bytes, int]:
    """One N-Quads document: the batch's history, then ``quads``; and how many lines it has."""
    lines = [message.history for message in batch]
    QuadText.add_quads(quads, lines)
    count = sum(message.triples for message in batch) + len(quads)
    return "".join(lines).encode(), count


class TwinStore:
    """History, latest state, things and meta of the digital twin. Open with ``open``."""

    def __init__(self, store: Store, *, path: Path | None, read_only: bool, workers: int) -> None:
        self._store: Store | None = store
        self._path = path
        self._read_only = read_only
        self._bulk = path is not None and not read_only
        self._lock = threading.Lock()  # one writer at a time
        self._runner = QueryRunner(store, workers=workers)
        self._state, repair = StateIndex.load(store)
        self._things = ThingRegistry.load(store)
        self._text = QuadText()  # its cache is safe to share: a race costs a cache miss
        self._change_listeners: list[ChangeListener] = []
        if repair.additions or repair.removals:
            self._repair(repair)

    @classmethod
    def open(
        cls, path: Path | None = None, *, read_only: bool = False, workers: int = DEFAULT_WORKERS
    ) -> TwinStore:
        """Open the store in ``path`` (created if missing), or in memory when ``path`` is None.

        ``read_only`` must not be used while another process writes the store (pyoxigraph
        leaves that undefined): query the running service instead.

        Raises:
            StoreError: the folder cannot be opened (another process holds it, bad data).
        """
        try:
            if path is None:
                store = Store()
            elif read_only:
                store = Store.read_only(str(path))
            else:
                path.mkdir(parents=True, exist_ok=True)
                store = Store(path)
        except OSError as err:
            raise StoreError(
                f"cannot open the store in {path}: {err} (is another translator using it?)"
            ) from err
        return cls(store, path=path, read_only=read_only, workers=workers)

    def add_change_listener(self, listener: ChangeListener) -> None:
        """Tell ``listener`` of every later change to the named graphs (see ``ChangeListener``)."""
        with self._lock:
            self._change_listeners.append(listener)

    def _changed(self, added: Sequence[Quad], removed: Sequence[Quad]) -> None:
        if not (added or removed):
            return
        for listener in self._change_listeners:
            try:
                listener(added, removed)
            except Exception:  # a listener's bug must not fail a write that is done
                logger.exception("store change listener %r failed", listener)

    @property
    def path(self) -> Path | None:
        """The store's folder; ``None`` in memory."""
        return self._path

    @property
    def _db(self) -> Store:
        if self._store is None:
            raise StoreError("the store is closed")
        return self._store

    def prepare(self, message: Translated) -> PreparedMessage:
        """``message`` as ``write_prepared`` takes it: its history already N-Quads text.

        Call it as soon as a message is translated when it will wait before being written
        (see ``translator.twin.prepared``). Thread-safe.
        """
        return prepare(message, self._text)

    def write(self, batch: Sequence[Translated]) -> WriteStats:
        """Store a batch of translated messages: history, things, latest state.

        Thread-safe (one writer at a time); the inserts release the GIL, so a writer thread
        runs beside a translating one.

        Raises:
            StoreError: the store is read-only or failed; nothing of the batch is in the state.
        """
        self._check_writable()
        return self.write_prepared([prepare(message, self._text) for message in batch])

    def write_prepared(self, batch: Sequence[PreparedMessage]) -> WriteStats:
        """``write`` for messages made ready by ``prepare``.

        Raises:
            StoreError: the store is read-only or failed; nothing of the batch is in the state.
        """
        self._check_writable()
        with self._lock:
            try:
                state = self._state.plan(batch)
                things = self._things.plan(batch)
            except ExtractionError as err:
                raise StoreError(f"a message cannot be stored: {err}") from err
            document, quads = _document(batch, things.additions + state.additions)
            try:
                self._insert(document, quads)
                for quad in chain(things.removals, state.removals):
                    self._db.remove(quad)
            except (OSError, SyntaxError) as err:
                self._resync()
                raise StoreError(f"writing {len(batch)} messages failed: {err}") from err
            self._state.commit(state)
            self._things.commit(things)
            self._changed(
                [*things.additions, *state.additions], [*things.removals, *state.removals]
            )
        return WriteStats(
            messages=len(batch),
            readings=sum(len(message.readings) for message in batch),
            quads=sum(message.triples for message in batch),
            things=len(things.stored),
            state_updates=len(state.slots),
            stale_readings=state.stale,
        )

    def _insert(self, document: bytes, quads: int) -> None:
        """Insert an N-Quads document of ``quads`` quads (GIL released while pyoxigraph works).

        ``lenient`` skips re-validating the IRIs (every one was validated when its
        ``NamedNode`` was built; re-validating cost ~1.5 µs a quad); the syntax, the
        escapes and the literals are still parsed strictly.
        """
        if self._bulk and quads >= BULK_MIN_QUADS:
            self._db.bulk_load(document, format=RdfFormat.N_QUADS, lenient=True)
        elif quads:
            self._db.load(document, format=RdfFormat.N_QUADS, lenient=True)

    def _resync(self) -> None:
        """After a failed write, part of it may be in the store: re-read state and things."""
        try:
            self._state, repair = StateIndex.load(self._db)
            self._things = ThingRegistry.load(self._db)
            self._repair(repair)
        except OSError:
            logger.exception("re-reading the state after a failed write failed too")

    def _repair(self, plan: StatePlan) -> None:
        if not self._read_only:
            self._db.extend(plan.additions)
            for quad in plan.removals:
                self._db.remove(quad)
        self._state.commit(plan)
        self._changed(plan.additions, plan.removals)

    def load_meta(
        self, mappings: Iterable[MappingRef] = (), *, ontology: Path | None = None
    ) -> int:
        """Record mapping versions and the shipped ontology in the meta graph; returns quads added.

        Mapping version nodes are kept forever (old envelopes point to them). The ontology
        (every ``*.ttl`` of ``ontology``, default the shipped folder) is loaded once, and
        again only when its files change.

        Raises:
            StoreError: the store is read-only, or a Turtle file cannot be loaded.
        """
        self._check_writable()
        quads = [q for m in mappings for q in mapping_quads(m.id, m.version, m.file)]
        with self._lock:
            added = [q for q in quads if q not in self._db]
            try:
                self._db.extend(added)
                self._changed(added, ())
                return len(added) + self._load_ontology(ontology)
            except (OSError, SyntaxError) as err:
                raise StoreError(f"loading the meta graph failed: {err}") from err

    def _load_ontology(self, folder: Path | None) -> int:
        if folder is None:
            try:
                folder = ontology_dir()
            except OntologyError as err:
                logger.warning("no ontology loaded into the meta graph: %s", err)
                return 0
        files = sorted(folder.glob("*.ttl"))
        digest = hashlib.sha256()
        for file in files:
            digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
        mark = Quad(META, OWL_VERSION_INFO, Literal(ONTOLOGY_MARK + digest.hexdigest()), META)
        if mark in self._db:
            return 0
        stale = [
            q
            for q in self._db.quads_for_pattern(None, None, None, META)
            if not (isinstance(q.subject, NamedNode) and q.subject.value.startswith(MAPPING_PREFIX))
        ]
        for quad in stale:
            self._db.remove(quad)
        before = self._meta_quads()
        for file in files:
            self._db.load(path=file, format=RdfFormat.TURTLE, to_graph=META)
        self._db.add(mark)
        after = self._meta_quads()
        logger.info("loaded %d ontology files into the meta graph", len(files))
        self._changed([q for q in after if q not in before], stale)
        return len(after) - len(before)

    def _meta_quads(self) -> set[Quad]:
        return set(self._db.quads_for_pattern(None, None, None, META))

    def replace_graph(self, graph: NamedNode, quads: Iterable[Quad]) -> int:
        """Make ``graph`` hold exactly ``quads`` (each quad's graph must be ``graph``).

        For small graphs written at start (the viewer's scene placements). Returns how many
        quads the graph holds afterwards.

        Raises:
            StoreError: the store is read-only or failed.
        """
        self._check_writable()
        new = set(quads)
        if any(quad.graph_name != graph for quad in new):
            raise ValueError(f"every quad must be in the graph {graph}")
        with self._lock:
            try:
                old = set(self._db.quads_for_pattern(None, None, None, graph))
                self._db.extend(new - old)
                for quad in old - new:
                    self._db.remove(quad)
            except OSError as err:
                raise StoreError(f"writing the graph {graph} failed: {err}") from err
            self._changed(list(new - old), list(old - new))
        return len(new)

    def query(
        self,
        sparql: str,
        *,
        timeout_s: float | None = None,
        max_rows: int | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> QueryResult:
        """Run a SPARQL query over the union of all graphs (``SERVICE`` refused).

        The project's prefixes (``tr:``, ``sosa:`` …) are predeclared unless ``prefixes``
        replaces them. See :mod:`translator.twin.sparql` for the limits.

        Raises:
            QueryError: malformed, refused or over ``timeout_s``.
            StoreError: the store failed while reading.
        """
        return self._runner.run(sparql, timeout_s=timeout_s, max_rows=max_rows, prefixes=prefixes)

    def latest(self, thing: str | None = None) -> list[StateEntry]:
        """The latest state (of one thing, or of all), sorted by thing and property."""
        return self._state.entries(thing)

    def known_things(self) -> int:
        """How many things the things graph describes."""
        return len(self._things)

    def apply_retention(self, older_than: datetime) -> int:
        """Delete history before ``older_than``; returns how many observations went.

        Observations the latest state points to are kept, and so are their envelopes.

        Raises:
            StoreError: the store is read-only or failed.
        """
        self._check_writable()
        deleted = gone = 0
        envelopes: set[NamedNode] = set()
        try:
            for chunk in chunks(expired_observations(self._db, older_than), RETENTION_CHUNK):
                with self._lock:
                    doomed = [obs for obs in chunk if not self._state.is_latest(obs.value)]
                    envelopes |= delete_observations(self._db, doomed)
                deleted += len(doomed)
            candidates = chain(envelopes, expired_envelopes(self._db, older_than))
            for chunk in chunks(candidates, RETENTION_CHUNK):
                with self._lock:
                    gone += delete_orphan_envelopes(self._db, chunk)
        except OSError as err:
            raise StoreError(f"retention failed: {err}") from err
        logger.info("retention: %d observations and %d envelopes deleted", deleted, gone)
        return deleted

    def flush(self) -> None:
        """Make sure everything written is on disk."""
        if self._path is not None and not self._read_only:
            try:
                self._db.flush()
            except OSError as err:
                raise StoreError(f"flushing the store failed: {err}") from err

    def optimize(self) -> None:
        """Compact the store (after retention, or when ingest is quiet): faster reads."""
        if not self._read_only:
            with self._lock:
                try:
                    self._db.optimize()
                except OSError as err:
                    raise StoreError(f"optimizing the store failed: {err}") from err

    def close(self) -> None:
        """Flush, stop the query workers and let go of the store (idempotent).

        pyoxigraph closes the database when its last reference goes; a result iterator of
        ``quads_for_pattern`` still alive elsewhere keeps it open.
        """
        if self._store is None:
            return
        self._runner.close()
        self.flush()
        with self._lock:
            self._store = None

    def __enter__(self) -> TwinStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _check_writable(self) -> None:
        if self._read_only:
            raise StoreError("the store was opened read-only")
