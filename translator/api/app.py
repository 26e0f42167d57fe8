"""The FastAPI application factory: routes wired onto the parts they serve."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI

import translator


def create_app(routers: Sequence[APIRouter]) -> FastAPI:
    """An app serving ``routers`` (built by the service from its running parts)."""
    app = FastAPI(
        title="semantic-translator",
        version=translator.__version__,
        summary="IoT vendor payloads in, SOSA/QUDT RDF and a normalized stream out.",
    )
    for router in routers:
        app.include_router(router)
    return app
