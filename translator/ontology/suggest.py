"""Find the name an author meant: exact, then case-insensitive, then normalized, then fuzzy.

Used by the vocabulary to answer "did you mean DEG_C?" for units and properties. Built once
per vocabulary; lookups are dictionary hits plus, at worst, one ``difflib`` pass.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

_NOISE = re.compile(r"[\s_\-.·*/^()\[\]{}]+")
_FUZZY_CUTOFF = 0.75
_MIN_WORD = 4


def normalize(text: str) -> str:
    """Lower case, ``°`` spelt ``deg``, separators and brackets dropped: ``°C`` -> ``degc``."""
    return _NOISE.sub("", text.replace("°", "deg").replace("µ", "u").replace("μ", "u").lower())


@dataclass(frozen=True, slots=True)
class NameIndex:
    """Keys (names, labels, symbols, codes) -> the target name they stand for."""

    exact: Mapping[str, str]
    folded: Mapping[str, str]
    normalized: Mapping[str, str]
    words: Mapping[str, str]  # single words of multi-word keys ("celsius" of "Degree Celsius")

    def find(self, text: str) -> str | None:
        """The target ``text`` most likely means, or ``None`` when nothing is close.

        Tried in order: exact key, case-folded, normalized, fuzzy (``difflib``) over the
        normalized keys, then one word of a multi-word key.
        """
        for table, key in (
            (self.exact, text),
            (self.folded, text.casefold()),
            (self.normalized, normalize(text)),
        ):
            if key in table:
                return table[key]
        key = normalize(text)
        if not key:
            return None
        close = difflib.get_close_matches(key, list(self.normalized), n=1, cutoff=_FUZZY_CUTOFF)
        if close:
            return self.normalized[close[0]]
        return self.words.get(key)


def build_index(entries: Iterable[tuple[str, str]]) -> NameIndex:
    """Index ``(key, target)`` pairs given in priority order: the first claim of a key wins."""
    exact: dict[str, str] = {}
    folded: dict[str, str] = {}
    normalized: dict[str, str] = {}
    words: dict[str, str] = {}
    for key, target in entries:
        exact.setdefault(key, target)
        folded.setdefault(key.casefold(), target)
        if normalize(key):
            normalized.setdefault(normalize(key), target)
        for word in key.split():
            if len(normalize(word)) >= _MIN_WORD:
                words.setdefault(normalize(word), target)
    return NameIndex(
        MappingProxyType(exact),
        MappingProxyType(folded),
        MappingProxyType(normalized),
        MappingProxyType(words),
    )
