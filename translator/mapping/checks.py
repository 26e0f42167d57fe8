"""Small load-time compilers that turn a bad JSONPath, regex, time spec or template variable
into a ``MappingError`` at the line where the mapping file wrote it.
"""

from __future__ import annotations

import re
from typing import Any

from translator.mapping.jsonpath import PathQuery, PathSyntaxError
from translator.mapping.jsonpath import compile_path as parse_path
from translator.mapping.plan import TimePlan
from translator.mapping.times import TimeFormat, compile_time_parser, load_timezone
from translator.mapping.yamlsource import SourceDocument, YamlPath

__all__ = ["compile_path_at", "compile_time_at", "regex_at", "require_variables"]


def compile_path_at(
    doc: SourceDocument, path: YamlPath, text: str, *, relative: bool = False
) -> PathQuery:
    """Compile a JSONPath found at ``path`` in the file."""
    try:
        return parse_path(text, allow_relative=relative)
    except PathSyntaxError as err:
        raise doc.error(path, str(err)) from err


def regex_at(doc: SourceDocument, path: YamlPath, pattern: str) -> re.Pattern[str]:
    """Compile a regular expression found at ``path``."""
    try:
        return re.compile(pattern)
    except re.error as err:
        raise doc.error(path, f"bad regular expression {pattern!r}: {err}") from err


def compile_time_at(
    doc: SourceDocument, path: YamlPath, spec: Any, *, relative: bool = False
) -> TimePlan:
    """Compile a ``time:`` spec (``arrival`` or ``{path, format, timezone, optional}``)."""
    if spec == "arrival":
        return TimePlan()
    try:
        zone = load_timezone(spec.get("timezone"))
    except ValueError as err:
        raise doc.error((*path, "timezone"), str(err)) from err
    return TimePlan(
        path=compile_path_at(doc, (*path, "path"), spec["path"], relative=relative),
        parse=compile_time_parser(TimeFormat(spec["format"]), zone),
        optional=bool(spec.get("optional", False)),
        zone=zone,
    )


def require_variables(
    doc: SourceDocument,
    path: YamlPath,
    used: tuple[str, ...],
    available: frozenset[str],
    what: str,
) -> None:
    """Raise unless every variable in ``used`` is ``available`` at ``path``."""
    missing = [name for name in used if name not in available]
    if missing:
        have = ", ".join(sorted(available)) or "none"
        raise doc.error(
            path,
            f"{what} uses {{{missing[0]}}}, which is not defined here "
            f"(variables: {have}; define it in the channel, in captures, or a where regex group)",
        )
