"""Real clients against a real server on loopback: ``curl`` and SPARQLWrapper, every format.

The endpoint (with a read token configured) runs on uvicorn in a thread of its own, over the
fixture store; the clients run as they would for a user (``curl`` in a subprocess).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import rdflib
import uvicorn
from sparql_fixture import fill_store
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, Unauthorized

from translator.api.app import create_app
from translator.api.auth import Authenticator, hash_token, new_token
from translator.api.sparql import sparql_router
from translator.settings import SparqlSettings, TokenSettings
from translator.twin.store import TwinStore

SELECT = "SELECT ?thing ?area WHERE { ?thing tr:area ?area } ORDER BY ?thing"
CONSTRUCT = "CONSTRUCT { ?thing tr:area ?area } WHERE { ?thing tr:area ?area }"
AREA = rdflib.URIRef("https://w3id.org/semantic-translator/ns#area")
KITCHEN = "urn:dev:zigbee2mqtt:kitchen_sensor"
RESULTS_NS = "{http://www.w3.org/2005/sparql-results#}"
CURL_TIMEOUT_S = 30
CONJUNCTIVE = "ignore:ConjunctiveGraph:DeprecationWarning"


@dataclass(frozen=True)
class Endpoint:
    url: str
    reader: str  # a token with the read scope
    admin: str


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    reader, admin = new_token("reader"), new_token("admin")
    entries = [
        TokenSettings.model_validate({"name": name, "scopes": [scope], "hash": hash_token(token)})
        for name, scope, token in (("reader", "read", reader), ("admin", "admin", admin))
    ]
    with TwinStore.open() as store:
        fill_store(store)
        app = create_app(
            [sparql_router(store, SparqlSettings())], authenticator=Authenticator(entries)
        )
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=asyncio.run, args=(server.serve(),), daemon=True)
        thread.start()
        for _ in range(1500):
            if server.started:
                break
            threading.Event().wait(0.02)
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        yield Endpoint(f"http://127.0.0.1:{port}/sparql", reader, admin)
        server.should_exit = True
        thread.join(30)


# --- curl ---------------------------------------------------------------------------------


def curl(*args: str) -> tuple[int, dict[str, str], bytes]:
    """Run curl; returns the status, the headers (lowercased names) and the body."""
    if shutil.which("curl") is None:
        pytest.skip("curl not installed (apt-get install curl)")
    done = subprocess.run(
        ["curl", "--silent", "--show-error", "--include", "--noproxy", "*", *args],
        capture_output=True,
        timeout=CURL_TIMEOUT_S,
        check=True,
    )
    head, _, body = done.stdout.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return status, headers, body


def auth(token: str) -> tuple[str, str]:
    return "-H", f"Authorization: Bearer {token}"


@pytest.mark.parametrize(
    "accept",
    [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ],
)
@pytest.mark.parametrize("method", ["get", "form", "direct"])
def test_curl_select(endpoint: Endpoint, accept: str, method: str) -> None:
    sent = {
        "get": ("-G", "--data-urlencode", f"query={SELECT}"),
        "form": ("--data-urlencode", f"query={SELECT}"),
        "direct": ("-H", "Content-Type: application/sparql-query", "--data-binary", SELECT),
    }[method]
    status, headers, body = curl(*auth(endpoint.reader), "-H", f"Accept: {accept}", *sent,
                                 endpoint.url)  # fmt: skip
    assert status == 200
    assert headers["content-type"].startswith(accept)
    assert select_areas(accept, body) == {KITCHEN: "kitchen"} | {
        "urn:dev:zigbee2mqtt:living_room_sensor": "living-room"
    }


def select_areas(accept: str, body: bytes) -> dict[str, str]:
    """``{thing: area}`` from a SELECT result in any of the four formats."""
    if accept.endswith("json"):
        rows = json.loads(body)["results"]["bindings"]
        return {r["thing"]["value"]: r["area"]["value"] for r in rows}
    if accept.endswith("xml"):
        found = {}
        for result in ET.fromstring(body).iter(f"{RESULTS_NS}result"):
            cells = {b.get("name"): "".join(b.itertext()) for b in result}
            found[cells["thing"]] = cells["area"]
        return found
    delimiter = "," if accept == "text/csv" else "\t"
    rows = list(csv.reader(io.StringIO(body.decode()), delimiter=delimiter))[1:]
    return {thing.strip("<>"): area.strip('"') for thing, area in rows}


@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        pytest.param(
            "application/ld+json",
            "json-ld",
            marks=pytest.mark.filterwarnings(CONJUNCTIVE),
        ),
        ("application/rdf+xml", "xml"),
    ],
)
def test_curl_construct(endpoint: Endpoint, accept: str, rdf_format: str) -> None:
    query = ("--data-urlencode", f"query={CONSTRUCT}")
    status, headers, body = curl(*auth(endpoint.reader), "-H", f"Accept: {accept}", *query,
                                 endpoint.url)  # fmt: skip
    assert status == 200
    assert headers["content-type"].startswith(accept)
    graph = rdflib.Graph().parse(data=body, format=rdf_format)
    assert (rdflib.URIRef(KITCHEN), AREA, rdflib.Literal("kitchen")) in graph
    assert len(graph) == 2


def test_curl_without_a_token_is_401(endpoint: Endpoint) -> None:
    status, headers, _ = curl("-G", "--data-urlencode", f"query={SELECT}", endpoint.url)
    assert status == 401
    assert headers["www-authenticate"].startswith("Bearer")


def test_curl_update_needs_admin(endpoint: Endpoint) -> None:
    update = 'INSERT DATA { GRAPH <urn:graph:curl> { <urn:a> rdfs:label "x" } }'
    sent = ("-H", "Content-Type: application/sparql-update", "--data-binary", update)
    refused, _, body = curl(*auth(endpoint.reader), *sent, endpoint.url + "/update")
    done, _, _ = curl(*auth(endpoint.admin), *sent, endpoint.url + "/update")
    assert refused == 403
    assert b"admin" in body
    assert done == 204


def test_curl_unknown_accept_is_406(endpoint: Endpoint) -> None:
    status, _, body = curl(*auth(endpoint.reader), "-H", "Accept: image/png", "-G",
                           "--data-urlencode", f"query={SELECT}", endpoint.url)  # fmt: skip
    assert status == 406
    assert b"text/csv" in body


# --- SPARQLWrapper ------------------------------------------------------------------------


def wrapper(endpoint: Endpoint, query: str, fmt: str, *, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint.url)
    client.addCustomHttpHeader("Authorization", f"Bearer {endpoint.reader}")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_json(endpoint: Endpoint, method: str) -> None:
    results = wrapper(endpoint, SELECT, JSON, method=method).queryAndConvert()
    assert isinstance(results, dict)
    rows = results["results"]["bindings"]
    assert [r["area"]["value"] for r in rows] == ["kitchen", "living-room"]


def test_sparqlwrapper_xml(endpoint: Endpoint) -> None:
    document = wrapper(endpoint, SELECT, XML).queryAndConvert()
    literals = [node.firstChild.data for node in document.getElementsByTagName("literal")]
    assert literals == ["kitchen", "living-room"]


@pytest.mark.parametrize(("fmt", "delimiter"), [(CSV, ","), (TSV, "\t")])
def test_sparqlwrapper_csv_and_tsv(endpoint: Endpoint, fmt: str, delimiter: str) -> None:
    data = wrapper(endpoint, SELECT, fmt).queryAndConvert()
    rows = list(csv.reader(io.StringIO(data.decode()), delimiter=delimiter))
    assert len(rows) == 3
    assert rows[1][1].strip('"') == "kitchen"


def test_sparqlwrapper_ask(endpoint: Endpoint) -> None:
    answer = wrapper(endpoint, 'ASK { ?t tr:area "kitchen" }', JSON).queryAndConvert()
    assert answer == {"head": {}, "boolean": True}


@pytest.mark.parametrize(
    "fmt",
    [
        TURTLE,
        N3,  # asks for N3 or Turtle or N-Triples
        # SPARQLWrapper parses these two into an rdflib ConjunctiveGraph (deprecated)
        pytest.param(RDFXML, marks=pytest.mark.filterwarnings(CONJUNCTIVE)),
        pytest.param(JSONLD, marks=pytest.mark.filterwarnings(CONJUNCTIVE)),
    ],
)
def test_sparqlwrapper_construct(endpoint: Endpoint, fmt: str) -> None:
    client = wrapper(endpoint, CONSTRUCT, fmt)
    response = client.query()
    graph = response.convert()
    if isinstance(graph, bytes):  # SPARQLWrapper returns the text of Turtle and N3
        graph = rdflib.Graph().parse(data=graph, format="turtle")
    assert (rdflib.URIRef(KITCHEN), AREA, rdflib.Literal("kitchen")) in graph


def test_sparqlwrapper_sees_a_bad_query(endpoint: Endpoint) -> None:
    with pytest.raises(QueryBadFormed):
        wrapper(endpoint, "SELECT ?s WHERE {", JSON).query()


def test_sparqlwrapper_without_token(endpoint: Endpoint) -> None:
    client = SPARQLWrapper(endpoint.url)
    client.setQuery(SELECT)
    client.setReturnFormat(JSON)
    with pytest.raises(Unauthorized):
        client.query()


def test_sparqlwrapper_update(endpoint: Endpoint) -> None:
    client = SPARQLWrapper(endpoint.url, updateEndpoint=endpoint.url + "/update")
    client.addCustomHttpHeader("Authorization", f"Bearer {endpoint.admin}")
    client.setMethod("POST")
    client.setQuery('INSERT DATA { GRAPH <urn:graph:wrapper> { <urn:b> rdfs:label "y" } }')
    client.query()
    check = wrapper(endpoint, "ASK { GRAPH <urn:graph:wrapper> { <urn:b> ?p ?o } }", JSON)
    assert check.queryAndConvert()["boolean"] is True
