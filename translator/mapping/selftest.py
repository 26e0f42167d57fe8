"""Run a mapping's examples at the edge layer: resolve or render, then compare.

``check_example`` stops where this layer stops: an example expecting ``rejected: shape``
passes here when it resolves (the SHACL gate is the pipeline's). The pipeline's
``translator test-mappings`` runs the same examples end to end.
"""

from __future__ import annotations

import orjson

from translator.errors import CommandError, PayloadError
from translator.mapping.examples import (
    CommandExample,
    Example,
    MessageExample,
    compare_readings,
    compare_things,
)
from translator.mapping.json_equality import json_equal
from translator.mapping.mappingset import MappingSet

__all__ = ["check_example"]


def check_example(mappings: MappingSet, example: Example) -> list[str]:
    """Problems with ``example`` (empty when it passes)."""
    if isinstance(example, CommandExample):
        return _check_command(mappings, example)
    return _check_message(mappings, example)


def _check_message(mappings: MappingSet, example: MessageExample) -> list[str]:
    try:
        resolution = mappings.resolve(example.envelope)
    except PayloadError as err:
        if example.rejected == err.stage:
            return []
        wanted = f" (expected rejected: {example.rejected})" if example.rejected else ""
        return [f"rejected at {err.stage}: {err.reason}{wanted}"]
    if resolution.mapping_id != example.mapping_id:
        return [f"claimed by mapping {resolution.mapping_id}, not {example.mapping_id}"]
    if example.rejected is not None and example.rejected != "shape":
        return [f"expected rejected: {example.rejected}, got {len(resolution.readings)} readings"]
    problems = []
    if example.readings is not None:
        problems += compare_readings(example.readings, resolution.readings)
    if example.things is not None:
        problems += compare_things(example.things, resolution.things)
    return problems


def _check_command(mappings: MappingSet, example: CommandExample) -> list[str]:
    try:
        rendered = mappings.render_command(
            example.mapping_id, example.command, dict(example.variables)
        )
    except CommandError as err:
        return [] if example.error else [f"refused: {err}"]
    if example.error:
        return ["expected the command to be refused"]
    problems = []
    if example.channel is not None and rendered.channel != example.channel:
        problems.append(f"channel {rendered.channel!r}, expected {example.channel!r}")
    if example.method is not None and rendered.method != example.method:
        problems.append(f"method {rendered.method!r}, expected {example.method!r}")
    if example.payload_text is not None:
        text = rendered.payload.decode("utf-8", "replace")
        if text != example.payload_text:
            problems.append(f"payload {text!r}, expected {example.payload_text!r}")
    elif example.payload is not None:
        try:
            got = orjson.loads(rendered.payload)
        except orjson.JSONDecodeError:
            got = rendered.payload.decode("utf-8", "replace")
        if not json_equal(got, example.payload):
            problems.append(f"payload {got!r}, expected {example.payload!r}")
    return problems
