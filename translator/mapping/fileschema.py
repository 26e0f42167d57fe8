"""The JSON Schema of mapping files, and its errors told as ``file:line: reason``.

``mapping.schema.json`` ships in this package (editors use it for autocompletion). A
document that breaks it gets the earliest error in file order, phrased for an author:
``readings[1]: unknown key 'uint' — did you mean 'unit'?``, ``missing required key 'thing'``,
``match.protocol: 'mqqt' is not one of mqtt, coap, http — did you mean 'mqtt'?``.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any, Final

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from translator.mapping.yamlsource import SourceDocument, YamlPath

__all__ = ["check_document", "load_file_schema", "mapping_file_validator", "readable_path"]

_JSON_TYPES: Final = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "text",
    list: "a list",
    dict: "a mapping",
    type(None): "null",
}


def load_file_schema() -> dict[str, Any]:
    """The mapping file schema, read from the package."""
    text = resources.files("translator.mapping").joinpath("mapping.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def mapping_file_validator() -> jsonschema.Draft202012Validator:
    """A validator for mapping documents (build once per load)."""
    return jsonschema.Draft202012Validator(load_file_schema())


def check_document(doc: SourceDocument, validator: jsonschema.Draft202012Validator) -> None:
    """Raise ``MappingError`` for the first schema error in file order."""
    if not isinstance(doc.data, dict):
        raise doc.error((), "a mapping file must be a YAML mapping (key: value lines)")
    found = [_explain(best_match([error]) or error) for error in validator.iter_errors(doc.data)]
    if not found:
        return
    found.sort(key=lambda item: (doc.line(item[0]) or 0, len(item[0])))
    path, reason = found[0]
    more = len(found) - 1
    suffix = f" (+{more} more problem{'s' if more > 1 else ''} in this file)" if more else ""
    raise doc.error(path, reason + suffix)


def readable_path(path: Iterable[str | int]) -> str:
    """``("readings", 1, "unit")`` as ``readings[1].unit``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _explain(error: ValidationError) -> tuple[YamlPath, str]:
    path: YamlPath = tuple(error.absolute_path)
    keyword = error.validator
    schema: Any = error.schema
    expected: Any = error.validator_value
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(schema.get("properties", {}))
        extras = [key for key in error.instance if key not in allowed]
        if extras:
            key = extras[0]
            return (*path, key), _at(path, f"unknown key {key!r}{_guess(str(key), allowed)}")
    if keyword == "required" and isinstance(error.instance, dict):
        missing = [key for key in expected if key not in error.instance]
        if missing:
            return path, _at(path, f"missing required key {missing[0]!r}")
    if keyword == "enum":
        options = [str(option) for option in expected]
        guess = _guess(str(error.instance), options)
        return path, _at(path, f"{error.instance!r} is not one of {', '.join(options)}{guess}")
    if keyword == "type":
        wanted = expected
        names = " or ".join(wanted) if isinstance(wanted, list) else str(wanted)
        got = _JSON_TYPES.get(type(error.instance), type(error.instance).__name__)
        return path, _at(path, f"expected {names}, got {got} ({_short(error.instance)})")
    if keyword == "const":
        return path, _at(path, f"must be {json.dumps(expected)}")
    if keyword == "pattern" and path and path[-1] == "id":
        return path, _at(
            path, "an id is lowercase letters, digits and '-', starting with a letter or digit"
        )
    return path, _at(path, error.message)


def _at(path: YamlPath, reason: str) -> str:
    where = readable_path(path)
    return f"{where}: {reason}" if where else reason


def _guess(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" — did you mean {close[0]!r}?" if close else ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"
