"""A small glTF 2.0 binary (GLB) writer: boxes and cylinders, named nodes, materials, spins.

The viewer's generated room (``scene.py``) is made with it, so the demo ships no third-party
model file and the project needs no glTF library. It writes what three.js's ``GLTFLoader``
(and any glTF 2.0 reader) expects: one binary buffer, 4-byte aligned buffer views, accessors
with ``min``/``max`` for positions and animation inputs, PBR materials, node ``extras``
(three.js puts them in ``Object3D.userData``) and rotation animations.

Coordinates are glTF's: metres, Y up, a right-handed frame whose default viewer looks
down -Z. See https://registry.khronos.org/glTF/specs/2.0/glTF-2.0.html.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

Vec3 = tuple[float, float, float]
Quat = tuple[float, float, float, float]
Rgba = tuple[float, float, float, float]

GLB_MAGIC: Final = 0x46546C67  # "glTF"
GLB_VERSION: Final = 2
CHUNK_JSON: Final = 0x4E4F534A
CHUNK_BIN: Final = 0x004E4942
FLOAT: Final = 5126
UNSIGNED_SHORT: Final = 5123
ARRAY_BUFFER: Final = 34962
ELEMENT_ARRAY_BUFFER: Final = 34963
IDENTITY: Final[Quat] = (0.0, 0.0, 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class Shape:
    """Triangles: flat ``positions`` and ``normals`` (3 floats a vertex), ``indices``."""

    positions: tuple[float, ...]
    normals: tuple[float, ...]
    indices: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Material:
    """A PBR metallic-roughness material (linear RGB factors)."""

    name: str
    color: Rgba
    emissive: Vec3 = (0.0, 0.0, 0.0)
    metallic: float = 0.0
    roughness: float = 0.8


@dataclass(frozen=True, slots=True)
class Node:
    """A named node: an optional mesh (``shape`` + ``material``), a transform, children."""

    name: str
    shape: Shape | None = None
    material: Material | None = None
    translation: Vec3 = (0.0, 0.0, 0.0)
    rotation: Quat = IDENTITY
    children: tuple[Node, ...] = ()
    extras: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Spin:
    """An endless rotation of node ``node`` about ``axis``, one turn per ``period_s``."""

    node: str
    axis: Vec3 = (0.0, 1.0, 0.0)
    period_s: float = 1.0

    @property
    def name(self) -> str:
        """The animation's name in the file: ``<node>.spin``."""
        return f"{self.node}.spin"


def box(width: float, height: float, depth: float) -> Shape:
    """An axis-aligned box centred on the origin (24 vertices: flat-shaded faces)."""
    x, y, z = width / 2, height / 2, depth / 2
    faces = (  # normal, then the four corners counter-clockwise seen from outside
        ((1, 0, 0), ((x, -y, z), (x, -y, -z), (x, y, -z), (x, y, z))),
        ((-1, 0, 0), ((-x, -y, -z), (-x, -y, z), (-x, y, z), (-x, y, -z))),
        ((0, 1, 0), ((-x, y, z), (x, y, z), (x, y, -z), (-x, y, -z))),
        ((0, -1, 0), ((-x, -y, -z), (x, -y, -z), (x, -y, z), (-x, -y, z))),
        ((0, 0, 1), ((-x, -y, z), (x, -y, z), (x, y, z), (-x, y, z))),
        ((0, 0, -1), ((x, -y, -z), (-x, -y, -z), (-x, y, -z), (x, y, -z))),
    )
    positions: list[float] = []
    normals: list[float] = []
    indices: list[int] = []
    for normal, corners in faces:
        base = len(positions) // 3
        for corner in corners:
            positions += corner
            normals += normal
        indices += (base, base + 1, base + 2, base, base + 2, base + 3)
    return Shape(tuple(positions), tuple(map(float, normals)), tuple(indices))


