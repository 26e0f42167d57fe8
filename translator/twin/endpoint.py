"""What the SPARQL endpoint runs on the twin store: protocol queries and SPARQL Update.

``protocol_query`` runs a query the way the SPARQL 1.1 Protocol asks:

* by default over the union of all graphs with the project prefixes, like
  ``TwinStore.query``;
* over the dataset the request names (``default-graph-uri``, ``named-graph-uri``), which
  replaces the query's own ``FROM`` / ``FROM NAMED`` (Protocol section 2.1.4); in it, the IRI
  of the observations graph (``.../graph/observations``) stands for the store's default
  graph, where history lives (docs/rdf-model.md);
* over the query's ``FROM`` / ``FROM NAMED`` when it has them (the union would hide them);
* ``SERVICE`` refused, at most ``max_rows`` results, a deadline checked between solutions;
* from a ``GraphMirror`` (``translator.twin.mirror``) when one is given and the query reads
  only the graphs it holds (every triple pattern inside ``GRAPH <state>``, ``<things>``,
  ``<meta>`` or ``<scene>``, no dataset): the same evaluation, limits and errors, on an
  in-memory copy instead of RocksDB.

It runs on the calling thread and drops pyoxigraph's result iterator there, whatever
happens: an iterator dropped on another thread makes pyoxigraph raise "unsendable"
(``TwinStore.query`` with ``timeout_s`` can leak one to the caller's thread through the
exception of its cancelled worker).

``run_update`` applies an update; ``LOAD`` and ``SERVICE`` are refused before pyoxigraph sees
them, since pyoxigraph would fetch them over the network. The store tells no listener of an
update, so a mirror is paused (queries go to the store) and copied again afterwards.

Both reach the pyoxigraph store inside ``TwinStore`` (one private access, ``_oxigraph``)
until ``TwinStore`` offers datasets and updates itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    NamedNode,
    QueryBoolean,
    QuerySolution,
    QuerySolutions,
    QueryTriples,
    Store,
    Triple,
)

from translator.errors import QueryError, StoreError, TranslatorError
from translator.rdf.namespaces import OBSERVATIONS_GRAPH, PREFIXES
from translator.twin.mirror import GraphMirror
from translator.twin.sparql import (
    AskResult,
    GraphResult,
    QueryResult,
    SelectResult,
    check_query,
    keywords,
)
from translator.twin.store import TwinStore

logger = logging.getLogger(__name__)

REFUSED_IN_UPDATES: Final = frozenset({"load", "service"})
MAX_ERROR_CHARS: Final = 300  # pyoxigraph lists every expected token; the start is what helps
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Dataset:
    """The RDF dataset a protocol request names (both empty: none named)."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


def names_dataset(sparql: str, *, words: set[str] | None = None) -> bool:
    """Whether the query text has a ``FROM`` or ``FROM NAMED`` clause.

    ``words``: ``keywords(sparql)`` when the caller has them already.
    """
    return "from" in (keywords(sparql) if words is None else words)


def protocol_query(
    store: TwinStore,
    sparql: str,
    dataset: Dataset | None = None,
    *,
    timeout_s: float | None = None,
    max_rows: int | None = None,
    mirror: GraphMirror | None = None,
) -> QueryResult:
    """Run a query over ``dataset``, else its ``FROM`` clauses, else the union of all graphs.

    A dataset with default graphs only has no named graphs, and the other way round. With
    ``mirror``, a query reading only the mirrored graphs is answered from memory.

    Raises:
        QueryError: malformed, refused (``SERVICE``) or over ``timeout_s``.
        StoreError: the store failed while reading.
    """
    words = keywords(sparql)  # lexed once for both checks
    check_query(sparql, words=words)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    default: list[NamedNode | BlankNode | DefaultGraph] | None = None
    named: list[NamedNode | BlankNode] | None = None
    if dataset:  # the request's dataset replaces the query's FROM clauses
        default = [_graph(iri) for iri in dataset.default_graphs]
        named = [NamedNode(iri) for iri in dataset.named_graphs]
    dataset = dataset or Dataset()
    union = not dataset and not names_dataset(sparql, words=words)
    target = _oxigraph(store)  # raises when the store is closed, mirror or not
    if union and mirror is not None:
        memory = mirror.store_for(sparql)
        if memory is not None:  # (an empty Store is falsy)
            target = memory
    outcome = _evaluate(target, sparql, union, default, named, max_rows, deadline)
    if isinstance(outcome, TranslatorError):
        # raised only here, once pyoxigraph's iterator is gone: it must not outlive the
        # thread that made it (pyoxigraph aborts when one is dropped on another thread)
        raise outcome
    if outcome is None:
        raise QueryError(f"query stopped: it ran longer than {timeout_s:g} s")
    return outcome


