"""``/viewer``: the 3D web twin viewer, its scene and its settings, over HTTP.

The page is static: everything it shows comes from the public interfaces an engine uses
(the WebSocket ``/stream``, ``/sparql`` and the Thing Descriptions of ``/things``), so these
routes serve only files, all read into memory at start (``load_viewer``):

| route | serves |
|---|---|
| ``GET /viewer`` | a redirect to ``/viewer/`` (the page's relative links need the slash) |
| ``GET /viewer/`` | the page (503 with build instructions when the bundle was not built) |
| ``GET /viewer/config.json`` | where the scene and the interfaces are, the stale timeout |
| ``GET /viewer/scene.glb`` | the scene: the generated room or the deployment's GLB |
| ``GET /viewer/models/{name}`` | a ``.glb``/``.gltf`` from the scene file's folder |
| ``GET /viewer/{file}`` | a file of the bundle (``assets/main.js``, ``style.css``) |

The files hold no data, so they need no token; the page sends the token it was opened with
(``?access_token=``) to the stream and the other interfaces.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from translator.settings import ViewerSettings
from translator.twin.store import TwinStore
from translator.viewer.bundle import STATIC_DIR, Asset, Bundle, asset, load_bundle, missing_page
from translator.viewer.placements import (
    GENERATED_ROOM,
    SCENE,
    SceneSetup,
    load_scene_file,
    model_files,
    placement_quads,
)
from translator.viewer.scene import room_glb

logger = logging.getLogger(__name__)

PREFIX: Final = "/viewer"
GLB_TYPE: Final = "model/gltf-binary"
GLTF_TYPE: Final = "model/gltf+json"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Everything ``/viewer`` serves, loaded once."""

    bundle: Bundle | None
    config: dict[str, Any]
    scene: Asset | None = None
    models: dict[str, Path] = field(default_factory=dict)


def load_viewer(
    settings: ViewerSettings, store: TwinStore | None = None, *, static: Path = STATIC_DIR
) -> Viewer:
    """Read the bundle and the scene file; write the scene's placements into ``store``.

    Blocking (files and a store write): call it off the event loop.

    Raises:
        ConfigError: the scene file is invalid (see ``load_scene_file``).
    """
    setup = load_scene_file(settings.scene_file) if settings.scene_file else SceneSetup()
    if store is not None:
        written = store.replace_graph(SCENE, placement_quads(setup.placements))
        logger.info("scene placements: %d things (%d quads)", len(setup.placements), written)
    scene = _scene_asset(setup)
    config = {
        "scene": "scene.glb" if scene is not None else None,
        "models": "models/",
        "stream": "../stream",
        "sparql": "../sparql",
        "things": "../things",
        "staleAfterS": settings.stale_after_s,
        "historyMinutes": settings.history_minutes,
    }
    return Viewer(load_bundle(static), config, scene, model_files(setup.folder))


def _scene_asset(setup: SceneSetup) -> Asset | None:
    if setup.scene is None:
        return None
    if setup.scene == GENERATED_ROOM:
        return asset(room_glb(), ".glb")
    path = Path(setup.scene)
    return asset(path.read_bytes(), path.suffix)


def viewer_router(viewer: Viewer) -> APIRouter:
    """The ``/viewer`` routes over a loaded ``Viewer``."""
    router = APIRouter(prefix=PREFIX, tags=["viewer"])
    config = asset(orjson.dumps(viewer.config), ".json")

    @router.get("", include_in_schema=False)
    def redirect() -> RedirectResponse:
        return RedirectResponse("viewer/", status_code=307)

    @router.get("/", summary="The 3D web twin viewer (HTML page)")
    def page(request: Request) -> Response:
        if viewer.bundle is None:
            return _send(missing_page(), request, status=503)
        return _send(viewer.bundle.index, request)

    @router.get("/config.json", summary="The viewer's settings: scene and interface URLs")
    def settings(request: Request) -> Response:
        return _send(config, request)

    @router.get("/scene.glb", summary="The 3D scene (glTF binary)")
    def scene(request: Request) -> Response:
        if viewer.scene is None:
            raise HTTPException(404, "no scene is configured (viewer.scene_file)")
        return _send(viewer.scene, request, media_type=GLB_TYPE)

    @router.get("/models/{name}", summary="A 3D model from the scene file's folder")
    def model(name: str, request: Request) -> Response:
        path = viewer.models.get(name)
        if path is None:
            raise HTTPException(404, f"no model named {name!r} next to the scene file")
        media_type = GLB_TYPE if path.suffix == ".glb" else GLTF_TYPE
        return _send(asset(path.read_bytes(), path.suffix), request, media_type=media_type)

    @router.get("/{name:path}", include_in_schema=False)
    def file(name: str, request: Request) -> Response:
        found = viewer.bundle.files.get(name) if viewer.bundle is not None else None
        if found is None:
            raise HTTPException(404, f"the viewer has no file {name!r}")
        return _send(found, request)

    return router


def _send(
    item: Asset, request: Request, *, status: int = 200, media_type: str | None = None
) -> Response:
    headers = {"ETag": item.etag, "Cache-Control": "no-cache"}
    if status == 200 and request.headers.get("if-none-match") == item.etag:
        return Response(status_code=304, headers=headers)
    return Response(item.body, status, headers, media_type=media_type or item.media_type)
