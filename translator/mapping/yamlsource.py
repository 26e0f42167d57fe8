"""Mapping files read as YAML data that remembers where every key and item came from.

The file is composed into nodes by PyYAML's safe loader (no Python objects, no tags beyond
the core ones) and built into plain data here, recording the line of each key and list item
under its path (``("readings", 2, "unit")``). Any later error about a path can then say
``file:line``. Scalars follow the YAML 1.2 core schema, so ``ON``, ``off``, ``yes`` and
``no`` stay text, ``010`` is ten and ``2026-11-25`` is a string, as in JSON. Duplicate keys,
merge keys and anything but scalar keys are errors.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from translator.errors import MappingError

__all__ = ["SourceDocument", "YamlPath", "parse_yaml", "read_yaml_file"]

YamlPath = tuple[str | int, ...]

MAX_FILE_BYTES: Final = 4 * 1024 * 1024
MAX_NODES: Final = 200_000  # bounds alias expansion ("billion laughs")
MAX_DEPTH: Final = 64

_STR: Final = "tag:yaml.org,2002:str"
_NULL: Final = "tag:yaml.org,2002:null"
_BOOL: Final = "tag:yaml.org,2002:bool"
_INT: Final = "tag:yaml.org,2002:int"
_FLOAT: Final = "tag:yaml.org,2002:float"
_SEQ: Final = "tag:yaml.org,2002:seq"
_MAP: Final = "tag:yaml.org,2002:map"
_REPLACED: Final = frozenset(
    {_BOOL, _INT, _FLOAT, "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:merge",
     "tag:yaml.org,2002:value"}
)  # fmt: skip


class _CoreSchemaLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 core-schema scalar resolution."""


_CoreSchemaLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_CoreSchemaLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_CoreSchemaLoader.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_CoreSchemaLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """Plain data from one YAML file plus the line of every path in it."""

    file: str
    data: Any
    lines: Mapping[YamlPath, int]

    def line(self, path: YamlPath) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return None

    def error(self, path: YamlPath, reason: str) -> MappingError:
        """A ``MappingError`` located at ``path`` (to be raised by the caller)."""
        return MappingError(self.file, self.line(path), reason)


def read_yaml_file(path: Path, display: str | None = None) -> SourceDocument:
    """Read and parse one file. Raises ``MappingError`` (``file:line: reason``)."""
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise MappingError(name, None, f"cannot read the file: {err.strerror}") from err
    if len(raw) > MAX_FILE_BYTES:
        raise MappingError(name, None, f"the file is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MappingError(name, None, f"the file is not UTF-8: {err}") from err
    return parse_yaml(text, name)


def parse_yaml(text: str, file: str) -> SourceDocument:
    """Parse ``text`` (named ``file`` in errors) into a ``SourceDocument``."""
    loader = _CoreSchemaLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as err:
        raise MappingError(file, *_syntax_error(err)) from err
    except yaml.YAMLError as err:
        raise MappingError(file, None, f"YAML syntax error: {err}") from err
    finally:
        loader.dispose()
    if node is None:
        raise MappingError(file, None, "the file is empty")
    builder = _Builder(file)
    data = builder.build(node, (), 0)
    return SourceDocument(file, data, builder.lines)


def _syntax_error(err: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    """Line and reason; an unclosed bracket points at where it opened, not at the end."""
    problem, context = err.problem_mark, err.context_mark
    at_end = "<stream end>" in (err.problem or "") or "end of stream" in (err.problem or "")
    mark = context if (at_end and context is not None) or problem is None else problem
    parts = []
    if err.context:
        where = f" (line {context.line + 1})" if context is not None and mark is not context else ""
        parts.append(err.context + where)
    if err.problem:
        where = f" (line {problem.line + 1})" if problem is not None and mark is not problem else ""
        parts.append(err.problem + where)
    return (mark.line + 1 if mark is not None else None), "YAML syntax error: " + " ".join(parts)


class _Builder:
    """Turns composed nodes into data, recording lines; bounded in size and depth."""

    def __init__(self, file: str):
        self.file = file
        self.lines: dict[YamlPath, int] = {}
        self.count = 0

    def fail(self, node: yaml.Node, reason: str) -> MappingError:
        return MappingError(self.file, node.start_mark.line + 1, reason)

    def build(self, node: yaml.Node, path: YamlPath, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(node, f"more than {MAX_NODES} values (are aliases expanding?)")
        if depth > MAX_DEPTH:
            raise self.fail(node, f"nested deeper than {MAX_DEPTH} levels")
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            return [
                self.build(item, (*path, index), depth + 1) for index, item in enumerate(node.value)
            ]
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            return self.mapping(node, path, depth)
        raise self.fail(node, f"YAML tag {node.tag!r} is not supported")

    def mapping(self, node: yaml.MappingNode, path: YamlPath, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, "a key must be a plain value, not a list or mapping")
            key = self.scalar(key_node)
            if key_node.tag == _STR and key == "<<" and key_node.style is None:
                raise self.fail(key_node, "merge keys ('<<') are not supported; repeat the keys")
            if key in out:  # also catches 1 vs 1.0 vs true, which one dict cannot hold apart
                raise self.fail(key_node, f"duplicate key {key!r}")
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, (*path, key), depth + 1)
        return out

    def scalar(self, node: yaml.ScalarNode) -> Any:
        value: str = node.value
        tag = node.tag
        if tag == _STR:
            return value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return value in ("true", "True", "TRUE")
        if tag == _INT:
            return _parse_int(value)
        if tag == _FLOAT:
            return _parse_float(value)
        raise self.fail(node, f"YAML tag {tag!r} is not supported")


def _parse_int(value: str) -> int:
    if value.startswith("0o"):
        return int(value[2:], 8)
    if value.startswith("0x"):
        return int(value[2:], 16)
    return int(value, 10)


def _parse_float(value: str) -> float:
    lowered = value.lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return float(value)
