"""Scene files: read and checked at start, their placements stored as RDF SPARQL can see."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.viewer.demo import DEMO_THINGS
from translator.errors import ConfigError
from translator.twin.sparql import SelectResult
from translator.twin.store import TwinStore
from translator.values import Placement
from translator.viewer.placements import (
    DEMO_SCENE_FILE,
    GENERATED_ROOM,
    SCENE,
    load_scene_file,
    model_files,
    placement_quads,
)
from translator.viewer.scene import ROOM_NODES


def write(folder: Path, text: str, name: str = "scene.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_scene_binds_every_room_node_to_a_demo_thing() -> None:
    setup = load_scene_file(DEMO_SCENE_FILE)
    assert setup.scene == GENERATED_ROOM
    nodes = {p.placement.node: p.thing for p in setup.placements if p.placement.node}
    assert set(nodes) == set(ROOM_NODES)
    assert {p.thing for p in setup.placements} <= set(DEMO_THINGS)


def test_a_full_entry_becomes_a_placement(tmp_path: Path) -> None:
    write(tmp_path, "fake glb", "plug.glb")
    write(tmp_path, "fake glb", "room.glb")
    setup = load_scene_file(write(tmp_path, """
scene: room.glb
things:
  - thing: urn:dev:x:plug
    node: Plug_01
    area: kitchen
    position: [1.5, 0, -2.25]
    model: plug.glb
"""))  # fmt: skip
    assert setup.scene == tmp_path / "room.glb"
    (entry,) = setup.placements
    assert entry.thing == "urn:dev:x:plug"
    assert entry.placement == Placement("kitchen", (1.5, 0.0, -2.25), "plug.glb", "Plug_01")
    assert set(model_files(setup.folder)) == {"plug.glb", "room.glb"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("things:\n  - thing: urn:a\n    colour: red\n", r"scene\.yaml:3: things\.0\.colour"),
        ("things:\n  - thing: not an iri\n", r"scene\.yaml:2: things\.0\.thing: .*IRI"),
        ("things:\n  - thing: urn:a\n    position: [1, 2]\n", r"things\.0\.position"),
        ("things:\n  - thing: urn:a\n  - thing: urn:a\n", r"scene\.yaml:3: urn:a is placed twice"),
        ("things:\n  - thing: urn:a\n    model: ../x.glb\n", r"things\.0\.model"),
        ("things:\n  - thing: urn:a\n    model: gone.glb\n", r"model file gone\.glb is not in"),
        ("scene: missing.glb\n", r"scene missing\.glb is not in"),
        ("scene: http://example.org/x.glb\n", r"scene: String should match"),
        ("things: [\n", r"scene\.yaml:\d+: YAML syntax error"),
    ],
)
def test_bad_scene_files_say_where(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_scene_file(write(tmp_path, text))


def test_placements_are_stored_in_the_scene_graph_and_replaced() -> None:
    setup = load_scene_file(DEMO_SCENE_FILE)
    with TwinStore.open() as store:
        assert store.replace_graph(SCENE, placement_quads(setup.placements)) == 19
        result = store.query(
            "SELECT ?thing ?node WHERE { ?thing tr:sceneNode ?node } ORDER BY ?node"
        )
        assert isinstance(result, SelectResult)
        bound = {str(row["node"].value): str(row["thing"].value) for row in result.solutions}
        assert bound["CeilingFan"] == "urn:dev:zigbee2mqtt:kitchen_plug"
        fewer = tuple(p for p in setup.placements if p.placement.node != "CeilingFan")
        store.replace_graph(SCENE, placement_quads(fewer))
        again = store.query('ASK { ?thing tr:sceneNode "CeilingFan" }')
        assert again.value is False  # type: ignore[union-attr]
        store.replace_graph(SCENE, [])
        empty = store.query(f"ASK {{ GRAPH <{SCENE.value}> {{ ?s ?p ?o }} }}")
        assert empty.value is False  # type: ignore[union-attr]
