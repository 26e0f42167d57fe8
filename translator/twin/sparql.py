"""SPARQL queries on the store: refuse what must not run, bound what may, keep the results.

* ``SERVICE`` is refused before the query reaches pyoxigraph (which would otherwise fetch
  from the network): a small lexer finds the keyword outside strings, IRIs, comments,
  variables and prefixed names, in the query as written and with ``\\u`` escapes resolved.
* Only queries run here; pyoxigraph's ``query`` does not accept updates.
* Results are materialized as pyoxigraph terms (``SelectResult`` / ``GraphResult`` /
  ``AskResult``), capped at ``max_rows``. With ``timeout_s`` the query runs in a worker
  thread (pyoxigraph releases the GIL while it evaluates); the caller gets a ``QueryError``
  at the deadline and the worker stops at the next solution. pyoxigraph cannot interrupt
  an evaluation step itself (a big ``ORDER BY`` or ``COUNT``), so such a step runs to its end
  in the background; the pool size bounds how many can.

pyoxigraph's result iterators must stay on the thread that created them (iterating one on
another thread aborts the process), which is why a worker both runs and drains its query.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Final, TypeVar

from pyoxigraph import QueryBoolean, QuerySolution, QuerySolutions, QueryTriples, Store, Triple

from translator.errors import QueryError, StoreError
from translator.rdf.namespaces import PREFIXES

DEFAULT_WORKERS: Final = 4
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SelectResult:
    """Solutions of a ``SELECT`` query, in order."""

    variables: tuple[str, ...]
    solutions: tuple[QuerySolution, ...]
    truncated: bool = False  # more solutions existed than ``max_rows``


@dataclass(frozen=True, slots=True)
class GraphResult:
    """Triples of a ``CONSTRUCT`` or ``DESCRIBE`` query."""

    triples: tuple[Triple, ...]
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class AskResult:
    """Answer of an ``ASK`` query."""

    value: bool


QueryResult = SelectResult | GraphResult | AskResult

_TOKEN: Final = re.compile(
    "|".join(
        (
            r"(?P<comment>#[^\n\r]*)",
            r"(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)",
            r"(?P<long1>'''(?:(?:'|'')?(?:[^'\\]|\\.))*''')",
            r'(?P<long2>"""(?:(?:"|"")?(?:[^"\\]|\\.))*""")',
            r"(?P<short1>'(?:[^'\\\n\r]|\\.)*')",
            r'(?P<short2>"(?:[^"\\\n\r]|\\.)*")',
            r"(?P<var>[?$]\w+)",
            r"(?P<pname>(?:[^\W\d][\w.\-]*)?:[\w.\-:%\\]*)",
            r"(?P<word>[^\W\d]\w*)",
        )
    ),
    re.DOTALL,
)
_CODEPOINT: Final = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _unescape(text: str) -> str:
    def codepoint(match: re.Match[str]) -> str:
        value = int(match.group(1) or match.group(2), 16)
        return chr(value) if value <= 0x10FFFF else "\ufffd"

    return _CODEPOINT.sub(codepoint, text)


def keywords(sparql: str) -> set[str]:
    """The bare words of a query or update, lowercased (not in strings, IRIs or comments).

    Read from the text as written and with ``\\u`` escapes resolved, so a keyword spelled
    with escapes is found too.
    """
    found = _words(sparql)
    if "\\u" in sparql or "\\U" in sparql:  # else resolving escapes changes nothing
        found |= _words(_unescape(sparql))
    return found


def _words(text: str) -> set[str]:
    return {match.group().lower() for match in _TOKEN.finditer(text) if match.lastgroup == "word"}


def uses_service(sparql: str) -> bool:
    """Whether the query contains the ``SERVICE`` keyword (conservatively)."""
    return "service" in keywords(sparql)


def check_query(sparql: str, *, words: set[str] | None = None) -> None:
    """Refuse queries the store must not run (``words``: ``keywords(sparql)`` if known).

    Raises:
        QueryError: the query uses ``SERVICE`` (a remote fetch).
    """
    if "service" in (keywords(sparql) if words is None else words):
        raise QueryError("SERVICE is refused: this endpoint does not query other endpoints")


class _Cancelled(Exception):
    """The caller stopped waiting; the worker drops the rest of the results."""


def run_query(
    store: Store,
    sparql: str,
    *,
    prefixes: Mapping[str, str] | None = None,
    max_rows: int | None = None,
    cancel: threading.Event | None = None,
) -> QueryResult:
    """Run one query on this thread and materialize its results.

    Raises:
        QueryError: the query is malformed or refused.
        StoreError: the store failed while reading.
    """
    check_query(sparql)
    try:
        results = store.query(
            sparql,
            prefixes=dict(PREFIXES if prefixes is None else prefixes),
            use_default_graph_as_union=True,
        )
        return _materialize(results, max_rows, cancel or threading.Event())
    except SyntaxError as err:
        raise QueryError(f"invalid SPARQL query: {err}") from err
    except OSError as err:
        raise StoreError(f"the store failed while answering a query: {err}") from err


def _materialize(
    results: QuerySolutions | QueryBoolean | QueryTriples,
    limit: int | None,
    cancel: threading.Event,
) -> QueryResult:
    if isinstance(results, QueryBoolean):
        return AskResult(bool(results))
    if isinstance(results, QuerySolutions):
        variables = tuple(v.value for v in results.variables)
        solutions: list[QuerySolution] = []
        truncated = _drain(results, solutions, limit, cancel)
        return SelectResult(variables, tuple(solutions), truncated)
    triples: list[Triple] = []
    truncated = _drain(results, triples, limit, cancel)
    return GraphResult(tuple(triples), truncated)


def _drain(results: Iterator[T], into: list[T], limit: int | None, cancel: threading.Event) -> bool:
    """Move results into ``into``; ``True`` when ``limit`` cut them short."""
    for item in results:
        if cancel.is_set():
            raise _Cancelled
        if limit is not None and len(into) >= limit:
            return True
        into.append(item)
    return False


class QueryRunner:
    """Runs queries on one store, with an optional time limit, in a small thread pool."""

    def __init__(self, store: Store, *, workers: int = DEFAULT_WORKERS) -> None:
        self._store: Store | None = store
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(
        self,
        sparql: str,
        *,
        timeout_s: float | None = None,
        max_rows: int | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> QueryResult:
        """Run a query; see the module docstring for what ``timeout_s`` can and cannot stop.

        Raises:
            QueryError: malformed, refused (SERVICE), or over ``timeout_s``.
            StoreError: the store failed while reading.
        """
        store = self._store
        if store is None:
            raise StoreError("the store is closed")
        if timeout_s is None:
            return run_query(store, sparql, prefixes=prefixes, max_rows=max_rows)
        check_query(sparql)  # refuse before occupying a worker
        cancel = threading.Event()
        future = self._executor().submit(
            run_query, store, sparql, prefixes=prefixes, max_rows=max_rows, cancel=cancel
        )
        try:
            return future.result(timeout=timeout_s)
        except FutureTimeout as err:
            cancel.set()
            future.cancel()
            raise QueryError(f"query stopped: it ran longer than {timeout_s:g} s") from err

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="sparql")
            return self._pool

    def close(self) -> None:
        """Stop accepting queries and let go of the store; running ones finish first."""
        with self._lock:
            self._store = None
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
