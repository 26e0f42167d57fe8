"""JSONPath (RFC 9535) queries compiled once per mapping, run per message.

A query is parsed at load by ``jsonpath-rfc9535``. Singular queries made only of name and
index selectors (``$.a.b[0]``, ``@.v``) — nearly every path in a mapping — are then turned
into a tuple of direct key/index steps, so the hot path does a few ``dict``/``list`` lookups
instead of walking the library's node objects. A trailing wildcard (``$[*]``, the usual
``foreach``) is fast too. Other queries of child segments — filters such as FHIR's
``$.code.coding[?@.system == 'http://loinc.org']``, several selectors per segment — run as
one compiled selection function (``pathcompile``). Anything else (slices, descendants,
function extensions) runs the library's compiled query.

A query starting with ``@`` is *relative*: it runs against the current ``foreach`` item
(inside a relative query, ``$`` in a filter also means that item).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import jsonpath_rfc9535 as jsonpath
from jsonpath_rfc9535.segments import JSONPathChildSegment
from jsonpath_rfc9535.selectors import IndexSelector, NameSelector, WildcardSelector

from translator.mapping.pathcompile import Selection, compile_selection, walk

__all__ = ["MISSING", "PathQuery", "PathQueryError", "PathSyntaxError", "compile_path"]


class _Missing:
    """The sentinel type of ``MISSING``: a path that selected nothing."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
"""Returned by ``PathQuery.one`` when the query selects no node."""

_ENV: Final = jsonpath.JSONPathEnvironment()


class PathSyntaxError(ValueError):
    """A query does not parse as RFC 9535 JSONPath (raised at load only)."""


class PathQueryError(ValueError):
    """A query failed on a document (recursion limit, type error in a filter)."""


Step = str | int


@dataclass(frozen=True, slots=True)
class PathQuery:
    """One compiled JSONPath query.

    ``steps`` is set for queries made of name/index selectors (the fast path), optionally
    ending in one wildcard (``$[*]``, ``$.items[*]``: ``wildcard``); ``query`` otherwise,
    with ``select`` when the query compiles to a selection function.
    """

    text: str
    relative: bool
    steps: tuple[Step, ...] | None
    wildcard: bool = False
    query: jsonpath.JSONPathQuery | None = field(default=None, compare=False, repr=False)
    key: str | None = None  # set when the query is one name step ($.temperature, @.v)
    select: Selection | None = field(default=None, compare=False, repr=False)

    @property
    def singular(self) -> bool:
        """True when the query can select at most one node."""
        return self.steps is not None and not self.wildcard

    def values(self, root: Any, item: Any = None) -> list[Any]:
        """Every value the query selects (in document order)."""
        target = item if self.relative else root
        steps = self.steps
        if steps is not None:
            found = walk(target, steps, MISSING)
            if self.wildcard:
                if type(found) is list:
                    return found
                return list(found.values()) if type(found) is dict else []
            return [] if found is MISSING else [found]
        if self.select is not None:
            return self.select(target)
        assert self.query is not None
        try:
            return [node.value for node in self.query.finditer(target)]
        except (jsonpath.JSONPathError, RecursionError) as err:
            raise PathQueryError(f"{self.text}: {err}") from err

    def one(self, root: Any, item: Any = None) -> Any:
        """The single selected value, ``MISSING`` if none.

        Raises:
            PathQueryError: the query selected more than one node.
        """
        if self.steps is not None and not self.wildcard:
            return walk(item if self.relative else root, self.steps, MISSING)
        found = self.values(root, item)
        if not found:
            return MISSING
        if len(found) > 1:
            raise PathQueryError(
                f"{self.text} selects {len(found)} values, expected one (use foreach)"
            )
        return found[0]


def compile_path(text: str, *, allow_relative: bool = True) -> PathQuery:
    """Parse ``text`` once; choose the fast step walk when the query allows it.

    Raises:
        PathSyntaxError: ``text`` is not a JSONPath query (message says why).
    """
    relative = text.startswith("@")
    if relative and not allow_relative:
        raise PathSyntaxError(f"relative path {text!r} is only allowed inside a 'foreach' reading")
    if not (relative or text.startswith("$")):
        raise PathSyntaxError(f"{text!r} is not a JSONPath query: it must start with '$' or '@'")
    absolute = "$" + text[1:] if relative else text
    try:
        query = _ENV.compile(absolute)
    except jsonpath.JSONPathError as err:
        raise PathSyntaxError(f"bad JSONPath {text!r}: {_describe(err)}") from err
    shape = _fast_shape(query)
    if shape is None:
        select = compile_selection(query)
        return PathQuery(text=text, relative=relative, steps=None, query=query, select=select)
    steps, wildcard = shape
    key = steps[0] if len(steps) == 1 and isinstance(steps[0], str) and not wildcard else None
    return PathQuery(text=text, relative=relative, steps=steps, wildcard=wildcard, key=key)


def _fast_shape(query: jsonpath.JSONPathQuery) -> tuple[tuple[Step, ...], bool] | None:
    """The query as key/index steps (plus a final wildcard), or ``None`` if it needs the
    library."""
    steps: list[Step] = []
    segments = query.segments
    for position, segment in enumerate(segments):
        if type(segment) is not JSONPathChildSegment or len(segment.selectors) != 1:
            return None
        selector = segment.selectors[0]
        if isinstance(selector, NameSelector):
            steps.append(selector.name)
        elif isinstance(selector, IndexSelector):
            steps.append(selector.index)
        elif isinstance(selector, WildcardSelector) and position == len(segments) - 1:
            return tuple(steps), True
        else:
            return None
    return tuple(steps), False


def _describe(err: jsonpath.JSONPathError) -> str:
    """The library's message, with its ``line 1`` noise removed for one-line queries."""
    message = str(err)
    return message.replace(", line 1, column ", " at column ")
