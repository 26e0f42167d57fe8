"""Descriptions to RDF: things (for the things graph) and mapping versions (for the meta graph).

Both are written once per thing or mapping version, not per message, so they may say more
than the history does: every type, the label, the scene placement.
"""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad

from translator.rdf.identifiers import mapping_iri
from translator.rdf.namespaces import PREFIXES
from translator.rdf.observations import named_node
from translator.rdf.terms import (
    META,
    OWL_VERSION_INFO,
    PROV_PLAN,
    RDF_TYPE,
    RDFS_LABEL,
    SOSA_PLATFORM,
    SOSA_SENSOR,
    THINGS,
    TR_AREA,
    TR_MAPPING,
    TR_MAPPING_ID,
    TR_MODEL,
    TR_POSITION_X,
    TR_POSITION_Y,
    TR_POSITION_Z,
    TR_REGISTERED_BY,
    TR_SCENE_NODE,
    TR_SOURCE_FILE,
    TR_VARIABLE,
)
from translator.values import ThingInfo


def expand_curie(text: str) -> str:
    """``saref:Switch`` → the full IRI; text whose prefix is not a known one is kept as is."""
    prefix, colon, local = text.partition(":")
    if colon and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return text


def thing_quads(info: ThingInfo) -> list[Quad]:
    """The things-graph description of one thing.

    Raises:
        ExtractionError: the thing IRI or its type does not make a valid IRI.
    """
    thing = named_node(info.iri, "thing", info.mapping_id)
    quads = [
        Quad(thing, RDF_TYPE, SOSA_PLATFORM, THINGS),
        Quad(thing, RDF_TYPE, SOSA_SENSOR, THINGS),
    ]
    if info.type is not None:
        kind = named_node(expand_curie(info.type), "thing type", info.mapping_id)
        quads.append(Quad(thing, RDF_TYPE, kind, THINGS))
    if info.label is not None:
        quads.append(Quad(thing, RDFS_LABEL, Literal(info.label), THINGS))
    placement = info.placement
    if placement is not None:
        if placement.area is not None:
            quads.append(Quad(thing, TR_AREA, Literal(placement.area), THINGS))
        if placement.position is not None:
            x, y, z = placement.position
            quads += (
                Quad(thing, TR_POSITION_X, Literal(float(x)), THINGS),
                Quad(thing, TR_POSITION_Y, Literal(float(y)), THINGS),
                Quad(thing, TR_POSITION_Z, Literal(float(z)), THINGS),
            )
        if placement.model is not None:
            quads.append(Quad(thing, TR_MODEL, Literal(placement.model), THINGS))
        if placement.node is not None:
            quads.append(Quad(thing, TR_SCENE_NODE, Literal(placement.node), THINGS))
    return quads


def registration_quads(info: ThingInfo) -> list[Quad]:
    """How the thing was registered: the mapping that described it and its template variables.

    ``tr:registeredBy "mapping-id"`` and one ``tr:variable "name=value"`` per variable (names
    are identifiers, so the first ``=`` splits them); the command path renders vendor channels
    from them. Raises ``ExtractionError`` like ``thing_quads`` for a bad thing IRI.
    """
    thing = named_node(info.iri, "thing", info.mapping_id)
    quads = [Quad(thing, TR_REGISTERED_BY, Literal(info.mapping_id), THINGS)]
    quads += (
        Quad(thing, TR_VARIABLE, Literal(f"{name}={value}"), THINGS)
        for name, value in info.variables
    )
    return quads


def parse_variable(text: str) -> tuple[str, str] | None:
    """``"device=kitchen_plug"`` → ``("device", "kitchen_plug")``; ``None`` without ``=``."""
    name, sign, value = text.partition("=")
    return (name, value) if sign and name else None


def mapping_quads(mapping_id: str, version: str, file: str | Path | None = None) -> list[Quad]:
    """The meta-graph node of one mapping version (``file``: only its name is recorded)."""
    node = NamedNode(mapping_iri(mapping_id, version))  # both segments percent-encoded
    quads = [
        Quad(node, RDF_TYPE, TR_MAPPING, META),
        Quad(node, RDF_TYPE, PROV_PLAN, META),
        Quad(node, TR_MAPPING_ID, Literal(mapping_id), META),
        Quad(node, OWL_VERSION_INFO, Literal(version), META),
    ]
    if file is not None:
        quads.append(Quad(node, TR_SOURCE_FILE, Literal(Path(file).name), META))
    return quads
