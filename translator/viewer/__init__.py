"""Immersive layer: the 3D web twin viewer served at ``/viewer``.

``routes`` serves the built front end (``web/`` → ``static/``, three.js, WebXR), the scene
and the viewer's settings; ``placements`` reads scene files (which GLB, which node shows
which thing) and writes their placements as RDF; ``scene`` generates the demo's room with
``gltf``, our own small GLB writer. The page itself talks only to the public interfaces:
the WebSocket stream, ``/sparql`` and the Thing Descriptions (docs/viewer.md).
"""

from __future__ import annotations

from translator.viewer.placements import SceneSetup, load_scene_file, placement_quads
from translator.viewer.routes import Viewer, load_viewer, viewer_router

__all__ = [
    "SceneSetup",
    "Viewer",
    "load_scene_file",
    "load_viewer",
    "placement_quads",
    "viewer_router",
]
