"""The GLB writer and the generated room: a valid glTF 2.0 binary that three.js can load."""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import pytest

from translator.viewer.gltf import (
    CHUNK_BIN,
    CHUNK_JSON,
    GLB_MAGIC,
    Material,
    Node,
    Spin,
    axis_rotation,
    box,
    cylinder,
    write_glb,
)
from translator.viewer.scene import ROOM_NODES, room_glb

SIZES = {5126: 4, 5123: 2}
WIDTHS = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}


def parse_glb(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The JSON document and the binary chunk, after checking the container."""
    magic, version, length = struct.unpack_from("<III", data)
    assert (magic, version, length) == (GLB_MAGIC, 2, len(data))
    json_length, json_type = struct.unpack_from("<II", data, 12)
    assert json_type == CHUNK_JSON
    assert json_length % 4 == 0
    document = json.loads(data[20 : 20 + json_length])
    bin_length, bin_type = struct.unpack_from("<II", data, 20 + json_length)
    assert bin_type == CHUNK_BIN
    assert bin_length % 4 == 0
    binary = data[28 + json_length : 28 + json_length + bin_length]
    assert 28 + json_length + bin_length == len(data)
    return document, binary


def accessor_values(document: dict[str, Any], binary: bytes, index: int) -> list[float]:
    accessor = document["accessors"][index]
    view = document["bufferViews"][accessor["bufferView"]]
    count = accessor["count"] * WIDTHS[accessor["type"]]
    size = SIZES[accessor["componentType"]]
    assert view["byteOffset"] % 4 == 0
    assert count * size <= view["byteLength"]
    assert view["byteOffset"] + view["byteLength"] <= document["buffers"][0]["byteLength"]
    code = "f" if accessor["componentType"] == 5126 else "H"
    return list(struct.unpack_from(f"<{count}{code}", binary, view["byteOffset"]))


def test_room_is_a_consistent_gltf_binary() -> None:
    document, binary = parse_glb(room_glb())
    assert document["asset"]["version"] == "2.0"
    assert len(binary) >= document["buffers"][0]["byteLength"]
    names = [node["name"] for node in document["nodes"]]
    assert len(names) == len(set(names))
    assert set(ROOM_NODES) <= set(names)
    for mesh in document["meshes"]:
        for primitive in mesh["primitives"]:
            positions = accessor_values(document, binary, primitive["attributes"]["POSITION"])
            accessor = document["accessors"][primitive["attributes"]["POSITION"]]
            for axis in range(3):
                assert min(positions[axis::3]) == accessor["min"][axis]
                assert max(positions[axis::3]) == accessor["max"][axis]
            normals = accessor_values(document, binary, primitive["attributes"]["NORMAL"])
            for i in range(0, len(normals), 3):
                assert math.isclose(math.hypot(*normals[i : i + 3]), 1.0, rel_tol=1e-5)
            indices = accessor_values(document, binary, primitive["indices"])
            assert len(indices) % 3 == 0
            assert max(indices) < len(positions) // 3
            assert primitive["material"] < len(document["materials"])


def test_room_nodes_carry_their_effects_and_the_fan_spins() -> None:
    document, binary = parse_glb(room_glb())
    nodes = {node["name"]: node for node in document["nodes"]}
    assert nodes["DeskLamp"]["extras"] == {"effect": "glow"}
    assert nodes["FrontDoor"]["extras"] == {"effect": "swing", "property": "contact"}
    (spin,) = document["animations"]
    assert spin["name"] == "CeilingFan.spin"
    channel = spin["channels"][0]
    assert document["nodes"][channel["target"]["node"]]["name"] == "CeilingFan"
    assert channel["target"]["path"] == "rotation"
    sampler = spin["samplers"][channel["sampler"]]
    times = accessor_values(document, binary, sampler["input"])
    turns = accessor_values(document, binary, sampler["output"])
    assert times == sorted(times)
    assert times[0] == 0
    assert len(turns) == 4 * len(times)
    assert turns[:4] == pytest.approx([0, 0, 0, 1])
    assert turns[-4:] == pytest.approx([0, 0, 0, -1], abs=1e-6)  # a full turn


def test_box_faces_point_outwards() -> None:
    shape = box(2, 4, 6)
    for i in range(0, len(shape.indices), 3):
        a, b, c = (shape.positions[3 * k : 3 * k + 3] for k in shape.indices[i : i + 3])
        cross = _cross(_minus(b, a), _minus(c, a))
        normal = shape.normals[3 * shape.indices[i] : 3 * shape.indices[i] + 3]
        assert sum(x * y for x, y in zip(cross, normal, strict=True)) > 0


def test_cylinder_is_closed_and_within_its_size() -> None:
    shape = cylinder(0.5, 2.0, segments=12)
    assert max(abs(y) for y in shape.positions[1::3]) == pytest.approx(1.0)
    assert max(
        math.hypot(x, z) for x, z in zip(shape.positions[0::3], shape.positions[2::3], strict=True)
    ) == pytest.approx(0.5)
    assert len(shape.indices) == 12 * 6 + 2 * 12 * 3


def test_same_shape_and_material_share_one_mesh() -> None:
    red = Material("red", (1, 0, 0, 1))
    nodes = [Node(f"n{i}", shape=box(1, 1, 1), material=red) for i in range(3)]
    document, _ = parse_glb(write_glb(nodes, generator="test"))
    assert len(document["meshes"]) == 1
    assert {node["mesh"] for node in document["nodes"]} == {0}


def test_duplicate_names_and_unknown_spins_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        write_glb([Node("a"), Node("a")], generator="test")
    with pytest.raises(ValueError, match="no node named"):
        write_glb([Node("a")], [Spin("b")], generator="test")


def test_axis_rotation_is_a_unit_quaternion() -> None:
    x, y, z, w = axis_rotation((0, 2, 0), math.pi / 2)
    assert (x, z) == (0, 0)
    assert math.hypot(x, y, z, w) == pytest.approx(1)
    assert y == pytest.approx(math.sin(math.pi / 4))


def _minus(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(p - q for p, q in zip(a, b, strict=True))


def _cross(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, ...]:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])
