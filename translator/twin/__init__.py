"""The application layer's data side: the RDF store (history, latest state, things, meta),
SPARQL with limits, query output formats, retention, and the dead-letter store."""

from translator.twin.deadletter import DeadLetter, DeadLetterStore
from translator.twin.sparql import AskResult, GraphResult, QueryResult, SelectResult
from translator.twin.state import StateEntry
from translator.twin.store import MappingRef, TwinStore, WriteStats

__all__ = [
    "AskResult",
    "DeadLetter",
    "DeadLetterStore",
    "GraphResult",
    "MappingRef",
    "QueryResult",
    "SelectResult",
    "StateEntry",
    "TwinStore",
    "WriteStats",
]
