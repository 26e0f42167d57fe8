"""Load mapping files (or folders of them) into a ``MappingSet``.

Each file is parsed keeping line numbers (``yamlsource``), checked against the published
JSON Schema (``fileschema``), compiled (``compile``) — every problem is a ``MappingError``
reading ``FILE:LINE: reason`` — and the plans are indexed together. Loading is all-or-
nothing: one bad file stops the load, so a typo never silently disables a device family.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema

from translator.errors import MappingError
from translator.mapping.compile import compile_mapping
from translator.mapping.decode import DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_PAYLOAD_BYTES
from translator.mapping.fileschema import check_document, mapping_file_validator
from translator.mapping.mappingset import MappingSet
from translator.mapping.plan import MappingPlan
from translator.mapping.vocabulary import Vocabulary
from translator.mapping.yamlsource import SourceDocument, parse_yaml, read_yaml_file

__all__ = ["find_mapping_files", "load_mappings", "parse_mapping"]

logger = logging.getLogger(__name__)

SUFFIXES = (".yaml", ".yml")


def load_mappings(
    paths: Iterable[Path],
    vocabulary: Vocabulary,
    *,
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH,
) -> MappingSet:
    """Load every mapping in ``paths`` (files, or folders of ``*.yaml``/``*.yml``).

    Raises:
        MappingError: a file is missing, unreadable or invalid; two mappings share an id.
    """
    validator = mapping_file_validator()
    plans: list[MappingPlan] = []
    seen: dict[str, str] = {}
    for file in find_mapping_files(paths):
        doc = read_yaml_file(file, str(file))
        plan = _compile_document(doc, vocabulary, validator, file.parent)
        if plan.id in seen:
            raise doc.error(("id",), f"duplicate mapping id {plan.id!r} (also in {seen[plan.id]})")
        seen[plan.id] = doc.file
        plans.append(plan)
    logger.info("loaded %d mappings", len(plans))
    return MappingSet(
        plans, vocabulary, max_payload_bytes=max_payload_bytes, max_json_depth=max_json_depth
    )


def parse_mapping(
    text: str, vocabulary: Vocabulary, *, file: str = "<mapping>", base: Path | None = None
) -> MappingPlan:
    """Compile one mapping given as YAML text (``schema_file`` resolves against ``base``).

    Raises:
        MappingError: the text is not a valid mapping.
    """
    doc = parse_yaml(text, file)
    return _compile_document(doc, vocabulary, mapping_file_validator(), base or Path.cwd())


def find_mapping_files(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus the ``*.yaml``/``*.yml`` files of folders (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise MappingError(str(path), None, "no such mapping file or folder")
    unique: dict[Path, Path] = {}
    for file in files:
        unique.setdefault(file.resolve(), file)
    return list(unique.values())


def _compile_document(
    doc: SourceDocument,
    vocabulary: Vocabulary,
    validator: jsonschema.Draft202012Validator,
    base: Path,
) -> MappingPlan:
    check_document(doc, validator)
    return compile_mapping(doc, vocabulary, read_schema=_read_schema_file(doc), base=base)


def _read_schema_file(doc: SourceDocument) -> Any:
    def read(path: Path, display: str) -> Any:
        where = ("payload", "schema_file")
        if path.suffix in SUFFIXES:
            return read_yaml_file(path, display).data
        try:
            return json.loads(path.read_text("utf-8"))
        except OSError as err:
            raise doc.error(where, f"cannot read {display}: {err.strerror}") from err
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise doc.error(where, f"{display} is not JSON: {err}") from err

    return read
