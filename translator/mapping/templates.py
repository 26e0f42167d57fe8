"""``{var}`` templates: thing IRIs (percent-encoded), labels and command text (verbatim).

Parsed once at load into literal parts and variable names. An IRI template percent-encodes
every variable value as RFC 3986 prescribes for data: unreserved characters
(``A-Z a-z 0-9 - . _ ~``) stay, every other UTF-8 byte becomes ``%XX``. Because ``%`` itself
is encoded, one value has exactly one encoding; and because the loader requires a reserved
character (``:``, ``/``, ``#`` …) between two variables, one IRI has exactly one tuple of
values behind it: IRI building is injective, and no value can inject IRI syntax.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

__all__ = [
    "Template",
    "TemplateError",
    "TemplateSyntaxError",
    "encode_component",
    "parse_iri_template",
    "parse_template",
]

_TOKEN: Final = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_IRI_FORBIDDEN: Final = frozenset('<>"{}|\\^` ')


class TemplateSyntaxError(ValueError):
    """A template in a mapping file is malformed (load time)."""


class TemplateError(ValueError):
    """A template cannot be rendered with the variables at hand (run time)."""


@functools.lru_cache(maxsize=8192)
def encode_component(value: str) -> str:
    """Percent-encode ``value`` so that only RFC 3986 unreserved characters remain."""
    return quote(value, safe="", encoding="utf-8", errors="surrogatepass")


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: ``literals[0] var[0] literals[1] … var[n-1] literals[n]``."""

    text: str
    literals: tuple[str, ...]
    variables: tuple[str, ...]
    encode: bool

    @property
    def constant(self) -> bool:
        """True when the template has no variables."""
        return not self.variables

    def render(self, values: Mapping[str, str]) -> str:
        """Fill in the variables (percent-encoding them for IRIs).

        Raises:
            TemplateError: a variable is missing, or empty in an IRI.
        """
        literals = self.literals
        variables = self.variables
        if not variables:
            return literals[0]
        if len(variables) == 1:  # the usual template: "urn:dev:x:{device}"
            name = variables[0]
            try:
                value = values[name]
            except KeyError:
                raise TemplateError(f"variable {{{name}}} has no value") from None
            if self.encode:
                if not value:
                    raise TemplateError(f"variable {{{name}}} is empty; an IRI needs a value")
                value = encode_component(value)
            return literals[0] + value + literals[1]
        out = [literals[0]]
        for index, name in enumerate(self.variables):
            try:
                value = values[name]
            except KeyError:
                raise TemplateError(f"variable {{{name}}} has no value") from None
            if self.encode:
                if not value:
                    raise TemplateError(f"variable {{{name}}} is empty; an IRI needs a value")
                value = encode_component(value)
            out.append(value)
            out.append(literals[index + 1])
        return "".join(out)


def parse_template(text: str, *, encode: bool = False) -> Template:
    """Parse ``text``; ``{{`` and ``}}`` stand for literal braces.

    Raises:
        TemplateSyntaxError: a brace that opens no valid ``{name}``.
    """
    literals: list[str] = []
    variables: list[str] = []
    current: list[str] = []
    position = 0
    for token in _TOKEN.finditer(text):
        current.append(text[position : token.start()])
        position = token.end()
        piece = token.group(0)
        if piece in ("{{", "}}"):
            current.append(piece[0])
            continue
        name = token.group(1)
        if name is None or _NAME.fullmatch(name) is None:
            raise TemplateSyntaxError(
                f"template {text!r}: {piece!r} at column {token.start() + 1} is not a "
                "{variable} (names are letters, digits and '_'; write {{ or }} for a brace)"
            )
        literals.append("".join(current))
        variables.append(name)
        current = []
    current.append(text[position:])
    literals.append("".join(current))
    return Template(text, tuple(literals), tuple(variables), encode)


def parse_iri_template(text: str) -> Template:
    """Parse an IRI template and check that every IRI it can produce is sound and unique.

    Raises:
        TemplateSyntaxError: bad braces, no scheme, characters not allowed in an IRI, or two
            variables not separated by a reserved character.
    """
    template = parse_template(text, encode=True)
    if _SCHEME.match(template.literals[0]) is None:
        raise TemplateSyntaxError(
            f"IRI template {text!r} must start with a scheme such as 'urn:' or 'https:'"
        )
    for literal in template.literals:
        bad = sorted({ch for ch in literal if ch in _IRI_FORBIDDEN or ord(ch) < 0x20})
        if bad:
            raise TemplateSyntaxError(f"IRI template {text!r} contains {bad[0]!r}, not allowed")
    for index, literal in enumerate(template.literals[1:-1], start=1):
        if all(ch in _UNRESERVED or ch == "%" for ch in literal):
            before, after = template.variables[index - 1], template.variables[index]
            raise TemplateSyntaxError(
                f"IRI template {text!r}: put a reserved character such as ':' or '/' between "
                f"{{{before}}} and {{{after}}}, otherwise two devices could get the same IRI"
            )
    return template
