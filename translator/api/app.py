"""The FastAPI application factory: routes wired onto the parts they serve."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI

import translator
from translator.api.auth import Authenticator, install_authenticator


def create_app(
    routers: Sequence[APIRouter], *, authenticator: Authenticator | None = None
) -> FastAPI:
    """An app serving ``routers`` (built by the service from its running parts).

    ``authenticator`` checks the tokens of guarded routes; ``None`` means no tokens are
    configured (auth off, as with default settings: loopback only).
    """
    app = FastAPI(
        title="semantic-translator",
        version=translator.__version__,
        summary="IoT vendor payloads in, SOSA/QUDT RDF and a normalized stream out.",
    )
    install_authenticator(app, authenticator or Authenticator())
    for router in routers:
        app.include_router(router)
    return app
