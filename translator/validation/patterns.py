"""``sh:pattern``: Python ``re`` search, with an exact shortcut for one-class patterns.

``matcher(source, flags)`` returns ``match(text) -> bool``, what ``re.search`` says. The
patterns shapes most often carry fix one character class and a length, like the payload
digest's ``^[0-9a-f]{64}$``; such a pattern is answered with ``str.strip`` and ``len``
instead of the regular-expression engine (four times cheaper on 64 characters): the class
lists ASCII letters, digits and ranges of them, the quantifier is ``{n}``, ``{m,n}``,
``+`` or ``*``, no flag is set, and ``$`` keeps its Python meaning (the end, or just before
a final newline). Anything else is compiled with ``re``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Final

_SIMPLE: Final = re.compile(
    r"\^\[((?:[A-Za-z0-9](?:-[A-Za-z0-9])?)+)\](\{(\d+)(,(\d*))?\}|\+|\*)\$"
)
_ITEM: Final = re.compile(r"([A-Za-z0-9])(?:-([A-Za-z0-9]))?")
_RUNS: Final = (string.digits, string.ascii_lowercase, string.ascii_uppercase)
_UNBOUNDED: Final = 2**62


def matcher(source: str, flags: int) -> Callable[[str], bool]:
    """``match(text)``: whether ``re.search(source, text, flags)`` finds a match.

    Raises ``re.error`` for a pattern Python cannot compile.
    """
    regex = re.compile(source, flags)
    simple = None if flags else _one_class(source)
    if simple is not None:
        return simple
    search = regex.search
    return lambda text: search(text) is not None


def _one_class(source: str) -> Callable[[str], bool] | None:
    """The exact ``str`` test of ``^[class]{m,n}$``, or None for any other pattern."""
    found = _SIMPLE.fullmatch(source)
    if found is None:
        return None
    chars = _expand(found.group(1))
    if chars is None:
        return None
    quantifier = found.group(2)
    if quantifier == "+":
        low, high = 1, _UNBOUNDED
    elif quantifier == "*":
        low, high = 0, _UNBOUNDED
    else:
        low = int(found.group(3))
        upper = found.group(5)
        high = low if found.group(4) is None else (int(upper) if upper else _UNBOUNDED)
        if high < low:
            return None  # re.compile refuses it too; let it say so
    return _class_test(chars, low, high)


def _expand(items: str) -> str | None:
    """The characters of a class body such as ``0-9a-f``; None for an odd range."""
    chars: list[str] = []
    for first, last in _ITEM.findall(items):
        if not last:
            chars.append(first)
            continue
        run = next((r for r in _RUNS if first in r and last in r), None)
        if run is None or run.index(first) > run.index(last):
            return None  # across kinds (a-Z) or backwards: leave it to re
        chars.append(run[run.index(first) : run.index(last) + 1])
    return "".join(chars)


def _class_test(chars: str, low: int, high: int) -> Callable[[str], bool]:
    def match(text: str) -> bool:
        if text[-1:] == "\n":  # "$" matches at the end and just before a final newline
            text = text[:-1]
        return low <= len(text) <= high and not text.strip(chars)

    return match
