"""JSONPath segments and filter expressions compiled into plain Python selection functions.

``jsonpath`` walks name/index steps itself; every other query used to run on the node
objects of ``jsonpath-rfc9535`` (tens of microseconds for a FHIR ``code.coding`` filter).
``compile_selection`` turns a query made of child segments — name, index, wildcard and
filter selectors, several per segment — into one function ``target -> values`` that does
``dict``/``list`` lookups only (on decoded payloads: plain ``dict``, ``list``, scalars).
Filters become predicates: ``&&``, ``||``, ``!``, comparisons of singular queries and
literals, and existence tests, with the library's exact semantics (``true`` is not ``1``;
a missing value equals only another missing one; ``<`` compares only two strings or two
non-boolean numbers). Descendant segments, slices and function extensions are not
compiled: ``compile_selection`` returns ``None`` and the caller keeps the library's query.
A differential test holds both equal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import jsonpath_rfc9535 as jsonpath
from jsonpath_rfc9535.filter_expressions import (
    BooleanLiteral,
    ComparisonExpression,
    FilterExpression,
    FilterQuery,
    FloatLiteral,
    IntegerLiteral,
    LogicalExpression,
    NullLiteral,
    PrefixExpression,
    RelativeFilterQuery,
    RootFilterQuery,
    StringLiteral,
)
from jsonpath_rfc9535.segments import JSONPathChildSegment
from jsonpath_rfc9535.selectors import (
    FilterSelector,
    IndexSelector,
    NameSelector,
    WildcardSelector,
)

__all__ = ["Selection", "compile_selection", "walk"]

Selection = Callable[[Any], list[Any]]
"""Every value a query selects from its target, in document order."""

_Selector = Callable[[Any, Any, list[Any]], None]  # (node, root, out): append what it selects
_Predicate = Callable[[Any, Any], bool]  # (current, root)
_Operand = Callable[[Any, Any], Any]  # (current, root) -> a value or _ABSENT


class _Absent:
    """A singular query in a filter that selected nothing (the library's empty node list)."""

    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Final = _Absent()
_LITERALS: Final = (StringLiteral, IntegerLiteral, FloatLiteral, BooleanLiteral, NullLiteral)


class _NotCompiled(Exception):
    """The query uses something outside the compiled subset."""


def walk(value: Any, steps: tuple[str | int, ...], missing: Any) -> Any:
    """Follow name/index steps with RFC 9535 semantics; ``missing`` when nothing is there."""
    for step in steps:
        if isinstance(step, str):
            if type(value) is not dict:
                return missing
            value = value.get(step, missing)
            if value is missing:
                return missing
        else:
            if type(value) is not list:
                return missing
            try:
                value = value[step]
            except IndexError:
                return missing
    return value


def compile_selection(query: jsonpath.JSONPathQuery) -> Selection | None:
    """``query`` as one selection function, or ``None`` when it needs the library."""
    prefix = _singular_prefix(query.segments)
    try:
        segments = tuple(_segment(segment) for segment in query.segments[len(prefix) :])
    except _NotCompiled:
        return None
    select = _selection(segments)
    if not prefix:
        return lambda target: select(target, target)

    def walk_then_select(target: Any) -> list[Any]:
        node = walk(target, prefix, _ABSENT)  # the leading name/index steps: plain lookups
        return [] if node is _ABSENT else select(node, target)

    return walk_then_select


def _singular_prefix(segments: Any) -> tuple[str | int, ...]:
    """The leading segments that are one name or index selector each, as steps."""
    steps: list[str | int] = []
    for segment in segments:
        if type(segment) is not JSONPathChildSegment or len(segment.selectors) != 1:
            break
        selector = segment.selectors[0]
        if isinstance(selector, NameSelector):
            steps.append(selector.name)
        elif isinstance(selector, IndexSelector):
            steps.append(selector.index)
        else:
            break
    return tuple(steps)


def _selection(segments: tuple[tuple[_Selector, ...], ...]) -> Callable[[Any, Any], list[Any]]:
    """``(target, root) -> values``: ``root`` is what ``$`` means inside filters."""

    def select(target: Any, root: Any) -> list[Any]:
        nodes = [target]
        for selectors in segments:
            out: list[Any] = []
            for node in nodes:
                for selector in selectors:
                    selector(node, root, out)
            if not out:
                return out
            nodes = out
        return nodes

    return select


def _segment(segment: Any) -> tuple[_Selector, ...]:
    if type(segment) is not JSONPathChildSegment:
        raise _NotCompiled("descendant segment")
    return tuple(_selector(selector) for selector in segment.selectors)


def _selector(selector: Any) -> _Selector:
    if isinstance(selector, NameSelector):
        return _name(selector.name)
    if isinstance(selector, IndexSelector):
        return _index(selector.index)
    if isinstance(selector, WildcardSelector):
        return _wildcard
    if isinstance(selector, FilterSelector):
        return _filter(_test(selector.expression))
    raise _NotCompiled(type(selector).__name__)


def _name(name: str) -> _Selector:
    def select(node: Any, _root: Any, out: list[Any]) -> None:
        if type(node) is dict:
            value = node.get(name, _ABSENT)
            if value is not _ABSENT:
                out.append(value)

    return select


def _index(index: int) -> _Selector:
    def select(node: Any, _root: Any, out: list[Any]) -> None:
        if type(node) is list:
            try:  # noqa: SIM105 (contextlib.suppress costs a context manager: hot path)
                out.append(node[index])
            except IndexError:
                pass

    return select


def _wildcard(node: Any, _root: Any, out: list[Any]) -> None:
    if type(node) is dict:
        out.extend(node.values())
    elif type(node) is list:
        out.extend(node)


def _filter(test: _Predicate) -> _Selector:
    def select(node: Any, root: Any, out: list[Any]) -> None:
        if type(node) is dict:
            members: Any = node.values()
        elif type(node) is list:
            members = node
        else:
            return
        for member in members:
            if test(member, root):
                out.append(member)

    return select


# --- filter expressions -----------------------------------------------------------------


def _test(expression: Any) -> _Predicate:
    """A logical expression (what a filter, ``&&``, ``||`` and ``!`` take) as a predicate."""
    conjuncts = _member_tests(expression)
    if conjuncts is not None:
        return _members_equal(conjuncts)
    if isinstance(expression, FilterExpression):
        return _test(expression.expression)
    if isinstance(expression, LogicalExpression):
        left, right = _test(expression.left), _test(expression.right)
        if expression.operator == "&&":
            return lambda current, root: left(current, root) and right(current, root)
        if expression.operator == "||":
            return lambda current, root: left(current, root) or right(current, root)
        raise _NotCompiled(expression.operator)
    if isinstance(expression, PrefixExpression):
        if expression.operator != "!":
            raise _NotCompiled(expression.operator)
        inner = _test(expression.right)
        return lambda current, root: not inner(current, root)
    if isinstance(expression, ComparisonExpression):
        return _comparison(expression)
    if isinstance(expression, FilterQuery):
        return _existence(expression)
    raise _NotCompiled(type(expression).__name__)


_Conjuncts = tuple[tuple[str, tuple[str, ...]], ...]  # every (member, texts): member in texts


def _member_tests(expression: Any) -> _Conjuncts | None:
    """``@.a == 'x' && (@.b == 'y' || @.b == 'z')`` as ``(("a", ("x",)), ("b", ("y", "z")))``:
    the FHIR coding filters. ``None`` for any other shape."""
    if isinstance(expression, FilterExpression):
        return _member_tests(expression.expression)
    if isinstance(expression, ComparisonExpression):
        direct = _name_equals_text(expression) if expression.operator == "==" else None
        return None if direct is None else ((direct[0], (direct[1],)),)
    if not isinstance(expression, LogicalExpression):
        return None
    left, right = _member_tests(expression.left), _member_tests(expression.right)
    if left is None or right is None:
        return None
    if expression.operator == "&&":
        return left + right
    if expression.operator == "||" and len(left) == len(right) == 1 and left[0][0] == right[0][0]:
        return ((left[0][0], left[0][1] + right[0][1]),)
    return None


def _members_equal(conjuncts: _Conjuncts) -> _Predicate:
    """Every member equals one of its texts (``in`` compares with ``==``, never hashes)."""
    if len(conjuncts) == 1 and len(conjuncts[0][1]) == 1:
        name, (text,) = conjuncts[0]
        return lambda current, _root: type(current) is dict and current.get(name) == text

    def test(current: Any, _root: Any) -> bool:
        if type(current) is not dict:
            return False
        for name, texts in conjuncts:  # noqa: SIM110 (a generator costs a frame: hot path)
            if current.get(name) not in texts:
                return False
        return True

    return test


def _existence(expression: FilterQuery) -> _Predicate:
    """``@.a`` / ``$.a`` as a test: does the query select anything?"""
    relative = isinstance(expression, RelativeFilterQuery)
    if not relative and not isinstance(expression, RootFilterQuery):
        raise _NotCompiled(type(expression).__name__)
    if not expression.query.segments:
        if not relative:
            return lambda _current, _root: True  # `$` always selects the root
        # `@` alone: the library tests the current value's truthiness unless it is a container
        return lambda current, _root: (
            current is None or type(current) is dict or type(current) is list or bool(current)
        )
    segments = tuple(_segment(segment) for segment in expression.query.segments)
    select = _selection(segments)
    if relative:  # the library runs it as a query of its own: `$` inside means `current`
        return lambda current, _root: bool(select(current, current))
    return lambda _current, root: bool(select(root, root))


def _comparison(expression: ComparisonExpression) -> _Predicate:
    operator = expression.operator
    direct = _name_equals_text(expression)
    if direct is not None:
        name, text = direct
        if operator == "==":
            return lambda current, _root: type(current) is dict and current.get(name) == text
        if operator == "!=":
            return lambda current, _root: not (type(current) is dict and current.get(name) == text)
    left, right = _operand(expression.left), _operand(expression.right)
    if operator == "==":
        return lambda current, root: _equal(left(current, root), right(current, root))
    if operator == "!=":
        return lambda current, root: not _equal(left(current, root), right(current, root))
    if operator == "<":
        return lambda current, root: _less(left(current, root), right(current, root))
    if operator == ">":
        return lambda current, root: _less(right(current, root), left(current, root))
    if operator == "<=":
        return lambda current, root: _less_or_equal(left(current, root), right(current, root))
    if operator == ">=":
        return lambda current, root: _less_or_equal(right(current, root), left(current, root))
    raise _NotCompiled(operator)


def _name_equals_text(expression: ComparisonExpression) -> tuple[str, str] | None:
    """``(name, text)`` for ``@.name == 'text'`` (either way round), the usual filter.

    Then ``==`` is plain ``dict.get(name) == text``: an absent member (``None``), a
    boolean, a number or a container never equals a string.
    """
    sides = (expression.left, expression.right)
    for query, literal in (sides, sides[::-1]):
        if (
            isinstance(query, RelativeFilterQuery)
            and isinstance(literal, StringLiteral)
            and len(query.query.segments) == 1
            and type(query.query.segments[0]) is JSONPathChildSegment
            and len(query.query.segments[0].selectors) == 1
            and isinstance(query.query.segments[0].selectors[0], NameSelector)
        ):
            return query.query.segments[0].selectors[0].name, literal.value
    return None


def _operand(expression: Any) -> _Operand:
    """A comparable: a literal, or a singular query (name/index steps) that may be absent."""
    if isinstance(expression, _LITERALS):
        value = expression.value
        return lambda _current, _root: value
    relative = isinstance(expression, RelativeFilterQuery)
    if not relative and not isinstance(expression, RootFilterQuery):
        raise _NotCompiled(type(expression).__name__)
    steps: list[str | int] = []
    for segment in expression.query.segments:
        if type(segment) is not JSONPathChildSegment or len(segment.selectors) != 1:
            raise _NotCompiled("a comparison needs a singular query")
        selector = segment.selectors[0]
        if isinstance(selector, NameSelector):
            steps.append(selector.name)
        elif isinstance(selector, IndexSelector):
            steps.append(selector.index)
        else:
            raise _NotCompiled("a comparison needs a singular query")
    path = tuple(steps)
    if relative:
        return lambda current, _root: walk(current, path, _ABSENT)
    return lambda _current, root: walk(root, path, _ABSENT)


def _equal(one: Any, two: Any) -> bool:
    """The library's ``==``: absent equals only absent; a boolean equals only a boolean."""
    if one is _ABSENT or two is _ABSENT:
        return one is two
    if isinstance(two, bool):
        one, two = two, one
    if isinstance(one, bool):
        return isinstance(two, bool) and one == two
    return bool(one == two)


def _less(one: Any, two: Any) -> bool:
    """The library's ``<``: two strings, or two numbers that are not booleans."""
    if isinstance(one, str) and isinstance(two, str):
        return one < two
    if isinstance(one, bool) or isinstance(two, bool):
        return False
    if isinstance(one, int | float) and isinstance(two, int | float):
        return bool(one < two)
    return False


def _less_or_equal(one: Any, two: Any) -> bool:
    return _less(one, two) or _equal(one, two)
