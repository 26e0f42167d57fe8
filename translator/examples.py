"""Run every mapping's ``examples:`` through the whole pipeline (``translator test-mappings``).

A message example must produce exactly its expected readings (or be rejected at the
expected stage, SHACL included); a command example must render to the expected vendor
channel and payload (or be refused). Used by the CLI and by the test suite.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from translator.errors import CommandError
from translator.mapping import (
    CommandExample,
    Example,
    MessageExample,
    compare_readings,
    compare_things,
)
from translator.pipeline import Pipeline
from translator.values import Rejected


@dataclass(frozen=True, slots=True)
class ExampleOutcome:
    """One example's verdict: ``problems`` is empty when it passed."""

    example: Example
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True when the example produced what it promised."""
        return not self.problems

    @property
    def where(self) -> str:
        """``mappings/x.yaml:12`` — where the example is written."""
        line = self.example.line
        return self.example.file if line is None else f"{self.example.file}:{line}"


def run_examples(pipeline: Pipeline) -> list[ExampleOutcome]:
    """Run every example of every loaded mapping, in mapping order."""
    return [run_example(pipeline, example) for example in pipeline.mappings.examples]


def run_example(pipeline: Pipeline, example: Example) -> ExampleOutcome:
    """Run one example."""
    if isinstance(example, MessageExample):
        problems = _message_problems(pipeline, example)
    else:
        problems = _command_problems(pipeline, example)
    return ExampleOutcome(example, tuple(problems))


def _message_problems(pipeline: Pipeline, example: MessageExample) -> list[str]:
    outcome = pipeline.translate(example.envelope)
    if isinstance(outcome, Rejected):
        if example.rejected is None:
            return [f"rejected at {outcome.stage}: {outcome.reason}"]
        if outcome.stage != example.rejected:
            return [
                f"expected a rejection at {example.rejected}, got one at {outcome.stage}: "
                f"{outcome.reason}"
            ]
        return []
    if example.rejected is not None:
        return [f"expected a rejection at {example.rejected}, but it was translated"]
    problems = compare_readings(example.readings or (), outcome.readings)
    if example.things is not None:
        problems += compare_things(example.things, outcome.things)
    if outcome.mapping_id != example.mapping_id:
        problems.append(f"translated by mapping {outcome.mapping_id!r}, not this one")
    return problems


def _command_problems(pipeline: Pipeline, example: CommandExample) -> list[str]:
    try:
        rendered = pipeline.mappings.render_command(
            example.mapping_id, example.command, dict(example.variables)
        )
    except CommandError as err:
        return [] if example.error else [f"command refused: {err}"]
    if example.error:
        return [f"expected the command to be refused, got {rendered.payload!r}"]
    problems: list[str] = []
    if example.channel is not None and rendered.channel != example.channel:
        problems.append(f"channel {rendered.channel!r}, expected {example.channel!r}")
    if example.method is not None and rendered.method != example.method:
        problems.append(f"method {rendered.method!r}, expected {example.method!r}")
    if example.payload_text is not None and rendered.payload.decode() != example.payload_text:
        problems.append(f"payload {rendered.payload!r}, expected {example.payload_text!r}")
    if example.payload is not None and orjson.loads(rendered.payload) != example.payload:
        problems.append(f"payload {rendered.payload!r}, expected {example.payload!r}")
    return problems
