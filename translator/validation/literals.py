"""Typed values of literals: XSD lexical checks (ill-typed detection) and SPARQL ordering.

``parse_literal`` turns a pyoxigraph literal into ``(category, value)`` once, or ``None`` when
the literal is ill-typed (its lexical form is not in its datatype's lexical space, e.g.
``"abc"^^xsd:double`` or ``"2026-02-30"^^xsd:date``). ``category`` groups values that the
SPARQL ``<`` operator may compare: ``"num"``, ``"str"``, ``"bool"``, ``"dateTime"``,
``"date"``, ``"time"``; ``None`` means well-typed but unordered (a language-tagged string, a
duration, an unknown datatype …). The lexical spaces are XSD 1.1's, which is stricter than
rdflib's Python conversions (``"1_000"^^xsd:integer``, ``" 5 "^^xsd:integer``, ``"nan"^^xsd:double``
and ``"2026-11-25"^^xsd:dateTime`` are ill-typed here; rdflib accepts them).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Final, TypeAlias

import pyoxigraph as ox

from translator.rdf.namespaces import RDF, XSD

Parsed: TypeAlias = tuple[str | None, object]
"""``(order category, Python value)`` of a well-typed literal."""

_Parser: TypeAlias = Callable[[str], Parsed | None]

_TZ = r"(Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_YEAR = r"(-?(?:[1-9][0-9]{3,}|0[0-9]{3}))"
_DATE = _YEAR + r"-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_TIME = r"(?:([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])(?:\.([0-9]+))?|(24):(00):(00)(?:\.(0+))?)"

_INTEGER_RE: Final = re.compile(r"[+-]?[0-9]+")
_DECIMAL_RE: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DOUBLE_RE: Final = re.compile(
    r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|INF)|NaN"
)
_DATETIME_RE: Final = re.compile(_DATE + "T" + _TIME + _TZ)
_DATE_RE: Final = re.compile(_DATE + _TZ)
_TIME_RE: Final = re.compile(_TIME + _TZ)

_LEXICAL_ONLY: Final[dict[str, re.Pattern[str]]] = {
    "gYear": re.compile(_YEAR + _TZ),
    "gYearMonth": re.compile(_YEAR + r"-(0[1-9]|1[0-2])" + _TZ),
    "gMonth": re.compile(r"--(0[1-9]|1[0-2])" + _TZ),
    "gMonthDay": re.compile(r"--(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])" + _TZ),
    "gDay": re.compile(r"---(0[1-9]|[12][0-9]|3[01])" + _TZ),
    "duration": re.compile(
        r"-?P(?=[0-9T])(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+D)?"
        r"(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?"
    ),
    "hexBinary": re.compile(r"(?:[0-9a-fA-F]{2})*"),
    "base64Binary": re.compile(r"(?:(?:[A-Za-z0-9+/] ?){4})*(?:[A-Za-z0-9+/] ?){0,3}(?:= ?){0,2}"),
    "language": re.compile(r"[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*"),
    "normalizedString": re.compile(r"[^\r\n\t]*"),
    "token": re.compile(r"(?:[^\s](?:[^\r\n\t ]| (?! ))*[^\s]|[^\s])?"),
    "NMTOKEN": re.compile(r"[\w.:-]+"),
    "Name": re.compile(r"[^\W\d.-][\w.:-]*"),
    "NCName": re.compile(r"[^\W\d.-][\w.-]*"),
}

_INTEGER_RANGES: Final[dict[str, tuple[int | None, int | None]]] = {
    "integer": (None, None),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-(2**7), 2**7 - 1),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 2**8 - 1),
}

_BOOLEANS: Final = {"true": True, "false": False, "1": True, "0": False}


def _integer_parser(low: int | None, high: int | None) -> _Parser:
    def parse(lexical: str) -> Parsed | None:
        if _INTEGER_RE.fullmatch(lexical) is None:
            return None
        value = int(lexical)
        if (low is not None and value < low) or (high is not None and value > high):
            return None
        return ("num", value)

    return parse


def _parse_decimal(lexical: str) -> Parsed | None:
    if _DECIMAL_RE.fullmatch(lexical) is None:
        return None
    return ("num", Decimal(lexical))


_DOUBLE_CHARS: Final = "0123456789.eE+-"


def _parse_double(lexical: str) -> Parsed | None:
    if lexical and not lexical.strip(_DOUBLE_CHARS):
        try:  # on these characters Python's float grammar is XSD's (no "_", space, inf, nan)
            return ("num", float(lexical))
        except ValueError:
            pass  # the grammar below decides (and says ill-typed)
    if _DOUBLE_RE.fullmatch(lexical) is None:
        return None
    return ("num", float(lexical))


def _parse_boolean(lexical: str) -> Parsed | None:
    value = _BOOLEANS.get(lexical)
    return None if value is None else ("bool", value)


def _parse_string(lexical: str) -> Parsed | None:
    return ("str", lexical)


def _tzinfo(text: str | None) -> timezone | None:
    if not text:
        return None
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))


def _clock(groups: tuple[str | None, ...]) -> tuple[int, int, int, int, bool]:
    """hour, minute, second, microsecond, end-of-day flag from the ``_TIME`` groups."""
    if groups[4] is not None:  # 24:00:00
        return 0, 0, 0, 0, True
    hour, minute, second, fraction = groups[0], groups[1], groups[2], groups[3]
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    return int(hour or 0), int(minute or 0), int(second or 0), micro, False


def _timestamp(
    year: str, month: str, day: str, clock: tuple[str | None, ...], tz: str | None
) -> datetime | None:
    hour, minute, second, micro, end_of_day = _clock(clock)
    try:
        moment = datetime(int(year), int(month), int(day), hour, minute, second, micro, _tzinfo(tz))
        return moment + timedelta(days=1) if end_of_day else moment
    except (ValueError, OverflowError):
        return None


def _parse_datetime(lexical: str, *, stamp: bool = False) -> Parsed | None:
    """An ``xsd:dateTime`` (``stamp``: ``xsd:dateTimeStamp``), the common UTC form first."""
    if lexical[4:17:3] == "--T::" and lexical[-1:] == "Z":
        fraction = lexical[20:-1]  # after "SS.", before "Z"
        if len(lexical) == 20 or (
            lexical[19:20] == "." and fraction.isascii() and fraction.isdigit()
        ):
            try:  # ASCII digits everywhere else and the field ranges: fromisoformat checks them
                return ("dateTime", _from_iso(lexical))
            except ValueError:
                pass  # e.g. the 30th of February, or the year 0000: the general parser decides
    return _parse_datetime_xsd(lexical, stamp=stamp)


_from_iso: Final = datetime.fromisoformat


def _parse_datetime_xsd(lexical: str, *, stamp: bool = False) -> Parsed | None:
    """``_parse_datetime`` for every lexical form: XSD's grammar, then the value."""
    match = _DATETIME_RE.fullmatch(lexical)
    if match is None or (stamp and match.group(12) is None):
        return None
    year = match.group(1)
    if len(year) == 4 and year != "0000" and match.group(8) is None:
        try:  # the syntax is XSD's (checked above); Python parses this subset fast
            return ("dateTime", datetime.fromisoformat(lexical))
        except ValueError:
            return None  # e.g. the 30th of February
    g = match.groups()
    if not 1 <= int(g[0]) <= 9999:
        return (None, lexical) if _valid_far_date(g[1], g[2]) else None
    moment = _timestamp(g[0], g[1], g[2], g[3:11], g[11])
    return None if moment is None else ("dateTime", moment)