def cylinder(radius: float, height: float, segments: int = 24) -> Shape:
    """An upright cylinder centred on the origin, with flat caps."""
    positions: list[float] = []
    normals: list[float] = []
    indices: list[int] = []
    half = height / 2
    ring = [
        (math.cos(2 * math.pi * i / segments), math.sin(2 * math.pi * i / segments))
        for i in range(segments)
    ]
    for c, s in ring:  # side: two vertices per segment, smooth normals
        positions += (radius * c, -half, radius * s, radius * c, half, radius * s)
        normals += (c, 0.0, s, c, 0.0, s)
    for i in range(segments):
        a, b = 2 * i, 2 * ((i + 1) % segments)
        indices += (a, a + 1, b + 1, a, b + 1, b)
    for y, ny in ((half, 1.0), (-half, -1.0)):  # caps: a centre and a ring each
        centre = len(positions) // 3
        positions += (0.0, y, 0.0)
        normals += (0.0, ny, 0.0)
        for c, s in ring:
            positions += (radius * c, y, radius * s)
            normals += (0.0, ny, 0.0)
        for i in range(segments):
            a, b = centre + 1 + i, centre + 1 + (i + 1) % segments
            indices += (centre, b, a) if ny > 0 else (centre, a, b)
    return Shape(tuple(positions), tuple(normals), tuple(indices))


def axis_rotation(axis: Vec3, angle: float) -> Quat:
    """The unit quaternion (x, y, z, w) of a rotation by ``angle`` radians about ``axis``."""
    length = math.sqrt(sum(a * a for a in axis))
    x, y, z = (a / length for a in axis)
    s = math.sin(angle / 2)
    return (x * s, y * s, z * s, math.cos(angle / 2))


def write_glb(nodes: Sequence[Node], animations: Sequence[Spin] = (), *, generator: str) -> bytes:
    """The GLB file of one scene whose root nodes are ``nodes``.

    Raises:
        ValueError: two nodes share a name, or a spin names no node.
    """
    writer = _Writer(generator)
    roots = [writer.node(node) for node in nodes]
    for spin in animations:
        writer.spin(spin)
    return writer.glb(roots)