def _evaluate(
    store: Store,
    sparql: str,
    union: bool,
    default: list[NamedNode | BlankNode | DefaultGraph] | None,
    named: list[NamedNode | BlankNode] | None,
    max_rows: int | None,
    deadline: float | None,
) -> QueryResult | TranslatorError | None:
    """The result, the error to raise, or ``None`` when the deadline passed."""
    try:
        results = store.query(
            sparql,
            prefixes=dict(PREFIXES),
            use_default_graph_as_union=union,
            default_graph=default,
            named_graphs=named,
        )
        return _materialize(results, max_rows, deadline)
    except SyntaxError as err:
        return QueryError(f"invalid SPARQL query: {short_error(err)}")
    except ValueError as err:  # a graph IRI pyoxigraph will not take
        return QueryError(f"invalid graph IRI: {err}")
    except OSError as err:
        return StoreError(f"the store failed while answering a query: {err}")


def run_update(store: TwinStore, sparql: str, *, mirror: GraphMirror | None = None) -> None:
    """Apply a SPARQL 1.1 Update (atomically) with the project's prefixes.

    It sees the store's own default graph (history), not the union: use ``GRAPH`` for the
    state, things and meta graphs. The store's in-memory state and things indexes are not
    refreshed: the SPARQL view is right at once, ``TwinStore.latest`` after a restart.
    ``mirror`` is paused during the update and copied from the store after it.

    Raises:
        QueryError: malformed, or uses ``LOAD`` or ``SERVICE`` (remote fetches).
        StoreError: the store failed.
    """
    refused = sorted(REFUSED_IN_UPDATES & keywords(sparql))
    if refused:
        raise QueryError(
            f"{' and '.join(word.upper() for word in refused)} refused: this endpoint never "
            "fetches remote data (insert the triples with INSERT DATA instead)"
        )
    db = _oxigraph(store)
    try:
        if mirror is None:
            db.update(sparql, prefixes=dict(PREFIXES))
        else:
            with mirror.paused():
                db.update(sparql, prefixes=dict(PREFIXES))
    except SyntaxError as err:
        raise QueryError(f"invalid SPARQL update: {short_error(err)}") from err
    except OSError as err:
        raise StoreError(f"the store failed while applying an update: {err}") from err
    logger.info("applied a SPARQL update (%d characters)", len(sparql))


def short_error(err: SyntaxError) -> str:
    """pyoxigraph's parse error, cut to its first line and a readable length."""
    text = str(err).splitlines()[0] if str(err) else "syntax error"
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS] + " …"


def _graph(iri: str) -> NamedNode | DefaultGraph:
    return DefaultGraph() if iri == OBSERVATIONS_GRAPH else NamedNode(iri)


def _oxigraph(store: TwinStore) -> Store:
    # TwinStore has no public seam for datasets or updates yet (asked for; see module doc).
    return store._db


def _materialize(
    results: QuerySolutions | QueryBoolean | QueryTriples,
    limit: int | None,
    deadline: float | None,
) -> QueryResult | None:
    if isinstance(results, QueryBoolean):
        return AskResult(bool(results))
    if isinstance(results, QuerySolutions):
        variables = tuple(v.value for v in results.variables)
        solutions: list[QuerySolution] = []
        truncated = _drain(results, solutions, limit, deadline)
        if truncated is None:
            return None
        return SelectResult(variables, tuple(solutions), truncated)
    triples: list[Triple] = []
    truncated = _drain(results, triples, limit, deadline)
    return None if truncated is None else GraphResult(tuple(triples), truncated)


def _drain(
    results: Iterator[T], into: list[T], limit: int | None, deadline: float | None
) -> bool | None:
    """Move results into ``into``: ``True`` when cut at ``limit``, ``None`` when late."""
    for item in results:
        if deadline is not None and time.monotonic() > deadline:
            return None
        if limit is not None and len(into) >= limit:
            return True
        into.append(item)
    return False


def graph_iris(values: Sequence[str]) -> tuple[str, ...]:
    """Protocol graph IRIs, checked to be absolute IRIs.

    Raises:
        QueryError: one of them is not an IRI pyoxigraph accepts.
    """
    for value in values:
        try:
            NamedNode(value)
        except ValueError as err:
            raise QueryError(f"{value!r} is not a graph IRI: {err}") from err
    return tuple(values)
