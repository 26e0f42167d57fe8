"""Fixtures of the ontology tests: the loaded vocabulary, the shapes, the shared folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from translator.ontology.files import ontology_dir
from translator.ontology.vocabulary import Vocabulary, load_vocabulary

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


@pytest.fixture(scope="session")
def vocabulary() -> Vocabulary:
    """The shipped vocabulary, loaded once."""
    return load_vocabulary()


@pytest.fixture(scope="session")
def shapes() -> Graph:
    """ontology/shapes.ttl parsed by rdflib (what pyshacl reads)."""
    return Graph().parse(ontology_dir() / "shapes.ttl", format="turtle")


@pytest.fixture
def shared() -> Path:
    """The ../shared folder with the standard vocabularies; skips when absent."""
    if not (SHARED / "ontologies").is_dir():
        pytest.skip(f"../shared not present: {SHARED.resolve()} has no ontologies/")
    return SHARED.resolve()
