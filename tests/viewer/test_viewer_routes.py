"""``/viewer`` over HTTP: the page, its files, the scene, the settings, and the unbuilt case."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from translator.api.app import create_app
from translator.settings import ViewerSettings
from translator.twin.store import TwinStore
from translator.viewer.placements import DEMO_SCENE_FILE
from translator.viewer.routes import load_viewer, viewer_router
from translator.viewer.scene import room_glb

INDEX = b"<!doctype html><title>viewer</title><script src='assets/main.js'></script>"


@pytest.fixture
def static(tmp_path: Path) -> Path:
    """A stand-in for the built bundle (the real one is tested in the browser)."""
    folder = tmp_path / "static"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_bytes(INDEX)
    (folder / "style.css").write_text("body { margin: 0 }")
    (folder / "assets" / "main.js").write_text("console.log('viewer')")
    (folder / "assets" / ".hidden").write_text("not served")
    return folder


async def client_for(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
async def client(static: Path) -> AsyncIterator[httpx.AsyncClient]:
    with TwinStore.open() as store:
        viewer = load_viewer(ViewerSettings(scene_file=DEMO_SCENE_FILE), store, static=static)
        async for client in client_for(create_app([viewer_router(viewer)])):
            yield client


async def test_the_page_and_its_files_are_served(client: httpx.AsyncClient) -> None:
    redirect = await client.get("/viewer")
    assert redirect.status_code == 307
    assert redirect.headers["location"] == "viewer/"
    page = await client.get("/viewer/")
    assert page.status_code == 200
    assert page.content == INDEX
    assert page.headers["content-type"].startswith("text/html")
    script = await client.get("/viewer/assets/main.js")
    assert script.headers["content-type"].startswith("text/javascript")
    css = await client.get("/viewer/style.css")
    assert css.headers["content-type"].startswith("text/css")
    cached = await client.get("/viewer/style.css", headers={"If-None-Match": css.headers["etag"]})
    assert cached.status_code == 304


@pytest.mark.parametrize(
    "path",
    ["/viewer/assets/.hidden", "/viewer/../pyproject.toml", "/viewer/%2e%2e/x", "/viewer/nope.js"],
)
async def test_nothing_but_the_bundle_is_served(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 404


async def test_scene_and_settings(client: httpx.AsyncClient) -> None:
    scene = await client.get("/viewer/scene.glb")
    assert scene.status_code == 200
    assert scene.headers["content-type"] == "model/gltf-binary"
    assert scene.content == room_glb()
    config = (await client.get("/viewer/config.json")).json()
    assert config == {
        "scene": "scene.glb",
        "models": "models/",
        "stream": "../stream",
        "sparql": "../sparql",
        "things": "../things",
        "staleAfterS": 30.0,
        "historyMinutes": 10.0,
    }
    assert (await client.get("/viewer/models/none.glb")).status_code == 404


async def test_a_deployment_scene_and_its_models(tmp_path: Path, static: Path) -> None:
    (tmp_path / "room.glb").write_bytes(b"glTF-room")
    (tmp_path / "plug.glb").write_bytes(b"glTF-plug")
    (tmp_path / "notes.txt").write_text("not a model")
    scene_file = tmp_path / "scene.yaml"
    scene_file.write_text("scene: room.glb\nthings:\n  - {thing: 'urn:a', model: plug.glb}\n")
    viewer = load_viewer(ViewerSettings(scene_file=scene_file, stale_after_s=5), static=static)
    async for client in client_for(create_app([viewer_router(viewer)])):
        assert (await client.get("/viewer/scene.glb")).content == b"glTF-room"
        assert (await client.get("/viewer/models/plug.glb")).content == b"glTF-plug"
        assert (await client.get("/viewer/models/notes.txt")).status_code == 404
        assert json.loads((await client.get("/viewer/config.json")).content)["staleAfterS"] == 5


async def test_without_a_scene_file_there_is_no_scene(static: Path) -> None:
    viewer = load_viewer(ViewerSettings(), static=static)
    async for client in client_for(create_app([viewer_router(viewer)])):
        assert (await client.get("/viewer/scene.glb")).status_code == 404
        assert (await client.get("/viewer/config.json")).json()["scene"] is None


async def test_an_unbuilt_viewer_says_how_to_build_it(tmp_path: Path) -> None:
    viewer = load_viewer(ViewerSettings(), static=tmp_path / "nothing")
    async for client in client_for(create_app([viewer_router(viewer)])):
        page = await client.get("/viewer/")
        assert page.status_code == 503
        assert "npm ci" in page.text
        assert (await client.get("/viewer/assets/main.js")).status_code == 404
