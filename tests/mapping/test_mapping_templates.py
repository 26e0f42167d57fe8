"""IRI templates: safe (no value injects IRI syntax) and injective (distinct values give
distinct IRIs)."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translator.mapping.templates import (
    TemplateError,
    TemplateSyntaxError,
    parse_iri_template,
    parse_template,
)

IRI_SAFE = re.compile(r"[A-Za-z0-9\-._~%:/#]*")
VALUES = st.text(min_size=1, max_size=12)


@settings(max_examples=300)
@given(value=VALUES)
def test_encoded_values_hold_only_unreserved_characters(value: str) -> None:
    iri = parse_iri_template("urn:dev:z2m:{device}").render({"device": value})
    encoded = iri.removeprefix("urn:dev:z2m:")
    assert re.fullmatch(r"(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})+", encoded)
    assert unquote(encoded, errors="surrogatepass") == value


@settings(max_examples=300)
@given(a=st.tuples(VALUES, VALUES), b=st.tuples(VALUES, VALUES))
def test_two_variable_templates_are_injective(a: tuple[str, str], b: tuple[str, str]) -> None:
    template = parse_iri_template("urn:x:{site}/{device}#main")
    iri_a = template.render({"site": a[0], "device": a[1]})
    iri_b = template.render({"site": b[0], "device": b[1]})
    assert (iri_a == iri_b) == (a == b)
    assert IRI_SAFE.fullmatch(iri_a)


@settings(max_examples=300)
@given(a=st.tuples(VALUES, VALUES), b=st.tuples(VALUES, VALUES))
def test_separator_with_unreserved_characters_around_is_injective(
    a: tuple[str, str], b: tuple[str, str]
) -> None:
    # "-x:" between the variables: only the ':' is reserved, and that is enough
    template = parse_iri_template("urn:{a}-x:{b}")
    iri_a = template.render({"a": a[0], "b": a[1]})
    iri_b = template.render({"a": b[0], "b": b[1]})
    assert (iri_a == iri_b) == (a == b)


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("kitchen plug/1", "kitchen%20plug%2F1"),
        ("a%20b", "a%2520b"),
        ("ü", "%C3%BC"),
        ("<script>", "%3Cscript%3E"),
        ("x?y#z", "x%3Fy%23z"),
        ("Aa0-._~", "Aa0-._~"),
    ],
)
def test_known_encodings(value: str, encoded: str) -> None:
    assert parse_iri_template("urn:t:{v}").render({"v": value}) == "urn:t:" + encoded


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("urn:{a}{b}", "put a reserved character"),
        ("urn:{a}-{b}", "put a reserved character"),
        ("urn:{a}%3A{b}", "put a reserved character"),
        ("{a}:x", "must start with a scheme"),
        ("dev-{a}", "must start with a scheme"),
        ("urn:x y:{a}", "contains ' '"),
        ("urn:<{a}>", "contains '<'"),
        ("urn:{a b}", "is not a {variable}"),
        ("urn:{a", "is not a {variable}"),
    ],
)
def test_bad_iri_templates(text: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=re.escape(message)):
        parse_iri_template(text)


def test_render_failures() -> None:
    template = parse_iri_template("urn:t:{v}")
    with pytest.raises(TemplateError, match="has no value"):
        template.render({})
    with pytest.raises(TemplateError, match="is empty"):
        template.render({"v": ""})


def test_text_templates_substitute_verbatim_and_escape_braces() -> None:
    template = parse_template("{{literal}} {name}/{n}")
    assert template.variables == ("name", "n")
    assert template.render({"name": "a b/c", "n": ""}) == "{literal} a b/c/"
    assert parse_template("plain").constant
