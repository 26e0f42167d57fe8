"""``GET /context.jsonld``: the shipped JSON-LD ``@context`` of the stream messages.

Messages name their context by URL. Unless ``stream.context_url`` is set (behind a reverse
proxy, say), the URL is this route on the origin the client reached us through: for a
WebSocket ``ws://host:port/stream`` that is ``http://host:port/context.jsonld``. The file is
read once, when the router is built; it is the ontology's ``context.jsonld``, unchanged.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Response
from starlette.requests import HTTPConnection

from translator.ontology.files import ontology_dir

CONTEXT_PATH: Final = "/context.jsonld"
MEDIA_TYPE: Final = "application/ld+json"
_HTTP_SCHEME: Final = {"ws": "http", "wss": "https"}


def context_router() -> APIRouter:
    """A router serving the context file (open to everyone: it is vocabulary, not data).

    Raises:
        OntologyError: the ontology folder is missing.
    """
    document = (ontology_dir() / "context.jsonld").read_bytes()
    router = APIRouter(tags=["stream"])

    @router.get(CONTEXT_PATH, summary="JSON-LD @context of the stream messages")
    def context() -> Response:
        headers = {"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"}
        return Response(document, media_type=MEDIA_TYPE, headers=headers)

    return router


def context_url(connection: HTTPConnection, configured: str | None = None) -> str:
    """The ``@context`` URL for messages sent over ``connection``."""
    if configured:
        return configured
    base = connection.base_url
    scheme = _HTTP_SCHEME.get(base.scheme, base.scheme)
    return str(base.replace(scheme=scheme, path=CONTEXT_PATH, query="", fragment=""))