def _parse_datetime_stamp(lexical: str) -> Parsed | None:
    return _parse_datetime(lexical, stamp=True)


def _valid_far_date(month: str, day: str) -> bool:
    return int(day) <= (29 if month == "02" else 30 if month in ("04", "06", "09", "11") else 31)


def _parse_date(lexical: str) -> Parsed | None:
    match = _DATE_RE.fullmatch(lexical)
    if match is None:
        return None
    year, month, day, tz = match.groups()
    if not 1 <= int(year) <= 9999:
        return (None, lexical) if _valid_far_date(month, day) else None
    moment = _timestamp(year, month, day, (None,) * 8, tz)
    return None if moment is None else ("date", moment)


def _parse_time(lexical: str) -> Parsed | None:
    match = _TIME_RE.fullmatch(lexical)
    if match is None:
        return None
    g = match.groups()
    moment = _timestamp("1972", "12", "31", g[0:8], g[8])
    return None if moment is None else ("time", moment)


def _lexical_parser(pattern: re.Pattern[str]) -> _Parser:
    def parse(lexical: str) -> Parsed | None:
        return (None, lexical) if pattern.fullmatch(lexical) is not None else None

    return parse


def _build_parsers() -> dict[str, _Parser]:
    parsers: dict[str, _Parser] = {
        XSD + "string": _parse_string,
        XSD + "decimal": _parse_decimal,
        XSD + "double": _parse_double,
        XSD + "float": _parse_double,
        XSD + "boolean": _parse_boolean,
        XSD + "dateTime": _parse_datetime,
        XSD + "dateTimeStamp": _parse_datetime_stamp,
        XSD + "date": _parse_date,
        XSD + "time": _parse_time,
    }
    for name, (low, high) in _INTEGER_RANGES.items():
        parsers[XSD + name] = _integer_parser(low, high)
    for name, pattern in _LEXICAL_ONLY.items():
        parsers[XSD + name] = _lexical_parser(pattern)
    return parsers


