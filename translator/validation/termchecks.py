"""Term tests of the fast path, answered once per term and cached across messages.

What a demand asks of a value as a term (a kind, a member set, ``sh:datatype``, ranges,
patterns, lengths, languages) depends on the term alone, so ``TermChecks`` answers it once
per term and keeps the answer (bounded), one cache per distinct set of tests, shared by
every check that asks the same. A message's new literals (its time stamps, its payload
digest, some of its numbers) miss the cache, so the test itself is fused: the datatype is
compared, the lexical form parsed once with that datatype's parser, and ranges compare the
typed value (``TestRule.typed``), with no second cache on the way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, TypeAlias

import pyoxigraph as ox

from translator.rdf.namespaces import XSD
from translator.validation.compiled import DatatypeRule, TestRule
from translator.validation.conforming import value_test
from translator.validation.dataview import DataView
from translator.validation.literals import Parsed, lexical_parser, parse_literal
from translator.validation.terms import Term

TermCheck: TypeAlias = Callable[[DataView, Term], bool]
"""``test(view, term)``: whether the term passes (the view serves typed-value caches)."""
TermRule: TypeAlias = DatatypeRule | TestRule
TermKey: TypeAlias = tuple[frozenset[type] | None, frozenset[Term] | None, tuple[TermRule, ...]]

CACHE_LIMIT: Final = 4096  # terms whose answer one cache keeps, at most
_STAMPS: Final = frozenset(XSD + name for name in ("dateTime", "dateTimeStamp", "date", "time"))
"""Datatypes of time stamps: new in every message, not worth a cache by value."""
_Literal: Final = ox.Literal


class CachedTest:
    """A term test and its caches: the last term by identity, then (maybe) by value.

    ``last[0]`` is ``(term, answer)`` for the term answered last: a message shares one
    literal object between the readings of one time, so comparing identities answers those
    repeats without hashing the term (the memo holds the term: its identity is not reused).
    With ``by_value``, ``get(term)`` looks the answer up in a bounded cache by value (None:
    not known yet); without, every new term is computed (``get`` always says None), which
    is cheaper for terms that never repeat across messages, such as time stamps.
    ``fill(view, term)`` computes, remembers and returns the answer.
    """

    __slots__ = ("by_value", "fill", "get", "last", "test")

    def __init__(self, compute: TermCheck, *, by_value: bool = True) -> None:
        cache: dict[Term, bool] = {}
        get: Callable[[Term], bool | None] = cache.get if by_value else _unknown
        last: list[tuple[Term | None, bool]] = [(None, False)]

        def fill(view: DataView, term: Term) -> bool:
            """Compute the answer for ``term`` and keep it."""
            found = compute(view, term)
            if by_value:
                if len(cache) >= CACHE_LIMIT:
                    cache.clear()  # crude but bounded
                cache[term] = found
            last[0] = (term, found)
            return found

        def test(view: DataView, term: Term) -> bool:
            memo = last[0]  # one read: another thread may replace it, never tear it
            if memo[0] is term:
                return memo[1]
            found = get(term)
            if found is None:
                return fill(view, term)
            last[0] = (term, found)
            return found

        self.by_value = by_value
        self.get = get
        self.fill = fill
        self.last = last
        self.test: TermCheck = test


def _unknown(term: Term) -> None:
    return None


class TermChecks:
    """The cached term tests of one compiled shapes graph, one per distinct set of tests."""

    __slots__ = ("_found",)

    def __init__(self) -> None:
        self._found: dict[TermKey, CachedTest] = {}

    def cached(
        self,
        kinds: frozenset[type] | None,
        members: frozenset[Term] | None,
        rules: Sequence[TermRule],
    ) -> CachedTest:
        """The term is of one of ``kinds``, one of ``members`` and passes every rule."""
        key = (kinds, members, tuple(rules))
        found = self._found.get(key)
        if found is None:
            by_value = not any(
                isinstance(r, DatatypeRule) and r.datatype.value in _STAMPS for r in rules
            )
            found = CachedTest(term_test(kinds, members, rules), by_value=by_value)
            self._found[key] = found
        return found


def term_test(
    kinds: frozenset[type] | None, members: frozenset[Term] | None, rules: Sequence[TermRule]
) -> TermCheck:
    """The uncached test: kinds, members, then the rules (fused when a datatype leads)."""
    datatypes = [r for r in rules if isinstance(r, DatatypeRule)]
    typed = [r.typed for r in rules if isinstance(r, TestRule) and r.typed is not None]
    others = [
        value_test(r)
        for r in rules
        if not isinstance(r, DatatypeRule) and not (isinstance(r, TestRule) and r.typed)
    ]
    if len(datatypes) == 1:
        literal = _literal_test(datatypes[0], typed, others)
    elif not datatypes and typed:
        literal = _typed_test(typed, others)
    else:
        literal = _all_of([value_test(r) for r in rules])
    if kinds is None and members is None:
        return literal

    def test(view: DataView, term: Term) -> bool:
        if kinds is not None and type(term) not in kinds:
            return False
        if members is not None and term not in members:
            return False
        return literal(view, term)

    return test


def _literal_test(
    rule: DatatypeRule, typed: list[Callable[[Parsed], bool]], others: list[TermCheck]
) -> TermCheck:
    """sh:datatype, then the tests on the typed value, then the rest: one parse."""
    datatype = rule.datatype
    parse = lexical_parser(datatype.value)
    parsing = rule.checked or bool(typed)  # xsd:string & co. need no parse for the datatype
    rest = _all_of(others)

    def literal(view: DataView, term: Term) -> bool:
        if type(term) is not _Literal or term.datatype != datatype:
            return False
        if parsing:
            parsed = parse(term.value)  # what parse_literal gives for this datatype
            if parsed is None:
                return False  # ill-typed: sh:datatype fails, and so does every range
            for in_range in typed:
                if not in_range(parsed):
                    return False
        return rest(view, term)

    return literal


def _typed_test(typed: list[Callable[[Parsed], bool]], others: list[TermCheck]) -> TermCheck:
    """Tests on the typed value without sh:datatype: any literal's own parse."""
    rest = _all_of(others)

    def literal(view: DataView, term: Term) -> bool:
        if type(term) is not _Literal:
            return False
        parsed = parse_literal(term)
        if parsed is None:
            return False
        for in_range in typed:
            if not in_range(parsed):
                return False
        return rest(view, term)

    return literal


def _all_of(tests: list[TermCheck]) -> TermCheck:
    if not tests:
        return lambda view, term: True
    if len(tests) == 1:
        return tests[0]
    every = tuple(tests)

    def all_pass(view: DataView, term: Term) -> bool:
        for test in every:  # noqa: SIM110 (a generator costs a frame: hot path)
            if not test(view, term):
                return False
        return True

    return all_pass
