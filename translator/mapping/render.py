"""Commands, the way back: a mapping's command compiled at load, rendered per request.

``render_command`` checks the engine's value against the command's JSON Schema, applies the
optional ``map`` (``true -> "ON"``), fills the channel template from the thing's variables
and builds the vendor payload: in a JSON template, a string that is exactly ``{value}``
becomes the typed value, other ``{var}``s are substituted as text. Variable values are
checked so that none can change the channel's structure (no ``/``, ``+``, ``#`` in an MQTT
level; no ``/``, ``?``, ``#`` in a CoAP/HTTP segment), except a ``{rest+}`` variable's ``/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson

from translator.errors import CommandError
from translator.mapping.payload_schema import compile_payload_schema, schema_problems
from translator.mapping.plan import CommandPlan, MappingPlan
from translator.mapping.templates import Template, TemplateError, TemplateSyntaxError
from translator.mapping.templates import parse_template as parse
from translator.mapping.transforms import LookupTable, StepError, describe_value
from translator.values import Command, Protocol, RenderedCommand

__all__ = ["CommandSpecError", "compile_command", "render_command"]

_CONTENT_FORMATS: Final = {"json": "application/json", "text": "text/plain"}
_FORBIDDEN: Final = {
    Protocol.MQTT: frozenset("/+#\x00"),
    Protocol.COAP: frozenset("/?#\x00"),
    Protocol.HTTP: frozenset("/?#\x00"),
}


class CommandSpecError(ValueError):
    """A command in a mapping file is wrong; ``key`` locates it inside the command."""

    def __init__(self, reason: str, key: tuple[str | int, ...] = ()):
        self.key = key
        super().__init__(reason)


class _Value:
    """Marks the place of a template string that is exactly ``{value}``."""

    __slots__ = ()


_VALUE: Final = _Value()


def compile_command(
    spec: Mapping[str, Any],
    protocol: Protocol,
    variables: frozenset[str],
    rest_variables: frozenset[str],
    line: int | None,
) -> CommandPlan:
    """Compile one ``commands`` entry.

    Raises:
        CommandSpecError: a bad template, unknown variable, method on MQTT, bad value schema.
    """
    target = Protocol(spec.get("protocol", protocol))
    channel = _template(spec["channel"], ("channel",), variables)
    if target is Protocol.MQTT and "method" in spec:
        raise CommandSpecError("'method' is for CoAP and HTTP commands only", ("method",))
    method = None if target is Protocol.MQTT else spec.get("method", "PUT")
    payload = spec["payload"]
    fmt = payload.get("format", "json")
    template: Any
    if fmt == "text":
        if not isinstance(payload["template"], str):
            raise CommandSpecError("a text payload template is text", ("payload", "template"))
        template = _template(payload["template"], ("payload", "template"), variables | {"value"})
    else:
        template = _json_template(payload["template"], ("payload", "template"), variables)
    value_schema = None
    if "value" in spec:
        problems = schema_problems(spec["value"])
        if problems:
            raise CommandSpecError(problems[0].message, ("value", *problems[0].path))
        value_schema = compile_payload_schema(spec["value"])
    value_map = None
    if "map" in payload:
        if not payload["map"]:
            raise CommandSpecError("the map is empty", ("payload", "map"))
        value_map = LookupTable(payload["map"]).lookup
    return CommandPlan(
        name=spec["name"],
        protocol=target,
        channel=channel,
        rest_variables=rest_variables,
        method=method,
        format=fmt,
        template=template,
        value_schema=value_schema,
        value_map=value_map,
        property=spec.get("property"),
        line=line,
    )


def _template(text: str, key: tuple[str | int, ...], variables: frozenset[str]) -> Template:
    try:
        template = parse(text)
    except TemplateSyntaxError as err:
        raise CommandSpecError(str(err), key) from err
    for name in template.variables:
        if name not in variables:
            have = ", ".join(sorted(variables)) or "none"
            raise CommandSpecError(
                f"{{{name}}} is not a variable of this mapping's things (variables: {have})", key
            )
    return template


def _json_template(node: Any, key: tuple[str | int, ...], variables: frozenset[str]) -> Any:
    if isinstance(node, str):
        if node == "{value}":
            return _VALUE
        template = _template(node, key, variables | {"value"})
        return node if template.constant else template
    if isinstance(node, list):
        return [_json_template(item, (*key, i), variables) for i, item in enumerate(node)]
    if isinstance(node, dict):
        return {k: _json_template(v, (*key, k), variables) for k, v in node.items()}
    return node


def render_command(
    plan: MappingPlan, command: Command, variables: Mapping[str, str]
) -> RenderedCommand:
    """Render ``command`` for the device described by ``variables``.

    Raises:
        CommandError: unknown command, a value the schema refuses or the map lacks, a
            missing variable, or a variable value that would change the channel's structure.
    """
    compiled = plan.commands.get(command.name)
    if compiled is None:
        known = ", ".join(sorted(plan.commands)) or "none"
        raise CommandError(f"mapping {plan.id} has no command {command.name!r} (commands: {known})")
    value = _checked_value(plan.id, compiled, command.value)
    channel = _channel(compiled, variables)
    try:
        text_values = {**variables, "value": _as_text(value)}
        if compiled.format == "text":
            payload = compiled.template.render(text_values).encode("utf-8")
        else:
            payload = orjson.dumps(_fill(compiled.template, value, text_values))
    except (TemplateError, orjson.JSONEncodeError) as err:
        raise CommandError(f"command {command.name}: {err}") from err
    return RenderedCommand(
        command=command,
        mapping_id=plan.id,
        protocol=compiled.protocol,
        channel=channel,
        payload=payload,
        content_format=_CONTENT_FORMATS[compiled.format],
        method=compiled.method,
    )


def _checked_value(mapping_id: str, compiled: CommandPlan, value: Any) -> Any:
    if compiled.value_schema is not None:
        violation = compiled.value_schema.violation(value)
        if violation is not None:
            raise CommandError(
                f"command {compiled.name} of mapping {mapping_id}: value "
                f"{describe_value(value)} refused: {violation.message}"
            )
    if compiled.value_map is None:
        return value
    try:
        return compiled.value_map(value)
    except StepError as err:
        raise CommandError(f"command {compiled.name}: {err}") from err


def _channel(compiled: CommandPlan, variables: Mapping[str, str]) -> str:
    forbidden = _FORBIDDEN[compiled.protocol]
    for name in compiled.channel.variables:
        value = variables.get(name)
        if value is None:
            raise CommandError(f"command {compiled.name}: no value for {{{name}}} in the channel")
        if not value:
            raise CommandError(f"command {compiled.name}: {{{name}}} is empty")
        bad = forbidden - {"/"} if name in compiled.rest_variables else forbidden
        if any(ch in bad for ch in value) or any(ord(ch) < 0x20 for ch in value):
            raise CommandError(
                f"command {compiled.name}: {{{name}}} = {value!r} would change the channel"
            )
    return compiled.channel.render(variables)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode("utf-8")


def _fill(node: Any, value: Any, text_values: Mapping[str, str]) -> Any:
    if node is _VALUE:
        return value
    if isinstance(node, Template):
        return node.render(text_values)
    if isinstance(node, list):
        return [_fill(item, value, text_values) for item in node]
    if isinstance(node, dict):
        return {k: _fill(v, value, text_values) for k, v in node.items()}
    return node
