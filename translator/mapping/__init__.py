"""The mapping language: declarative YAML files compiled once into plans, run per envelope.

``load_mappings`` reads mapping files into a ``MappingSet``; ``MappingSet.resolve`` turns an
``Envelope`` into a ``Resolution`` (readings and things) or raises a ``PayloadError``;
``MappingSet.render_command`` turns a ``Command`` into what an adapter sends. The language
is documented in ``docs/mapping-language.md`` and published as ``mapping.schema.json``.
"""

from __future__ import annotations

from translator.mapping.examples import (
    CommandExample,
    Example,
    ExpectedReading,
    MessageExample,
    compare_readings,
    compare_things,
)
from translator.mapping.load import find_mapping_files, load_mappings, parse_mapping
from translator.mapping.mappingset import MappingSet, Resolution
from translator.mapping.plan import MappingPlan

__all__ = [
    "CommandExample",
    "Example",
    "ExpectedReading",
    "MappingPlan",
    "MappingSet",
    "MessageExample",
    "Resolution",
    "compare_readings",
    "compare_things",
    "find_mapping_files",
    "load_mappings",
    "parse_mapping",
]
