"""A checked mapping file compiled into a ``MappingPlan``, in small named passes.

The JSON Schema has already vouched for the file's shape (``load``); the passes here check
what a schema cannot — JSONPath and regex syntax, channel patterns, template variables,
property and unit names against the vocabulary, unit compatibility, inline JSON Schemas —
and build the plan. Every failure is a ``MappingError`` at the line of the offending key.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from translator.mapping.channels import ChannelPattern, ChannelSyntaxError, parse_channel
from translator.mapping.checks import compile_path_at, compile_time_at, regex_at, require_variables
from translator.mapping.decode import PayloadFormat
from translator.mapping.examples import parse_examples
from translator.mapping.json_equality import json_equal
from translator.mapping.jsonpath import MISSING, PathQuery, PathQueryError
from translator.mapping.payload_schema import compile_payload_schema, schema_problems
from translator.mapping.plan import CapturePlan, CommandPlan, Condition, MappingPlan, ThingPlan
from translator.mapping.readings import compile_readings
from translator.mapping.render import CommandSpecError, compile_command
from translator.mapping.templates import TemplateSyntaxError, parse_iri_template, parse_template
from translator.mapping.vocabulary import Vocabulary
from translator.mapping.yamlsource import SourceDocument, YamlPath
from translator.rdf.namespaces import PREFIXES
from translator.values import Placement, Protocol

__all__ = ["compile_mapping"]

SchemaReader = Callable[[Path, str], Any]
"""Reads a ``schema_file`` (path, display name) into data; raises ``MappingError``."""


def compile_mapping(
    doc: SourceDocument, vocabulary: Vocabulary, *, read_schema: SchemaReader, base: Path
) -> MappingPlan:
    """Compile one schema-checked mapping document.

    Raises:
        MappingError: the first problem found, with ``file:line``.
    """
    data: Mapping[str, Any] = doc.data
    protocol = Protocol(data["match"]["protocol"])
    try:
        channel = parse_channel(data["match"]["channel"], protocol)
    except ChannelSyntaxError as err:
        raise doc.error(("match", "channel"), str(err)) from err
    captures = _captures(doc, data.get("captures", {}), channel.variables)
    variables = frozenset(channel.variables) | {capture.name for capture in captures}
    default_time = compile_time_at(doc, ("time",), data["time"]) if "time" in data else None
    thing = _thing(doc, data["thing"], variables)
    readings, item_variables = compile_readings(
        doc, data["readings"], vocabulary, variables, thing, default_time
    )
    commands = _commands(doc, data.get("commands", []), channel, variables | item_variables)
    payload = data.get("payload", {})
    priority = int(data.get("priority", 0))
    specific = channel.specificity
    plan = MappingPlan(
        id=data["id"],
        version=str(data["version"]),
        file=doc.file,
        line=doc.line(()),
        description=data.get("description"),
        priority=priority,
        protocol=protocol,
        channel=channel,
        when=_conditions(doc, data["match"].get("when")),
        format=PayloadFormat(payload.get("format", "json")),
        schema=_payload_schema(doc, payload, read_schema, base),
        captures=captures,
        thing=thing,
        time=default_time,
        readings=readings,
        commands=commands,
        rank_key=(-priority, -specific[0], -specific[1], -specific[2], data["id"]),
    )
    return _with_examples(doc, plan)


def _with_examples(doc: SourceDocument, plan: MappingPlan) -> MappingPlan:
    examples = parse_examples(doc, plan)
    return dataclasses.replace(plan, examples=examples) if examples else plan


# --- passes ---------------------------------------------------------------------------


def _captures(
    doc: SourceDocument, specs: Mapping[str, Any], channel_variables: tuple[str, ...]
) -> tuple[CapturePlan, ...]:
    out = []
    for name, spec in specs.items():
        where: YamlPath = ("captures", name)
        if name in channel_variables:
            raise doc.error(where, f"capture {name!r} is already a channel variable")
        regex = regex_at(doc, (*where, "regex"), spec["regex"]) if "regex" in spec else None
        group: int | str = 0
        if regex is not None and "value" in regex.groupindex:
            group = "value"
        elif regex is not None and regex.groups:
            group = 1
        path = compile_path_at(doc, (*where, "path"), spec["path"])
        out.append(CapturePlan(name, path, regex, group))
    return tuple(out)


def _thing(doc: SourceDocument, spec: Mapping[str, Any], variables: frozenset[str]) -> ThingPlan:
    try:
        iri = parse_iri_template(spec["iri"])
    except TemplateSyntaxError as err:
        raise doc.error(("thing", "iri"), str(err)) from err
    label = None
    if "label" in spec:
        try:
            label = parse_template(spec["label"])
        except TemplateSyntaxError as err:
            raise doc.error(("thing", "label"), str(err)) from err
    curie = spec.get("type")
    if curie is not None and curie.split(":", 1)[0] not in PREFIXES:
        known = ", ".join(sorted(PREFIXES))
        raise doc.error(("thing", "type"), f"unknown prefix in {curie!r} (known: {known})")
    placement = None
    if "placement" in spec:
        raw = spec["placement"]
        position = raw.get("position")
        placement = Placement(
            area=raw.get("area"),
            position=(float(position[0]), float(position[1]), float(position[2]))
            if position
            else None,
            model=raw.get("model"),
            node=raw.get("node"),
        )
    per_item = not set(iri.variables) <= variables
    if label is not None and not per_item:
        require_variables(doc, ("thing", "label"), label.variables, variables, "thing.label")
    return ThingPlan(iri, curie, label, placement, per_item)


def _conditions(doc: SourceDocument, spec: Any) -> tuple[Condition, ...]:
    if spec is None:
        return ()
    items = spec if isinstance(spec, list) else [spec]
    prefix: YamlPath = ("match", "when")
    return tuple(
        _condition(doc, (*prefix, index) if isinstance(spec, list) else prefix, item)
        for index, item in enumerate(items)
    )


def _condition(doc: SourceDocument, path: YamlPath, spec: Mapping[str, Any]) -> Condition:
    tests = [key for key in ("exists", "equals", "in", "regex") if key in spec]
    if len(tests) != 1:
        raise doc.error(path, "a condition needs exactly one of exists / equals / in / regex")
    query = compile_path_at(doc, (*path, "path"), spec["path"])
    kind = tests[0]
    argument = spec[kind]
    check: Callable[[Any], bool]
    if kind == "exists":
        return Condition(f"{spec['path']} exists={argument}", _exists(query, bool(argument)))
    if kind == "equals":
        if isinstance(argument, str) and query.key is not None:
            return Condition(
                f"{spec['path']} {kind} {argument!r}", _key_equals(query.key, argument)
            )
        check = lambda value: json_equal(value, argument)  # noqa: E731
    elif kind == "in":
        options = tuple(argument)
        check = lambda value: any(json_equal(value, option) for option in options)  # noqa: E731
    else:
        regex = regex_at(doc, (*path, "regex"), argument)
        check = lambda value: isinstance(value, str) and regex.search(value) is not None  # noqa: E731
    return Condition(f"{spec['path']} {kind} {argument!r}", _any_selected(query, check))


def _key_equals(key: str, text: str) -> Callable[[Any], bool]:
    """``$.key equals 'text'``: a JSON value equals a string only if it is that string."""
    return lambda doc: type(doc) is dict and doc.get(key) == text


def _exists(query: PathQuery, wanted: bool) -> Callable[[Any], bool]:
    key = query.key
    if key is not None:  # `$.key`: a membership test
        return lambda doc: (type(doc) is dict and key in doc) is wanted
    if query.singular:
        return lambda doc: (query.one(doc) is not MISSING) is wanted

    def test(doc: Any) -> bool:
        try:
            return bool(query.values(doc)) == wanted
        except PathQueryError:
            return False

    return test


def _any_selected(query: PathQuery, check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    if query.singular:

        def single(doc: Any) -> bool:
            value = query.one(doc)
            return value is not MISSING and check(value)

        return single

    def several(doc: Any) -> bool:
        try:
            return any(check(value) for value in query.values(doc))
        except PathQueryError:
            return False

    return several


def _payload_schema(
    doc: SourceDocument, spec: Mapping[str, Any], read_schema: SchemaReader, base: Path
) -> Any:
    if "schema" in spec and "schema_file" in spec:
        raise doc.error(("payload", "schema_file"), "give either 'schema' or 'schema_file'")
    if "schema" in spec:
        schema, where, origin = spec["schema"], ("payload", "schema"), None
    elif "schema_file" in spec:
        file = base / spec["schema_file"]
        schema, where = read_schema(file, spec["schema_file"]), ("payload", "schema_file")
        origin = spec["schema_file"]
    else:
        return None
    problems = schema_problems(schema)
    if problems:
        first = (
            problems[0]
            if origin
            else min(problems, key=lambda problem: doc.line((*where, *problem.path)) or 0)
        )
        inside = f" (in {origin} at {'/'.join(map(str, first.path)) or 'the root'})"
        at = where if origin else (*where, *first.path)
        raise doc.error(at, first.message + (inside if origin else ""))
    return compile_payload_schema(schema)


def _commands(
    doc: SourceDocument, specs: list[Any], channel: ChannelPattern, variables: frozenset[str]
) -> Mapping[str, CommandPlan]:
    rest = frozenset(re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)\+\}", channel.text))
    out: dict[str, CommandPlan] = {}
    for index, spec in enumerate(specs):
        path: YamlPath = ("commands", index)
        if spec["name"] in out:
            raise doc.error((*path, "name"), f"duplicate command name {spec['name']!r}")
        try:
            out[spec["name"]] = compile_command(
                spec, channel.protocol, variables, rest, doc.line(path)
            )
        except CommandSpecError as err:
            raise doc.error((*path, *err.key), str(err)) from err
    return MappingProxyType(out)
