"""Where the shipped data lives at run time: the ontology and the vendor mappings.

An installed wheel carries them as package data (``translator/_data/…``, see the hatch
``force-include`` in pyproject.toml); a source checkout has them at the repository root.
"""

from __future__ import annotations

from pathlib import Path

from translator.errors import OntologyError

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
REPOSITORY_ROOT = PACKAGE_ROOT.parent


def ontology_dir() -> Path:
    """The folder holding ``units.ttl``, ``properties.ttl``, ``shapes.ttl`` …

    Raises:
        OntologyError: neither the packaged nor the repository folder exists.
    """
    return _data_dir("ontology")


def mappings_dir() -> Path:
    """The folder holding the shipped vendor mappings (``*.yaml``).

    Raises:
        OntologyError: neither the packaged nor the repository folder exists.
    """
    return _data_dir("mappings")


def _data_dir(name: str) -> Path:
    candidates = (PACKAGE_ROOT / "_data" / name, REPOSITORY_ROOT / name)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    looked = ", ".join(str(candidate) for candidate in candidates)
    raise OntologyError(f"no {name} folder found (looked in {looked}); reinstall the package")
