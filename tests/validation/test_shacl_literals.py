"""Typed literal values: XSD lexical spaces (ill-typed detection) and SPARQL ordering."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from translator.rdf.namespaces import RDF, XSD
from translator.validation.literals import less, less_or_equal, parse_lexical, parse_literal


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
