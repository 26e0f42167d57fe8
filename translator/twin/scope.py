"""Which graphs a SPARQL query reads: the test that sends a query to the in-memory mirror.

A query can be answered from a copy of some named graphs (``translator.twin.mirror``) when
every triple pattern it has, in its ``WHERE`` clause, sub-queries and ``EXISTS`` /
``NOT EXISTS`` filters, sits inside ``GRAPH <iri>`` with a constant IRI of one of those
graphs, and the query names no dataset (``FROM`` / ``FROM NAMED``), calls no ``SERVICE``
and is not a ``DESCRIBE`` (which describes from the default graph). ``GRAPH ?g``, a graph
outside the copy, or a pattern outside any ``GRAPH`` makes the answer "no".

pyoxigraph exposes no query algebra, so rdflib's SPARQL parser reads the query (6 to 20 ms
for the README's examples on the development VM); the verdict is cached per query text in
a small LRU. Whatever is not certain is "no", and the caller runs the query on the store
as before: a query rdflib cannot parse (the store's parser then gives the error message),
one using ``BASE`` (relative IRIs resolved by two parsers might differ) or ``\\u``
escapes (the two parsers might read them differently), one longer than
``MAX_PARSED_CHARS`` (pyparsing would take seconds over a large text, and the cache must
stay small), and a cheap word check skips the parse for queries without ``GRAPH``.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Final

from rdflib import Namespace, URIRef
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from translator.rdf.namespaces import PREFIXES
from translator.twin.sparql import keywords

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE: Final = 512
MAX_PARSED_CHARS: Final = 8192  # the README's examples are under 700
_QUERY_FORMS: Final = frozenset({"SelectQuery", "AskQuery", "ConstructQuery"})
_GRAPH_NODES: Final = frozenset({"Graph", "GraphGraphPattern"})  # algebra, raw (in EXISTS)
_OUTSIDE_NODES: Final = frozenset({"ServiceGraphPattern", "DescribeQuery"})
_SKIPPED_KEYS: Final = frozenset({"_vars", "PV"})
_REFUSED_WORDS: Final = frozenset({"from", "service", "describe", "base"})


class GraphScope:
    """Tells whether a query reads nothing but some named graphs (thread-safe, cached)."""

    def __init__(
        self,
        graphs: Iterable[str],
        *,
        prefixes: Mapping[str, str] = PREFIXES,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self._graphs = frozenset(graphs)
        self._namespaces = {name: Namespace(iri) for name, iri in prefixes.items()}
        self._cache_size = cache_size
        self._cache: OrderedDict[str, bool] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._parse_lock = threading.Lock()  # pyparsing's parser is not known to be thread-safe

    @property
    def graphs(self) -> frozenset[str]:
        """The graph IRIs a query may read and still be inside."""
        return self._graphs

    def cached(self) -> int:
        """How many verdicts the cache holds."""
        with self._cache_lock:
            return len(self._cache)

    def contains(self, sparql: str) -> bool:
        """Whether every triple pattern of ``sparql`` is inside ``GRAPH <g>`` of these graphs."""
        if len(sparql) > MAX_PARSED_CHARS:
            return False
        with self._cache_lock:
            verdict = self._cache.get(sparql)
            if verdict is not None:
                self._cache.move_to_end(sparql)
                return verdict
        verdict = self._decide(sparql)
        with self._cache_lock:
            self._cache[sparql] = verdict
            self._cache.move_to_end(sparql)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return verdict

    def _decide(self, sparql: str) -> bool:
        if "\\u" in sparql or "\\U" in sparql:
            return False
        words = keywords(sparql)
        if "graph" not in words or words & _REFUSED_WORDS:
            return False
        try:
            with self._parse_lock:
                query = translateQuery(parseQuery(sparql), initNs=self._namespaces)
        except Exception as err:  # any parser failure only means "not known to be inside"
            logger.debug("scope: rdflib cannot read the query (%s); not inside", err)
            return False
        algebra = query.algebra
        if algebra.name not in _QUERY_FORMS or _field(algebra, "datasetClause"):
            return False
        try:
            return self._inside(_field(algebra, "p"), in_graph=False)
        except RecursionError:
            return False

    def _inside(self, node: object, *, in_graph: bool) -> bool:
        """Whether every triple pattern under ``node`` is inside one of the graphs."""
        if isinstance(node, CompValue):
            if node.name in _OUTSIDE_NODES:
                return False
            if node.name in _GRAPH_NODES:
                term = _field(node, "term")
                if not (isinstance(term, URIRef) and str(term) in self._graphs):
                    return False
                in_graph = True
            elif _field(node, "triples") and not in_graph:
                return False
            return all(
                self._inside(value, in_graph=in_graph)
                for key, value in node.items()
                if key not in _SKIPPED_KEYS
            )
        if isinstance(node, list | tuple | set | frozenset):
            return all(self._inside(item, in_graph=in_graph) for item in node)
        if isinstance(node, dict):
            return all(self._inside(item, in_graph=in_graph) for item in node.values())
        return True


def _field(node: CompValue, key: str) -> object:
    """A field of an algebra node, ``None`` when absent (``CompValue.get`` returns the key)."""
    return dict.get(node, key)
