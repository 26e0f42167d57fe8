"""Scene files: which 3D scene the viewer shows, and where each thing stands in it.

A scene file is YAML (``docs/viewer.md`` has the reference)::

    scene: generated-room            # our generated room | a .glb/.gltf beside this file
    things:
      - thing: urn:dev:zigbee2mqtt:kitchen_plug
        node: CeilingFan             # bind a node of the scene to the thing
        area: kitchen
      - thing: urn:dev:homeassistant:hallway
        area: hallway
        position: [-3.2, 0.0, 2.0]   # metres, the scene's frame (glTF: Y up)
        model: sensor.glb            # a .glb/.gltf beside this file stands for the thing

It is read once at start (``load_scene_file``) and its placements are written as RDF into
their own named graph, ``…/graph/scene`` (``placement_quads``), replaced as a whole at every
start, so SPARQL sees them next to the placements mappings give (``…/graph/things``). A scene
file's placement wins over a mapping's, field by field. It has a graph of its own because
the things graph is rewritten from the mappings' descriptions whenever a thing is seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pyoxigraph import Literal, NamedNode, Quad

from translator.errors import ConfigError, MappingError
from translator.mapping.yamlsource import SourceDocument, read_yaml_file
from translator.rdf.namespaces import GRAPH
from translator.rdf.terms import (
    TR_AREA,
    TR_MODEL,
    TR_POSITION_X,
    TR_POSITION_Y,
    TR_POSITION_Z,
    TR_SCENE_NODE,
)
from translator.values import Placement

SCENE_GRAPH: Final = GRAPH + "scene"
SCENE: Final = NamedNode(SCENE_GRAPH)
GENERATED_ROOM: Final = "generated-room"
DEMO_SCENE_FILE: Final = Path(__file__).resolve().parent / "demo" / "scene.yaml"
MODEL_FILE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.(?:glb|gltf)$")
"""A scene or model file: a plain name in the scene file's folder (no paths, no URLs)."""

_Name = Annotated[str, Field(min_length=1, max_length=256)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    thing: Annotated[str, Field(min_length=1, max_length=2048)]
    node: _Name | None = None
    area: _Name | None = None
    position: tuple[float, float, float] | None = None
    model: Annotated[str, Field(pattern=MODEL_FILE.pattern)] | None = None

    @field_validator("thing")
    @classmethod
    def _iri(cls, value: str) -> str:
        try:
            NamedNode(value)
        except ValueError as err:
            raise ValueError(f"not an IRI: {err}") from err
        return value


class _SceneFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scene: (
        Annotated[str, Field(pattern=f"^(?:{GENERATED_ROOM}|{MODEL_FILE.pattern[1:-1]})$")] | None
    ) = None
    things: list[_Entry] = Field(default_factory=list, max_length=100_000)


@dataclass(frozen=True, slots=True)
class ScenePlacement:
    """One thing's place in the scene, as a scene file gives it."""

    thing: str
    placement: Placement


@dataclass(frozen=True, slots=True)
class SceneSetup:
    """What the viewer shows: the scene (``None``: a floor grid only) and the placements.

    ``scene`` is ``"generated-room"`` or the path of a GLB/glTF file; ``folder`` is where
    the scene file's models live (``None`` without a scene file).
    """

    scene: Path | str | None = None
    placements: tuple[ScenePlacement, ...] = ()
    folder: Path | None = None


def load_scene_file(path: Path) -> SceneSetup:
    """Read and check a scene file.

    Raises:
        ConfigError: the file cannot be read, is not a valid scene file (``file:line:
            reason``), names a thing twice, or a scene or model file that is not there.
    """
    try:
        document = read_yaml_file(path)
    except MappingError as err:
        raise ConfigError(f"scene file {err}") from err
    try:
        parsed = _SceneFile.model_validate(document.data)
    except ValidationError as err:
        raise _located(document, err) from err
    folder = path.parent
    placements = []
    seen: set[str] = set()
    for index, entry in enumerate(parsed.things):
        where = f"scene file {document.file}:{document.line(('things', index)) or '?'}"
        if entry.thing in seen:
            raise ConfigError(f"{where}: {entry.thing} is placed twice")
        seen.add(entry.thing)
        if entry.model is not None and not (folder / entry.model).is_file():
            raise ConfigError(f"{where}: model file {entry.model} is not in {folder}")
        placement = Placement(entry.area, entry.position, entry.model, entry.node)
        placements.append(ScenePlacement(entry.thing, placement))
    scene: Path | str | None = parsed.scene
    if parsed.scene is not None and parsed.scene != GENERATED_ROOM:
        scene = folder / parsed.scene
        if not scene.is_file():
            raise ConfigError(
                f"scene file {document.file}: scene {parsed.scene} is not in {folder}"
            )
    return SceneSetup(scene, tuple(placements), folder)


def _located(document: SourceDocument, err: ValidationError) -> ConfigError:
    first = err.errors()[0]
    path = tuple(first["loc"])
    where = ".".join(str(part) for part in path) or "scene file"
    line = document.line(path)
    place = document.file if line is None else f"{document.file}:{line}"
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return ConfigError(f"scene file {place}: {where}: {first['msg']}{more}")


def placement_quads(placements: tuple[ScenePlacement, ...]) -> list[Quad]:
    """The scene graph: ``tr:sceneNode``, ``tr:area``, ``tr:positionX/Y/Z``, ``tr:model``."""
    quads: list[Quad] = []
    for entry in placements:
        thing = NamedNode(entry.thing)
        placement = entry.placement
        if placement.node is not None:
            quads.append(Quad(thing, TR_SCENE_NODE, Literal(placement.node), SCENE))
        if placement.area is not None:
            quads.append(Quad(thing, TR_AREA, Literal(placement.area), SCENE))
        if placement.position is not None:
            x, y, z = placement.position
            quads += (
                Quad(thing, TR_POSITION_X, Literal(float(x)), SCENE),
                Quad(thing, TR_POSITION_Y, Literal(float(y)), SCENE),
                Quad(thing, TR_POSITION_Z, Literal(float(z)), SCENE),
            )
        if placement.model is not None:
            quads.append(Quad(thing, TR_MODEL, Literal(placement.model), SCENE))
    return quads


def model_files(folder: Path | None) -> dict[str, Path]:
    """The GLB/glTF files of a scene folder that the viewer may serve, by name."""
    if folder is None or not folder.is_dir():
        return {}
    return {
        file.name: file
        for file in sorted(folder.iterdir())
        if file.is_file() and MODEL_FILE.match(file.name)
    }