_PARSERS: Final = _build_parsers()
KNOWN_DATATYPES: Final = frozenset(_PARSERS) | {RDF + "langString"}
"""Datatype IRIs whose lexical space is checked (others: every lexical form is well-typed)."""


def parse_literal(literal: ox.Literal) -> Parsed | None:
    """``(category, value)`` of ``literal``, or ``None`` when it is ill-typed."""
    if literal.language:
        return (None, literal.value)
    parser = _PARSERS.get(literal.datatype.value)
    if parser is None:
        return (None, literal.value)
    return parser(literal.value)


def parse_lexical(lexical: str, datatype: str) -> Parsed | None:
    """Like ``parse_literal`` for a lexical form and a datatype IRI."""
    parser = _PARSERS.get(datatype)
    return (None, lexical) if parser is None else parser(lexical)


def lexical_parser(datatype: str) -> Callable[[str], Parsed | None]:
    """``parse_lexical`` for one datatype, looked up once (not for ``rdf:langString``)."""
    return _PARSERS.get(datatype, _unordered)


def _unordered(lexical: str) -> Parsed:
    return (None, lexical)


def less(left: Parsed, right: Parsed) -> bool | None:
    """SPARQL ``left < right``: ``None`` when the operator raises a type error."""
    category = left[0]
    if category is None or category != right[0]:
        return None
    try:
        return left[1] < right[1]  # type: ignore[operator, no-any-return]
    except TypeError:  # e.g. a dateTime with a time zone against one without
        return None
    except ArithmeticError:  # a Decimal against a NaN double: SPARQL says false
        return False


def less_or_equal(left: Parsed, right: Parsed) -> bool | None:
    """SPARQL ``left <= right``: ``None`` when the operator raises a type error."""
    category = left[0]
    if category is None or category != right[0]:
        return None
    try:
        return left[1] <= right[1]  # type: ignore[operator, no-any-return]
    except TypeError:
        return None
    except ArithmeticError:  # a Decimal against a NaN double: SPARQL says false
        return False


def float_bound(
    limit: int | float | Decimal, *, lower: bool, inclusive: bool
) -> tuple[Callable[[float, float], bool], float]:
    """``(compare, threshold)`` with ``compare(x, threshold)`` exactly ``limit <(=) x``.

    (For an upper bound: exactly ``x <(=) limit``.) ``x`` is any float, NaN and infinities
    included (NaN compares false, as in SPARQL). A limit that no float equals, such as the
    decimal -273.15, is replaced by its float neighbour on the right side, so the answer is
    the exact one without comparing a float to a ``Decimal`` (slow, and it raises on NaN).
    """
    if isinstance(limit, float) and math.isnan(limit):
        return _never_true, limit
    exact = Decimal(limit)
    nearest = float(limit)
    if Decimal(nearest) == exact:  # the limit is a float: compare as written
        return _FLOAT_ORDER[(lower, inclusive)], nearest
    if lower:  # limit <(=) x  <=>  x >= the smallest float above the limit
        above = nearest if nearest > exact else math.nextafter(nearest, math.inf)
        return operator.ge, above
    below = nearest if nearest < exact else math.nextafter(nearest, -math.inf)
    return operator.le, below  # x <(=) limit  <=>  x <= the largest float below it


_FLOAT_ORDER: Final[dict[tuple[bool, bool], Callable[[float, float], bool]]] = {
    (True, True): operator.ge,  # limit <= x
    (True, False): operator.gt,  # limit < x
    (False, True): operator.le,  # x <= limit
    (False, False): operator.lt,  # x < limit
}


def _never_true(x: float, threshold: float) -> bool:
    return False
