"""Typed literal values: XSD lexical spaces (ill-typed detection) and SPARQL ordering."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translator.rdf.namespaces import RDF, XSD
from translator.validation.literals import (
    float_bound,
    less,
    less_or_equal,
    parse_lexical,
    parse_literal,
)


@pytest.mark.parametrize(
    ("datatype", "lexical"),
    [
        ("double", "21.5"), ("double", "-1E3"), ("double", ".5"), ("double", "INF"),
        ("double", "NaN"), ("float", "+1.0e-7"), ("decimal", "-0.50"), ("integer", "+007"),
        ("byte", "-128"), ("unsignedByte", "255"), ("nonNegativeInteger", "0"),
        ("boolean", "true"), ("boolean", "0"), ("string", " any text "),
        ("dateTime", "2026-11-25T10:00:00Z"), ("dateTime", "2026-11-25T10:00:00.123456789+14:00"),
        ("dateTime", "2026-11-25T24:00:00"), ("dateTime", "-0044-03-15T12:00:00"),
        ("dateTimeStamp", "2026-11-25T10:00:00-05:00"), ("date", "2024-02-29"),
        ("time", "23:59:59"), ("gYear", "2026"), ("duration", "P1DT2H"),
        ("hexBinary", "0fA1"), ("language", "en-GB"), ("anyURI", "not checked"),
    ],
)  # fmt: skip
def test_well_typed(datatype: str, lexical: str) -> None:
    assert parse_lexical(lexical, XSD + datatype) is not None


@pytest.mark.parametrize(
    ("datatype", "lexical"),
    [
        ("double", "abc"), ("double", ""), ("double", "1_0"), ("double", "nan"), ("double", "inf"),
        ("double", " 1"), ("decimal", "1e3"), ("integer", "1.0"), ("integer", "5_000"),
        ("integer", " 5 "), ("byte", "128"), ("positiveInteger", "0"), ("boolean", "TRUE"),
        ("boolean", "yes"), ("dateTime", "2026-11-25"), ("dateTime", "2026-02-30T00:00:00Z"),
        ("dateTime", "2026-11-25T10:00:00+15:00"), ("dateTime", "20261125T100000Z"),
        ("dateTimeStamp", "2026-11-25T10:00:00"), ("date", "2023-02-29"), ("time", "25:00:00"),
        ("gYear", "26"), ("duration", "P"), ("hexBinary", "abc"),
    ],
)  # fmt: skip
def test_ill_typed(datatype: str, lexical: str) -> None:
    assert parse_lexical(lexical, XSD + datatype) is None


def test_unknown_datatypes_and_language_strings_are_well_typed_and_unordered() -> None:
    custom = ox.Literal("anything", datatype=ox.NamedNode("http://example.org/dt"))
    tagged = ox.Literal("chat", language="fr")
    assert parse_literal(custom) == (None, "anything")
    assert parse_literal(tagged) == (None, "chat")
    assert tagged.datatype.value == RDF + "langString"


def value(lexical: str, datatype: str) -> tuple[str | None, object]:
    parsed = parse_lexical(lexical, XSD + datatype)
    assert parsed is not None
    return parsed


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        (value("1", "integer"), value("1.5", "double"), True),
        (value("2.0", "decimal"), value("2", "integer"), False),
        (value("a", "string"), value("b", "string"), True),
        (value("false", "boolean"), value("true", "boolean"), True),
        (value("2026-11-25T10:00:00Z", "dateTime"), value("2026-11-25T11:00:00+00:59", "dateTime"),
         True),
        (value("NaN", "double"), value("1", "integer"), False),
        (value("1", "integer"), value("a", "string"), None),
        (value("2026-11-25T10:00:00Z", "dateTime"), value("2026-11-25T11:00:00", "dateTime"), None),
        (value("P1D", "duration"), value("P2D", "duration"), None),
    ],
)  # fmt: skip
def test_sparql_less_than(
    left: tuple[str | None, object], right: tuple[str | None, object], expected: bool | None
) -> None:
    assert less(left, right) is expected


def test_less_or_equal_on_equal_values_of_different_types() -> None:
    assert less_or_equal(value("2", "integer"), value("2.0", "double")) is True
    assert less(value("2", "integer"), value("2.0", "double")) is False


def test_comparisons_with_nan_are_false_not_errors() -> None:
    """A NaN double against a decimal bound: SPARQL says false (Decimal alone would raise)."""
    nan = parse_lexical("NaN", XSD + "double")
    bound = parse_lexical("-273.15", XSD + "decimal")
    assert nan is not None
    assert bound is not None
    assert not less(bound, nan)
    assert not less_or_equal(nan, bound)


EXACT_LIMITS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.integers(-(2**60), 2**60),
    st.floats(allow_nan=False),
)


@settings(max_examples=300)
@given(
    limit=EXACT_LIMITS,
    x=st.one_of(st.floats(), st.floats(-1000.5, 1000.5)),
    lower=st.booleans(),
    inclusive=st.booleans(),
)
def test_float_bound_is_exact(
    limit: int | float | Decimal, x: float, lower: bool, inclusive: bool
) -> None:
    """``float_bound`` answers ``limit <(=) x`` / ``x <(=) limit`` exactly, NaN false."""
    compare, threshold = float_bound(limit, lower=lower, inclusive=inclusive)
    if math.isnan(x):
        expected = False
    else:
        left, right = (Decimal(limit), Decimal(x)) if lower else (Decimal(x), Decimal(limit))
        expected = left <= right if inclusive else left < right
    assert compare(x, threshold) == expected


@pytest.mark.parametrize("limit", [Decimal("-273.15"), Decimal("0.1"), Decimal("-0.1"), 2**60 + 1])
def test_float_bound_next_to_limits_no_float_equals(limit: int | Decimal) -> None:
    """Right around a limit that no float equals, both neighbours fall on the right side."""
    nearest = float(limit)
    for x in (math.nextafter(nearest, -math.inf), nearest, math.nextafter(nearest, math.inf)):
        for lower, inclusive in itertools.product((True, False), repeat=2):
            compare, threshold = float_bound(limit, lower=lower, inclusive=inclusive)
            exact = (Decimal(limit), Decimal(x)) if lower else (Decimal(x), Decimal(limit))
            expected = exact[0] <= exact[1] if inclusive else exact[0] < exact[1]
            assert compare(x, threshold) == expected, (limit, x, lower, inclusive)
