"""``/sparql``: the SPARQL 1.1 Protocol endpoint over the twin store; updates for admins.

Queries: ``GET /sparql?query=…``, ``POST /sparql`` with a form (``query=…``) or with the
query as an ``application/sparql-query`` body; ``default-graph-uri`` / ``named-graph-uri``
name the dataset (in the URL, or in the form). Without them the default graph is the union
of all graphs and the project prefixes are predeclared (docs/rdf-model.md). Results are
negotiated (``translator.api.sparql_formats``) and serialized by pyoxigraph through
``translator.twin.query``. Queries run off the event loop in the endpoint's own threads
(``sparql.workers``; ``translator.twin.endpoint``), with the ``sparql`` settings' timeout
and row cap; a capped answer says so in ``X-Result-Truncated: true``. A query that reads
only the state, things, meta and scene graphs is answered from their in-memory mirror
(``translator.twin.mirror``), attached to the store when the router is made.
A browser asking for ``text/html`` without a query gets the query page.

Updates: ``POST /sparql/update`` (form ``update=…`` or an ``application/sparql-update``
body), ``admin`` scope only. ``LOAD`` and ``SERVICE`` are refused everywhere: the endpoint
never fetches anything.

| outcome | status |
| --- | --- |
| answer | 200 (update: 204) |
| malformed query, ``SERVICE``/``LOAD``, bad graph IRI, missing query | 400 |
| no or unknown token / token without the scope | 401 / 403 |
| no acceptable result format | 406 (with the supported list) |
| body larger than 1 MiB | 413 |
| body neither a form nor a SPARQL query | 415 |
| over the time limit, or the store failed | 503 |
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Final
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse

from translator.api.auth import require
from translator.api.sparql_formats import (
    SUPPORTED,
    MediaRange,
    negotiate,
    parse_accept,
    wants_html,
)
from translator.api.sparql_page import page_headers, query_page
from translator.errors import QueryError, StoreError
from translator.settings import SparqlSettings
from translator.twin.endpoint import (
    MAX_ERROR_CHARS,
    Dataset,
    graph_iris,
    protocol_query,
    run_update,
)
from translator.twin.mirror import GraphMirror
from translator.twin.query import media_type, serialize_result
from translator.twin.sparql import AskResult, GraphResult, QueryResult, keywords
from translator.twin.store import TwinStore

logger = logging.getLogger(__name__)

MAX_BODY_BYTES: Final = 1024 * 1024
GRACE_S: Final = 2.0  # past the query's own deadline (and a queue wait) the response gives up
FORM: Final = "application/x-www-form-urlencoded"
QUERY_BODY: Final = "application/sparql-query"
UPDATE_BODY: Final = "application/sparql-update"
TRUNCATED_HEADER: Final = "X-Result-Truncated"
LIMIT_HEADER: Final = "X-Result-Limit"
UPDATE_WORDS: Final = frozenset({"insert", "delete", "load", "clear", "drop", "create"})
QUERY_WORDS: Final = frozenset({"select", "construct", "ask", "describe"})


@dataclass(frozen=True, slots=True)
class QueryRequest:
    """One query of the protocol: its text and the dataset the request names."""

    sparql: str
    dataset: Dataset


@dataclass(frozen=True, slots=True)
class Answer:
    """A serialized result."""

    body: bytes
    media_type: str
    truncated: bool


class NotAcceptable(Exception):
    """No format the client accepts fits this kind of result."""


class SparqlEndpoint:
    """Runs protocol requests on the store within the configured limits.

    ``mirror`` answers the queries that read only its graphs; without one, the endpoint
    attaches its own to ``store``.
    """

    def __init__(
        self, store: TwinStore, settings: SparqlSettings, mirror: GraphMirror | None = None
    ) -> None:
        self._store = store
        self._settings = settings
        self._mirror = mirror if mirror is not None else GraphMirror.attach(store)
        # its own threads: slow queries wait here, never in the loop's default executor
        # that the intake's store writes use
        self._pool = ThreadPoolExecutor(settings.workers, thread_name_prefix="sparql-http")

    async def answer(self, request: QueryRequest, ranges: list[MediaRange]) -> Response:
        """Run the query and serialize its result as the client asked.

        Raises:
            HTTPException: 400, 406 or 503 as in the module's table.
        """
        if negotiate(ranges, "results") is None and negotiate(ranges, "graph") is None:
            raise _not_acceptable()
        timeout = self._settings.timeout_s
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout + GRACE_S):
                loop = asyncio.get_running_loop()
                answer = await loop.run_in_executor(self._pool, self._answer, request, ranges)
        except NotAcceptable as err:
            raise _not_acceptable() from err
        except (QueryError, TimeoutError) as err:
            if time.monotonic() - started >= timeout:
                logger.warning("SPARQL query stopped after %.1f s", timeout)
                raise HTTPException(
                    503,
                    f"the query ran longer than {timeout:g} s and was stopped: narrow it "
                    "(LIMIT, a time window, fewer joins) or raise sparql.timeout_s",
                ) from err
            logger.debug("refused SPARQL query: %s", err)
            raise HTTPException(400, _with_hint(str(err), request.sparql)) from err
        except StoreError as err:
            logger.error("SPARQL query failed in the store: %s", err)
            raise HTTPException(503, f"the store could not answer: {err}") from err
        headers = {"Vary": "Accept", "Cache-Control": "no-store"}
        if answer.truncated:
            headers[TRUNCATED_HEADER] = "true"
            headers[LIMIT_HEADER] = str(self._settings.max_rows)
        return Response(answer.body, media_type=answer.media_type, headers=headers)

    def _answer(self, request: QueryRequest, ranges: list[MediaRange]) -> Answer:
        result = self._run(request)
        fmt = negotiate(ranges, "graph" if isinstance(result, GraphResult) else "results")
        if fmt is None:
            raise NotAcceptable
        truncated = not isinstance(result, AskResult) and result.truncated
        return Answer(serialize_result(result, fmt), media_type(result, fmt), truncated)

    def _run(self, request: QueryRequest) -> QueryResult:
        return protocol_query(
            self._store,
            request.sparql,
            request.dataset,
            timeout_s=self._settings.timeout_s,
            max_rows=self._settings.max_rows,
            mirror=self._mirror,
        )

    async def update(self, sparql: str) -> None:
        """Apply an update (admin).

        Raises:
            HTTPException: 400 when malformed or refused, 503 when the store fails.
        """
        try:
            await asyncio.get_running_loop().run_in_executor(
                self._pool, partial(run_update, self._store, sparql, mirror=self._mirror)
            )
        except QueryError as err:
            raise HTTPException(400, str(err)) from err
        except StoreError as err:
            logger.error("SPARQL update failed in the store: %s", err)
            raise HTTPException(503, f"the store could not apply the update: {err}") from err


def sparql_router(
    store: TwinStore, settings: SparqlSettings, *, mirror: GraphMirror | None = None
) -> APIRouter:
    """``/sparql`` (read scope) and ``/sparql/update`` (admin scope) over ``store``.

    ``mirror``: the in-memory copy of the small graphs to answer from (default: a new one).
    """
    router = APIRouter(tags=["sparql"])
    endpoint = SparqlEndpoint(store, settings, mirror)
    read = require("read")

    @router.get(
        "/sparql",
        summary="SPARQL query (or, for a browser, the query page)",
        response_class=Response,
        responses={400: {}, 401: {}, 403: {}, 406: {}, 503: {}},
    )
    async def get_query(
        request: Request,
        query: Annotated[str | None, Query(description="the SPARQL query")] = None,
        default_graph_uri: Annotated[
            list[str] | None, Query(alias="default-graph-uri", description="default graph")
        ] = None,
        named_graph_uri: Annotated[
            list[str] | None, Query(alias="named-graph-uri", description="named graph")
        ] = None,
    ) -> Response:
        ranges = parse_accept(request.headers.get("accept"))
        if query is None and wants_html(ranges):  # the page holds no data: no token needed
            return HTMLResponse(query_page(), headers=page_headers())
        await read(request)
        if query is None:
            raise HTTPException(400, "missing the 'query' parameter (SPARQL 1.1 Protocol)")
        dataset = _dataset(default_graph_uri or [], named_graph_uri or [])
        return await endpoint.answer(QueryRequest(_text(query, "query"), dataset), ranges)

    @router.post(
        "/sparql",
        summary="SPARQL query: a form (query=…) or an application/sparql-query body",
        response_class=Response,
        responses={400: {}, 401: {}, 403: {}, 406: {}, 413: {}, 415: {}, 503: {}},
        openapi_extra=_request_body(QUERY_BODY, "query"),
        dependencies=[Depends(read)],
    )
    async def post_query(request: Request) -> Response:
        body, content_type = await _body(request)
        params = request.query_params
        if content_type == FORM:
            form = _form(body)
            if "update" in form:
                raise HTTPException(400, "updates go to POST /sparql/update (admin scope)")
            sparql = _one(form, "query")
            dataset = _dataset(form.get("default-graph-uri", []), form.get("named-graph-uri", []))
        elif content_type == QUERY_BODY:
            sparql = _decode(body)
            dataset = _dataset(
                params.getlist("default-graph-uri"), params.getlist("named-graph-uri")
            )
        else:
            raise _unsupported(content_type, FORM, QUERY_BODY)
        ranges = parse_accept(request.headers.get("accept"))
        return await endpoint.answer(QueryRequest(_text(sparql, "query"), dataset), ranges)

    @router.post(
        "/sparql/update",
        status_code=204,
        summary="SPARQL update: a form (update=…) or an application/sparql-update body",
        response_class=Response,
        responses={400: {}, 401: {}, 403: {}, 413: {}, 415: {}, 503: {}},
        openapi_extra=_request_body(UPDATE_BODY, "update"),
        dependencies=[Depends(require("admin"))],
    )
    async def post_update(request: Request) -> Response:
        body, content_type = await _body(request)
        if content_type == FORM:
            form = _form(body)
            if "using-graph-uri" in form or "using-named-graph-uri" in form:
                raise HTTPException(
                    400,
                    "using-graph-uri / using-named-graph-uri are not supported: "
                    "write USING or WITH in the update",
                )
            sparql = _one(form, "update")
        elif content_type == UPDATE_BODY:
            sparql = _decode(body)
        else:
            raise _unsupported(content_type, FORM, UPDATE_BODY)
        await endpoint.update(_text(sparql, "update"))
        return Response(status_code=204)

    return router


async def _body(request: Request) -> tuple[bytes, str]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return b"".join(chunks), content_type


def _form(body: bytes) -> dict[str, list[str]]:
    try:
        return parse_qs(_decode(body), keep_blank_values=True, strict_parsing=False)
    except ValueError as err:
        raise HTTPException(400, f"malformed form body: {err}") from err


def _one(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name, [])
    if len(values) != 1:
        raise HTTPException(400, f"the form needs exactly one '{name}' field ({len(values)} given)")
    return values[0]


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise HTTPException(400, f"the body is not UTF-8: {err}") from err


def _text(sparql: str, what: str) -> str:
    if not sparql.strip():
        raise HTTPException(400, f"the {what} is empty")
    return sparql


def _dataset(default_graphs: list[str], named_graphs: list[str]) -> Dataset:
    try:
        return Dataset(graph_iris(default_graphs), graph_iris(named_graphs))
    except QueryError as err:
        raise HTTPException(400, str(err)) from err


def _with_hint(message: str, sparql: str) -> str:
    """The first line of ``message``, cut to a readable length, and a hint for updates."""
    lines = message.splitlines() or ["invalid SPARQL query"]
    message = lines[0] if len(lines[0]) <= MAX_ERROR_CHARS else lines[0][:MAX_ERROR_CHARS] + " …"
    words = keywords(sparql)
    if words & UPDATE_WORDS and not words & QUERY_WORDS:
        return f"{message} (this looks like an update: POST it to /sparql/update, admin scope)"
    return message


def _not_acceptable() -> HTTPException:
    return HTTPException(406, f"no acceptable result format; this endpoint serves {SUPPORTED}")


def _unsupported(content_type: str, *accepted: str) -> HTTPException:
    return HTTPException(
        415,
        f"content type {content_type or '(none)'!r} not supported; send {' or '.join(accepted)}",
    )


def _too_large() -> HTTPException:
    return HTTPException(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")


def _request_body(media: str, field: str) -> dict[str, Any]:
    text = {"schema": {"type": "string"}}
    form = {"schema": {"type": "object", "properties": {field: {"type": "string"}}}}
    return {"requestBody": {"required": True, "content": {media: text, FORM: form}}}
