"""Channel patterns (``zigbee2mqtt/{device}``), their MQTT topic filters, and a fast matcher.

A pattern is ``/``-separated levels. A level is literal text, or holds one ``{name}`` (one
whole level, optionally with literal text around it: ``{device}_sensor``), or is the last
level ``{name+}`` (the rest: one or more levels). For MQTT, ``+`` and ``#`` are accepted as
anonymous ``{…}``/``{…+}``. As in MQTT, a pattern starting with a wildcard never matches a
``$``-topic.

``ChannelIndex`` answers "which patterns match this channel" with a dictionary lookup for
patterns without wildcards, then only the patterns whose first literal level equals the
channel's (plus those starting with a wildcard) try their regex.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from translator.values import Protocol

__all__ = [
    "ChannelIndex",
    "ChannelPattern",
    "ChannelSyntaxError",
    "covering_filters",
    "parse_channel",
]

_LEVEL: Final = re.compile(
    r"(?P<pre>[^{}]*)(?:\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<rest>\+)?\}(?P<post>[^{}]*))?"
)

T = TypeVar("T")


class ChannelSyntaxError(ValueError):
    """A channel pattern in a mapping file is malformed."""


@dataclass(frozen=True, slots=True)
class ChannelPattern:
    """A compiled channel pattern."""

    text: str
    protocol: Protocol
    variables: tuple[str, ...]
    literal: str | None  # the whole channel when the pattern has no wildcard
    first_level: str | None  # literal first level (index key); None if it holds a wildcard
    regex: re.Pattern[str] | None
    topic_filter: str
    specificity: tuple[int, int, int]  # (no rest wildcard, literal levels, literal characters)

    def match(self, channel: str) -> dict[str, str] | None:
        """The captured variables when ``channel`` matches, else ``None``."""
        if self.regex is None:
            return {} if channel == self.literal else None
        found = self.regex.fullmatch(channel)
        return None if found is None else found.groupdict()


def parse_channel(text: str, protocol: Protocol) -> ChannelPattern:
    """Compile a pattern for ``protocol``.

    Raises:
        ChannelSyntaxError: bad braces, a wildcard not alone in its level where required, a
            rest wildcard not last, a repeated variable.
    """
    if protocol is not Protocol.MQTT:
        text = text.lstrip("/")
    if not text:
        raise ChannelSyntaxError("the channel is empty")
    levels = [_compile_level(level, protocol, text) for level in text.split("/")]
    for level in levels[:-1]:
        if level.rest:
            raise ChannelSyntaxError(f"channel {text!r}: a rest wildcard must be the last level")
    names = [level.name for level in levels if level.name]
    for name in names:
        if names.count(name) > 1:
            raise ChannelSyntaxError(f"channel {text!r}: variable {{{name}}} appears twice")
    wild = any(not level.literal for level in levels)
    pieces = [level.regex for level in levels]
    if protocol is Protocol.MQTT and levels[0].starts_wild:
        pieces[0] = "(?!\\$)" + pieces[0]  # MQTT: wildcards never match $SYS-like topics
    return ChannelPattern(
        text=text,
        protocol=protocol,
        variables=tuple(names),
        literal=None if wild else text,
        first_level=levels[0].text if levels[0].literal else None,
        regex=re.compile("/".join(pieces)) if wild else None,
        topic_filter="/".join(level.topic_filter for level in levels),
        specificity=(
            0 if levels[-1].rest else 1,
            sum(1 for level in levels if level.literal),
            sum(level.literal_chars for level in levels),
        ),
    )


@dataclass(frozen=True, slots=True)
class _Level:
    text: str
    regex: str
    topic_filter: str
    name: str | None = None
    literal: bool = False
    rest: bool = False
    starts_wild: bool = False
    literal_chars: int = 0


def _compile_level(level: str, protocol: Protocol, text: str) -> _Level:
    """One level as its regex piece, MQTT filter level and variable."""
    if protocol is Protocol.MQTT and level in ("+", "#"):
        is_rest = level == "#"
        return _Level(level, ".+" if is_rest else "[^/]+", level, rest=is_rest, starts_wild=True)
    found = _LEVEL.fullmatch(level)
    if found is None:
        raise ChannelSyntaxError(
            f"channel {text!r}: level {level!r} must be literal text or hold one {{name}}"
        )
    pre, name, rest, post = found.group("pre", "name", "rest", "post")
    if protocol is Protocol.MQTT and any(ch in pre + (post or "") for ch in "+#"):
        raise ChannelSyntaxError(
            f"channel {text!r}: '+' and '#' must stand alone in a level; or use {{name}}"
        )
    if name is None:
        return _Level(level, re.escape(level), level, literal=True, literal_chars=len(level))
    if rest:
        if pre or post:
            raise ChannelSyntaxError(f"channel {text!r}: {{{name}+}} must be the whole level")
        return _Level(level, f"(?P<{name}>.+)", "#", name, rest=True, starts_wild=True)
    piece = f"{re.escape(pre)}(?P<{name}>[^/]+){re.escape(post)}"
    return _Level(level, piece, "+", name, starts_wild=not pre, literal_chars=len(pre + post))


@dataclass(frozen=True, slots=True)
class _Group(Generic[T]):
    """Targets sharing one pattern: its regex runs once for all of them."""

    pattern: ChannelPattern
    entries: list[tuple[int, T]]


class ChannelIndex(Generic[T]):
    """Patterns of many mappings, indexed for matching; ``T`` is what a match returns."""

    __slots__ = ("_by_first", "_exact", "_memo", "_memo_limit", "_wild")

    def __init__(self, entries: Iterable[tuple[ChannelPattern, T]], memo_limit: int = 8192):
        """Index ``(pattern, target)`` pairs given in rank order (best first).

        Answers are remembered per (protocol, channel) — devices publish on the same channels
        again and again — in a table cleared whenever it reaches ``memo_limit`` entries.
        """
        self._memo: dict[tuple[str, str], tuple[tuple[T, dict[str, str]], ...]] = {}
        self._memo_limit = memo_limit
        # Keyed by the protocol's plain string: hashing an Enum member runs Python code.
        self._exact: dict[tuple[str, str], list[tuple[int, T]]] = {}
        self._by_first: dict[tuple[str, str], list[_Group[T]]] = {}
        self._wild: dict[str, list[_Group[T]]] = {}
        groups: dict[tuple[Protocol, str], _Group[T]] = {}
        for rank, (pattern, target) in enumerate(entries):
            protocol = pattern.protocol.value
            if pattern.literal is not None:
                key = (protocol, pattern.literal)
                self._exact.setdefault(key, []).append((rank, target))
                continue
            group = groups.get((pattern.protocol, pattern.text))
            if group is None:
                group = groups[(pattern.protocol, pattern.text)] = _Group(pattern, [])
                if pattern.first_level is not None:
                    key = (protocol, pattern.first_level)
                    self._by_first.setdefault(key, []).append(group)
                else:
                    self._wild.setdefault(protocol, []).append(group)
            group.entries.append((rank, target))

    def match(self, protocol: Protocol, channel: str) -> tuple[tuple[T, dict[str, str]], ...]:
        """Targets whose pattern matches, best rank first, with the captured variables.

        The captured dictionaries are shared (between targets of one pattern, and between
        calls): read them, never change them.
        """
        name: str = protocol._value_
        key = (name, channel)
        known = self._memo.get(key)
        if known is not None:
            return known
        answer = self._match(name, channel)
        if len(self._memo) >= self._memo_limit:
            self._memo.clear()
        self._memo[key] = answer
        return answer

    def find(self, protocol: Protocol, channel: str) -> tuple[tuple[T, dict[str, str]], ...]:
        """Like ``match``, without remembering the answer (for callers that remember it)."""
        return self._match(protocol._value_, channel)

    def _match(self, name: str, channel: str) -> tuple[tuple[T, dict[str, str]], ...]:
        found: list[tuple[int, T, dict[str, str]]] = []
        sources = 0
        exact = self._exact.get((name, channel))
        if exact:
            sources = 1
            for rank, target in exact:
                found.append((rank, target, {}))
        first = channel.partition("/")[0]
        for groups in (self._by_first.get((name, first), ()), self._wild.get(name, ())):
            for group in groups:
                captured = group.pattern.match(channel)
                if captured is not None:
                    sources += 1
                    for rank, target in group.entries:
                        found.append((rank, target, captured))
        if sources > 1:  # each source is already in rank order
            found.sort(key=_rank)
        return tuple((target, captured) for _, target, captured in found)


def _rank(item: tuple[int, object, object]) -> int:
    return item[0]


def covering_filters(filters: Sequence[str]) -> list[str]:
    """The distinct MQTT filters, without those another filter already covers; sorted."""
    unique = sorted(set(filters))
    return [f for f in unique if not any(g != f and _covers(g, f) for g in unique)]


def _covers(general: str, specific: str) -> bool:
    """Whether every topic ``specific`` matches is matched by ``general``."""
    g_levels, s_levels = general.split("/"), specific.split("/")
    for index, g in enumerate(g_levels):
        if g == "#":  # also matches the parent level: 'a/#' covers 'a'
            return not (index == 0 and s_levels[0].startswith("$"))
        if index >= len(s_levels):
            return False
        s = s_levels[index]
        if s == "#" or (g != "+" and g != s) or (g == "+" and index == 0 and s.startswith("$")):
            return False
    return len(g_levels) == len(s_levels)