class _Writer:
    """Accumulates the JSON document and the binary buffer of one GLB."""

    def __init__(self, generator: str) -> None:
        self.doc: dict[str, Any] = {
            "asset": {"version": "2.0", "generator": generator},
            "nodes": [],
            "meshes": [],
            "materials": [],
            "accessors": [],
            "bufferViews": [],
        }
        self.binary = bytearray()
        self.node_index: dict[str, int] = {}
        self._meshes: dict[tuple[Shape, Material | None], int] = {}
        self._materials: dict[Material, int] = {}

    def node(self, node: Node) -> int:
        if node.name in self.node_index:
            raise ValueError(f"two nodes are named {node.name!r}: node names must be unique")
        entry: dict[str, Any] = {"name": node.name}
        if node.translation != (0.0, 0.0, 0.0):
            entry["translation"] = list(node.translation)
        if node.rotation != IDENTITY:
            entry["rotation"] = list(node.rotation)
        if node.extras:
            entry["extras"] = dict(node.extras)
        index = len(self.doc["nodes"])
        self.doc["nodes"].append(entry)
        self.node_index[node.name] = index
        if node.shape is not None:
            entry["mesh"] = self.mesh(node.shape, node.material)
        if node.children:
            entry["children"] = [self.node(child) for child in node.children]
        return index

    def mesh(self, shape: Shape, material: Material | None) -> int:
        key = (shape, material)
        if key not in self._meshes:
            primitive: dict[str, Any] = {
                "attributes": {
                    "POSITION": self.floats(shape.positions, "VEC3", ARRAY_BUFFER, bounds=True),
                    "NORMAL": self.floats(shape.normals, "VEC3", ARRAY_BUFFER),
                },
                "indices": self.indices(shape.indices),
            }
            if material is not None:
                primitive["material"] = self.material(material)
            self._meshes[key] = len(self.doc["meshes"])
            self.doc["meshes"].append({"primitives": [primitive]})
        return self._meshes[key]

    def material(self, material: Material) -> int:
        if material not in self._materials:
            entry: dict[str, Any] = {
                "name": material.name,
                "pbrMetallicRoughness": {
                    "baseColorFactor": list(material.color),
                    "metallicFactor": material.metallic,
                    "roughnessFactor": material.roughness,
                },
            }
            if material.emissive != (0.0, 0.0, 0.0):
                entry["emissiveFactor"] = list(material.emissive)
            if material.color[3] < 1.0:
                entry["alphaMode"] = "BLEND"
            self._materials[material] = len(self.doc["materials"])
            self.doc["materials"].append(entry)
        return self._materials[material]

    def spin(self, spin: Spin) -> None:
        if spin.node not in self.node_index:
            raise ValueError(f"spin {spin.name!r}: there is no node named {spin.node!r}")
        steps = 4  # quarter turns: linear slerp between keys never takes the short way round
        times = [spin.period_s * i / steps for i in range(steps + 1)]
        turns = [axis_rotation(spin.axis, 2 * math.pi * i / steps) for i in range(steps + 1)]
        sampler = {
            "input": self.floats(times, "SCALAR", None, bounds=True),
            "output": self.floats([c for q in turns for c in q], "VEC4", None),
            "interpolation": "LINEAR",
        }
        target = {"node": self.node_index[spin.node], "path": "rotation"}
        animation = {
            "name": spin.name,
            "samplers": [sampler],
            "channels": [{"sampler": 0, "target": target}],
        }
        self.doc.setdefault("animations", []).append(animation)

    def floats(
        self, values: Sequence[float], kind: str, target: int | None, *, bounds: bool = False
    ) -> int:
        width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[kind]
        accessor: dict[str, Any] = {
            "bufferView": self.view(struct.pack(f"<{len(values)}f", *values), target),
            "componentType": FLOAT,
            "count": len(values) // width,
            "type": kind,
        }
        if bounds:
            columns = [values[i::width] for i in range(width)]
            accessor["min"] = [_f32(min(column)) for column in columns]
            accessor["max"] = [_f32(max(column)) for column in columns]
        return self.accessor(accessor)

    def indices(self, values: Sequence[int]) -> int:
        view = self.view(struct.pack(f"<{len(values)}H", *values), ELEMENT_ARRAY_BUFFER)
        accessor = {
            "bufferView": view,
            "componentType": UNSIGNED_SHORT,
            "count": len(values),
            "type": "SCALAR",
        }
        return self.accessor(accessor)

    def accessor(self, accessor: dict[str, Any]) -> int:
        self.doc["accessors"].append(accessor)
        return len(self.doc["accessors"]) - 1

    def view(self, data: bytes, target: int | None) -> int:
        self.binary += b"\0" * (-len(self.binary) % 4)
        view: dict[str, Any] = {
            "buffer": 0,
            "byteOffset": len(self.binary),
            "byteLength": len(data),
        }
        if target is not None:
            view["target"] = target
        self.binary += data
        self.doc["bufferViews"].append(view)
        return len(self.doc["bufferViews"]) - 1

    def glb(self, roots: list[int]) -> bytes:
        self.binary += b"\0" * (-len(self.binary) % 4)
        doc = self.doc | {
            "scene": 0,
            "scenes": [{"name": "Scene", "nodes": roots}],
            "buffers": [{"byteLength": len(self.binary)}],
        }
        text = json.dumps(doc, separators=(",", ":")).encode()
        text += b" " * (-len(text) % 4)
        chunks = [
            struct.pack("<II", len(text), CHUNK_JSON) + text,
            struct.pack("<II", len(self.binary), CHUNK_BIN) + bytes(self.binary),
        ]
        total = 12 + sum(len(chunk) for chunk in chunks)
        return struct.pack("<III", GLB_MAGIC, GLB_VERSION, total) + b"".join(chunks)


def _f32(value: float) -> float:
    """``value`` as the 32-bit float the buffer holds (bounds must match the data exactly)."""
    result: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return result
