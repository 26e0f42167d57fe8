"""The exception tree. Every error says what went wrong and what to do next.

TranslatorError
├── ConfigError            bad settings; fatal at start
├── OntologyError          the shipped ontology is missing or inconsistent
├── MappingError           a mapping file is wrong (file, line, reason); rejected at load
├── PayloadError           one envelope cannot be translated (never escapes the pipeline)
│   ├── DecodeError        the bytes are not the declared format
│   ├── NoMappingMatched   no mapping claims this protocol + channel (+ condition)
│   ├── SchemaViolation    the vendor payload breaks the mapping's JSON Schema
│   ├── ExtractionError    a reading's path or transform failed
│   └── ShapeViolation     the RDF breaks the SHACL shapes
├── CommandError           a command is unknown or its value has the wrong type
│   └── CommandNotFound    no such thing, or none of its mappings declares the command
├── AdapterError           a transport failed (broker down, port taken)
├── StoreError             the RDF store failed
├── QueryError             a SPARQL query is malformed, refused or too expensive
└── AuthError              missing or insufficient credentials
"""

from __future__ import annotations

from typing import Any


class TranslatorError(Exception):
    """Base of every error the translator raises on purpose."""


class ConfigError(TranslatorError):
    """The settings are invalid; the message names the setting."""


class OntologyError(TranslatorError):
    """The ontology files are missing or do not hold what the code needs."""


class MappingError(TranslatorError):
    """A mapping file is invalid. ``str()`` reads ``file:line: reason``."""

    def __init__(self, file: str, line: int | None, reason: str, column: int | None = None):
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
        where = file if line is None else f"{file}:{line}"
        super().__init__(f"{where}: {reason}")


class PayloadError(TranslatorError):
    """One envelope cannot be translated. ``stage`` names the pipeline step."""

    stage = "decode"

    def __init__(
        self,
        reason: str,
        *,
        mapping_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ):
        self.reason = reason
        self.mapping_id = mapping_id
        self.detail = detail or {}
        super().__init__(reason)


class DecodeError(PayloadError):
    """The bytes are not valid in the declared payload format."""

    stage = "decode"


class NoMappingMatched(PayloadError):
    """No loaded mapping matches the envelope's protocol and channel."""

    stage = "match"


class SchemaViolation(PayloadError):
    """The vendor payload breaks the mapping's JSON Schema."""

    stage = "schema"


class ExtractionError(PayloadError):
    """A reading could not be extracted (missing path, bad transform input)."""

    stage = "extract"


class ShapeViolation(PayloadError):
    """The translated RDF does not conform to the SHACL shapes."""

    stage = "shape"


class CommandError(TranslatorError):
    """A command cannot be rendered: unknown name, thing or ill-typed value."""


class CommandNotFound(CommandError):
    """The thing is unknown, or no mapping that describes it declares the command (404)."""


class AdapterError(TranslatorError):
    """A protocol adapter failed to connect, listen or send."""


class StoreError(TranslatorError):
    """The RDF store failed to read or write."""


class QueryError(TranslatorError):
    """A SPARQL query is malformed, refused (SERVICE, LOAD) or over its limits."""


class AuthError(TranslatorError):
    """Credentials are missing (401) or lack the needed scope (403)."""

    def __init__(self, reason: str, *, status: int = 401):
        self.status = status
        super().__init__(reason)
