"""The shipped vendor mappings (``mappings/*.yaml``): they load, and every example holds.

Each file's ``examples:`` are its own tests. A message example runs through the real
pipeline (decode → match → JSON Schema → readings → RDF → SHACL gate) and must give exactly
its readings and things, or be rejected at exactly its stage *by its own mapping*; a command
example must render to exactly its vendor channel and payload (or be refused). The ids of
the parametrized cases are ``<mapping id>[<example index>]``, so a failure names the file
and the example to open. The verdicts come from ``translator.examples`` (the runner behind
``translator test-mappings``); this module adds the checks that only the shipped files need.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import cbor2
import orjson
import pytest
import yaml

from translator.examples import ExampleOutcome, run_example
from translator.mapping import (
    CommandExample,
    ExpectedReading,
    MappingSet,
    MessageExample,
    find_mapping_files,
)
from translator.pipeline import Pipeline, build_pipeline
from translator.settings import Settings
from translator.values import Rejected

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
SCHEMA_LINE = "# yaml-language-server: $schema=../translator/mapping/mapping.schema.json"


def _example_ids() -> Iterator[tuple[str, int, bool]]:
    """(mapping id, example index, is a command example) of every example, read plainly.

    Read with ``yaml.safe_load`` at collection time only to name the cases; the test itself
    uses the examples as the real loader compiled them.
    """
    for file in sorted(MAPPINGS.glob("*.yaml")):
        data = yaml.safe_load(file.read_text("utf-8"))
        for index, example in enumerate(data.get("examples") or []):
            yield data["id"], index, "command" in example


MESSAGE_CASES = [
    pytest.param(mapping_id, index, id=f"{mapping_id}[{index}]")
    for mapping_id, index, is_command in _example_ids()
    if not is_command
]
COMMAND_CASES = [
    pytest.param(mapping_id, index, id=f"{mapping_id}[{index}]")
    for mapping_id, index, is_command in _example_ids()
    if is_command
]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    """The real pipeline over the shipped mappings, built once for the module."""
    return build_pipeline(Settings(), [MAPPINGS])


@pytest.fixture(scope="module")
def mappings(pipeline: Pipeline) -> MappingSet:
    """The compiled shipped mappings."""
    return pipeline.mappings


def _example(mappings: MappingSet, mapping_id: str, index: int) -> Any:
    examples = mappings.mappings[mapping_id].examples
    assert index < len(examples), f"{mapping_id} has {len(examples)} examples, not {index + 1}"
    return examples[index]


def _failure(outcome: ExampleOutcome) -> str:
    return f"{outcome.example.title} ({outcome.where}):\n  " + "\n  ".join(outcome.problems)


@pytest.mark.parametrize(("mapping_id", "index"), MESSAGE_CASES)
def test_message_example(
    pipeline: Pipeline, mappings: MappingSet, mapping_id: str, index: int
) -> None:
    example = _example(mappings, mapping_id, index)
    assert isinstance(example, MessageExample)
    outcome = run_example(pipeline, example)
    assert outcome.passed, _failure(outcome)
    if example.rejected not in (None, "match"):
        # a rejection after matching must come from this mapping, not from a neighbour
        verdict = pipeline.translate(example.envelope)
        assert isinstance(verdict, Rejected)
        assert verdict.mapping_id == mapping_id, (
            f"{example.title}: rejected by {verdict.mapping_id}"
        )


@pytest.mark.parametrize(("mapping_id", "index"), COMMAND_CASES)
def test_command_example(
    pipeline: Pipeline, mappings: MappingSet, mapping_id: str, index: int
) -> None:
    example = _example(mappings, mapping_id, index)
    assert isinstance(example, CommandExample)
    outcome = run_example(pipeline, example)
    assert outcome.passed, _failure(outcome)


def test_every_file_is_loaded_under_its_own_name(mappings: MappingSet) -> None:
    files = find_mapping_files([MAPPINGS])
    assert len(files) >= 15
    assert sorted(mappings.mappings) == sorted(file.stem for file in files)


@pytest.mark.parametrize("file", sorted(MAPPINGS.glob("*.yaml")), ids=lambda path: path.stem)
def test_every_file_names_its_schema_and_its_source(file: Path) -> None:
    text = file.read_text("utf-8")
    assert text.splitlines()[0] == SCHEMA_LINE
    data = yaml.safe_load(text)
    assert str(data.get("source", "")).startswith("https://")
    assert data.get("description")


def test_every_mapping_has_a_translated_and_a_rejected_example(mappings: MappingSet) -> None:
    lacking = []
    for mapping_id, plan in sorted(mappings.mappings.items()):
        messages = [ex for ex in plan.examples if isinstance(ex, MessageExample)]
        if not any(ex.rejected is None for ex in messages):
            lacking.append(f"{mapping_id}: no example that translates")
        if not any(ex.rejected is not None for ex in messages):
            lacking.append(f"{mapping_id}: no rejected example")
    assert not lacking, "\n".join(lacking)


def test_every_command_has_an_example(mappings: MappingSet) -> None:
    lacking = []
    for mapping_id, plan in sorted(mappings.mappings.items()):
        shown = {ex.command.name for ex in plan.examples if isinstance(ex, CommandExample)}
        lacking += [f"{mapping_id}: {name}" for name in sorted(set(plan.commands) - shown)]
    assert not lacking, "commands without an example:\n" + "\n".join(lacking)


def test_a_wrong_expectation_is_reported(pipeline: Pipeline, mappings: MappingSet) -> None:
    """The examples can fail: a changed value, a missing reading, a wrong stage are reported."""
    example = _example(mappings, "zigbee2mqtt-climate", 0)
    assert isinstance(example, MessageExample)
    assert example.readings
    assert run_example(pipeline, example).passed
    first: ExpectedReading = example.readings[0]
    assert isinstance(first.value, float)
    changed = (replace(first, value=first.value + 1), *example.readings[1:])
    assert not run_example(pipeline, replace(example, readings=changed)).passed
    assert not run_example(pipeline, replace(example, readings=example.readings[1:])).passed
    assert not run_example(pipeline, replace(example, readings=None, rejected="schema")).passed
    plug = mappings.mappings["zigbee2mqtt-plug"].examples
    command = next(ex for ex in plug if isinstance(ex, CommandExample) and ex.command.value)
    assert command.payload == {"state": "ON"}
    assert run_example(pipeline, command).passed
    assert not run_example(pipeline, replace(command, payload={"state": "OFF"})).passed


def test_the_senml_cbor_example_is_the_rfc_8428_pack(mappings: MappingSet) -> None:
    """The CBOR bytes of senml-cbor examples[0] decode to RFC 8428's JSON pack (§5.1.2, §6)."""
    example = _example(mappings, "senml-cbor", 0)
    assert isinstance(example, MessageExample)
    labels = {-1: "bver", -2: "bn", -3: "bt", -4: "bu", 0: "n", 1: "u", 2: "v", 6: "t"}
    records = cbor2.loads(example.envelope.payload)
    pack = [{labels[key]: value for key, value in record.items()} for record in records]
    rfc = orjson.loads(
        b'[{"bn":"urn:dev:ow:10e2073a0108006:","bt":1.276020076001e+09,"bu":"A","bver":5,'
        b'"n":"voltage","u":"V","v":120.1},{"n":"current","t":-5,"v":1.2},'
        b'{"n":"current","t":-4,"v":1.3},{"n":"current","t":-3,"v":1.4},'
        b'{"n":"current","t":-2,"v":1.5},{"n":"current","t":-1,"v":1.6},'
        b'{"n":"current","v":1.7}]'
    )
    rfc[-1]["t"] = 0  # the RFC's CBOR spells out the last record's relative time 0
    assert pack == rfc
    assert example.envelope.payload[:3] == bytes.fromhex("87a721")  # array(7), map(7), bn


def test_the_catalogue_lists_every_mapping(mappings: MappingSet) -> None:
    catalogue = (MAPPINGS.parent / "docs" / "mappings.md").read_text("utf-8")
    missing = [
        mapping_id for mapping_id in sorted(mappings.mappings) if f"`{mapping_id}`" not in catalogue
    ]
    assert not missing, f"docs/mappings.md does not list: {', '.join(missing)}"
