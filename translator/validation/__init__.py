"""Validation in the edge layer: SHACL on the RDF of every message (JSON Schema: ``payload``).

``ShapeGate`` compiles the shapes once and checks each message's pyoxigraph triples in
microseconds; ``validate`` is the general rdflib API (pyshacl's contract, W3C report graph).
Both fall back to the pyshacl oracle for shapes the compiler does not implement.
"""

from __future__ import annotations

from translator.validation.compiled import CompiledShapes
from translator.validation.compiler import compile_shapes
from translator.validation.oracle import OracleError, oracle_validate
from translator.validation.report import Violation
from translator.validation.shapes import ShapeGate, validate

__all__ = [
    "CompiledShapes",
    "OracleError",
    "ShapeGate",
    "Violation",
    "compile_shapes",
    "oracle_validate",
    "validate",
]
