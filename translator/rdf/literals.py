"""Typed literals in both directions: Python values to pyoxigraph literals and back.

Datetimes are written as ``xsd:dateTime`` in UTC with a ``Z``; a naive datetime is taken
as UTC. Numbers are ``xsd:double``, booleans ``xsd:boolean``, text ``xsd:string``. Every
literal is built by pyoxigraph, never by pasting strings into Turtle.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pyoxigraph import Literal

from translator.rdf.terms import XSD_BOOLEAN, XSD_DATETIME, XSD_DOUBLE, XSD_STRING
from translator.values import ReadingValue


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware datetime (naive means UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def datetime_literal(moment: datetime) -> Literal:
    """An ``xsd:dateTime`` literal in UTC, e.g. ``2026-11-25T10:00:00Z``."""
    text = utc(moment).astimezone(UTC).isoformat()
    return Literal(text[:-6] + "Z", datatype=XSD_DATETIME)  # isoformat ends in "+00:00"


def value_literal(value: ReadingValue) -> Literal:
    """A reading value as a typed literal (bool before number: ``bool`` is an ``int``)."""
    if isinstance(value, bool | str):
        return Literal(value)
    return Literal(float(value))


def literal_datetime(literal: Literal) -> datetime:
    """The aware datetime of an ``xsd:dateTime`` literal.

    Raises:
        ValueError: the literal is not a dateTime with a valid lexical form.
    """
    if literal.datatype != XSD_DATETIME:
        raise ValueError(f"not an xsd:dateTime: {literal}")
    return utc(datetime.fromisoformat(literal.value))


def literal_value(literal: Literal) -> ReadingValue:
    """The Python value of a literal written by :func:`value_literal`.

    Raises:
        ValueError: the literal's datatype is not double, boolean or string.
    """
    datatype = literal.datatype
    if datatype == XSD_DOUBLE:
        return float(literal.value)  # also reads "NaN", "INF", "-INF"
    if datatype == XSD_BOOLEAN:
        return literal.value in ("true", "1")
    if datatype == XSD_STRING:
        return literal.value
    raise ValueError(f"unexpected literal datatype: {literal}")
