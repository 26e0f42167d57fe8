"""Tables of remembered answers (per channel, per thing) that share one size bound.

The hot path remembers what repeats from envelope to envelope — a channel's candidates, its
provenance, a thing's description — in plain ``dict``s keyed by strings, one per mapping
or protocol so no tuple key is built per message. Whatever channels arrive, the tables of
one ``MemoBudget`` hold at most ``limit`` entries together: when they reach it, all are
cleared and fill again from the traffic that follows.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MemoBudget"]


class MemoBudget:
    """One size bound shared by several tables."""

    __slots__ = ("_size", "_tables", "limit")

    def __init__(self, limit: int):
        self.limit = limit
        self._tables: list[dict[Any, Any]] = []
        self._size = 0

    def table(self) -> dict[Any, Any]:
        """A new empty table under this bound."""
        table: dict[Any, Any] = {}
        self._tables.append(table)
        return table

    def put(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        """``table[key] = value``, first clearing every table if the bound is reached."""
        if self._size >= self.limit:
            for each in self._tables:
                each.clear()
            self._size = 0
        if key not in table:
            self._size += 1
        table[key] = value
