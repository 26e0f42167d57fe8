"""The SPARQL 1.1 Protocol endpoint in-process (httpx ASGITransport): methods, formats, limits."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import rdflib
from sparql_fixture import fill_store

from translator.api.app import create_app
from translator.api.sparql import sparql_router
from translator.api.sparql_examples import LATEST_STATE
from translator.rdf.namespaces import META_GRAPH, OBSERVATIONS_GRAPH, STATE_GRAPH, THINGS_GRAPH
from translator.settings import SparqlSettings
from translator.twin.store import TwinStore

THINGS_QUERY = "SELECT ?thing ?area WHERE { ?thing tr:area ?area } ORDER BY ?thing"
CONSTRUCT_AREAS = "CONSTRUCT { ?thing tr:area ?area } WHERE { ?thing tr:area ?area }"
AREA = "https://w3id.org/semantic-translator/ns#area"
SPARQL_RESULTS_NS = "{http://www.w3.org/2005/sparql-results#}"
# every ontology triple against every other: far more solutions than any test waits for
ENDLESS = (
    "SELECT * WHERE { GRAPH <https://w3id.org/semantic-translator/graph/meta> "
    "{ ?a ?b ?c . ?d ?e ?f } }"
)


@pytest.fixture(scope="module")
def fixture_store() -> Iterator[TwinStore]:
    with TwinStore.open() as store:
        fill_store(store)
        yield store


def client_for(store: TwinStore, **settings: Any) -> httpx.AsyncClient:
    app = create_app([sparql_router(store, SparqlSettings(**settings))])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
async def client(fixture_store: TwinStore) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(fixture_store) as opened:
        yield opened


def bindings(response: httpx.Response) -> list[dict[str, str]]:
    data = response.json()
    return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]


EXPECTED_AREAS = [
    {"thing": "urn:dev:zigbee2mqtt:kitchen_sensor", "area": "kitchen"},
    {"thing": "urn:dev:zigbee2mqtt:living_room_sensor", "area": "living-room"},
]


# --- the three ways to send a query -------------------------------------------------------


async def test_get_with_query_parameter(client: httpx.AsyncClient) -> None:
    response = await client.get("/sparql", params={"query": THINGS_QUERY})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/sparql-results+json"
    assert bindings(response) == EXPECTED_AREAS


async def test_post_form(client: httpx.AsyncClient) -> None:
    response = await client.post("/sparql", data={"query": THINGS_QUERY})
    assert response.status_code == 200
    assert bindings(response) == EXPECTED_AREAS


async def test_post_sparql_query_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/sparql",
        content=THINGS_QUERY.encode(),
        headers={"Content-Type": "application/sparql-query; charset=utf-8"},
    )
    assert response.status_code == 200
    assert bindings(response) == EXPECTED_AREAS


async def test_post_other_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/sparql", content=THINGS_QUERY, headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert "application/sparql-query" in response.json()["detail"]


async def test_form_with_an_update_points_to_the_update_route(client: httpx.AsyncClient) -> None:
    response = await client.post("/sparql", data={"update": "CLEAR ALL"})
    assert response.status_code == 400
    assert "/sparql/update" in response.json()["detail"]


async def test_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    huge = "SELECT * WHERE { ?s ?p ?o } #" + "x" * (1024 * 1024)
    response = await client.post(
        "/sparql", content=huge, headers={"Content-Type": "application/sparql-query"}
    )
    assert response.status_code == 413


# --- content negotiation ------------------------------------------------------------------


async def test_select_as_xml(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/sparql",
        params={"query": THINGS_QUERY},
        headers={"Accept": "application/sparql-results+xml"},
    )
    assert response.headers["content-type"] == "application/sparql-results+xml"
    root = ET.fromstring(response.content)
    values = [
        b.find(f"{SPARQL_RESULTS_NS}literal") for b in root.iter(f"{SPARQL_RESULTS_NS}binding")
    ]
    assert [v.text for v in values if v is not None] == ["kitchen", "living-room"]


@pytest.mark.parametrize(
    ("accept", "delimiter"), [("text/csv", ","), ("text/tab-separated-values", "\t")]
)
async def test_select_as_csv_and_tsv(
    client: httpx.AsyncClient, accept: str, delimiter: str
) -> None:
    response = await client.get(
        "/sparql", params={"query": THINGS_QUERY}, headers={"Accept": accept}
    )
    assert response.headers["content-type"].startswith(accept)
    rows = list(csv.reader(io.StringIO(response.text), delimiter=delimiter))
    assert rows[0] in (["thing", "area"], ["?thing", "?area"])
    assert len(rows) == 3
    assert "kitchen" in rows[1][1]


async def test_ask(client: httpx.AsyncClient) -> None:
    response = await client.get("/sparql", params={"query": 'ASK { ?t tr:area "kitchen" }'})
    assert response.json() == {"head": {}, "boolean": True}


@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        pytest.param(
            "application/ld+json",
            "json-ld",  # rdflib's JSON-LD parser still builds a ConjunctiveGraph internally
            marks=pytest.mark.filterwarnings("ignore:ConjunctiveGraph:DeprecationWarning"),
        ),
        ("application/rdf+xml", "xml"),
    ],
)
async def test_construct_in_every_rdf_format(
    client: httpx.AsyncClient, accept: str, rdf_format: str
) -> None:
    response = await client.get(
        "/sparql", params={"query": CONSTRUCT_AREAS}, headers={"Accept": accept}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(accept)
    graph = rdflib.Graph().parse(data=response.content, format=rdf_format)
    assert sorted(str(o) for o in graph.objects(None, rdflib.URIRef(AREA))) == [
        "kitchen",
        "living-room",
    ]


async def test_describe_defaults_to_turtle(client: httpx.AsyncClient) -> None:
    query = "DESCRIBE <urn:dev:zigbee2mqtt:kitchen_sensor>"
    response = await client.get("/sparql", params={"query": query})
    assert response.headers["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    assert (None, rdflib.URIRef(AREA), rdflib.Literal("kitchen")) in graph


async def test_browser_accept_header_with_a_query_gets_json(client: httpx.AsyncClient) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = await client.get(
        "/sparql", params={"query": THINGS_QUERY}, headers={"Accept": browser}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/sparql-results+xml"


async def test_unknown_accept_is_406_with_the_supported_list(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/sparql", params={"query": THINGS_QUERY}, headers={"Accept": "image/png"}
    )
    assert response.status_code == 406
    assert "text/tab-separated-values" in response.json()["detail"]
    assert "application/ld+json" in response.json()["detail"]


async def test_graph_format_for_a_select_is_406(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/sparql", params={"query": THINGS_QUERY}, headers={"Accept": "text/turtle"}
    )
    assert response.status_code == 406


# --- errors and refusals ------------------------------------------------------------------


async def test_malformed_query_is_400_with_the_position(client: httpx.AsyncClient) -> None:
    response = await client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p "})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("invalid SPARQL query: error at 1:")
    assert len(detail) < 400


async def test_an_update_sent_as_a_query_gets_a_hint(client: httpx.AsyncClient) -> None:
    response = await client.get("/sparql", params={"query": "INSERT DATA { <urn:a> <urn:b> 1 }"})
    assert response.status_code == 400
    assert "/sparql/update" in response.json()["detail"]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    ],
)
async def test_service_is_refused(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get("/sparql", params={"query": query})
    assert response.status_code == 400
    assert "SERVICE" in response.json()["detail"]


async def test_missing_and_empty_query_are_400(client: httpx.AsyncClient) -> None:
    missing = await client.get("/sparql", headers={"Accept": "application/json"})
    empty = await client.post("/sparql", data={"query": "  "})
    assert missing.status_code == 400
    assert "query" in missing.json()["detail"]
    assert empty.status_code == 400


async def test_timeout_is_503(fixture_store: TwinStore) -> None:
    async with client_for(fixture_store, timeout_s=0.3, max_rows=10**9) as slow:
        response = await slow.get("/sparql", params={"query": ENDLESS})
    assert response.status_code == 503
    assert "sparql.timeout_s" in response.json()["detail"]


async def test_timeout_also_bounds_dataset_queries(fixture_store: TwinStore) -> None:
    async with client_for(fixture_store, timeout_s=0.3, max_rows=10**9) as slow:
        response = await slow.get(
            "/sparql",
            params={
                "query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }",
                "default-graph-uri": META_GRAPH,
            },
        )
    assert response.status_code == 503


async def test_result_cap_is_announced(fixture_store: TwinStore) -> None:
    async with client_for(fixture_store, max_rows=5) as capped:
        response = await capped.get("/sparql", params={"query": LATEST_STATE})
        small = await capped.get("/sparql", params={"query": THINGS_QUERY})
    assert len(bindings(response)) == 5
    assert response.headers["X-Result-Truncated"] == "true"
    assert response.headers["X-Result-Limit"] == "5"
    assert "X-Result-Truncated" not in small.headers


# --- datasets -----------------------------------------------------------------------------


async def test_default_graph_uri_restricts_the_default_graph(client: httpx.AsyncClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s tr:ofThing ?thing }"
    union = await client.get("/sparql", params={"query": query})
    state = await client.get("/sparql", params={"query": query, "default-graph-uri": STATE_GRAPH})
    things = await client.get("/sparql", params={"query": query, "default-graph-uri": THINGS_GRAPH})
    assert bindings(union) == bindings(state) == [{"n": "13"}]
    assert bindings(things) == [{"n": "0"}]


async def test_observations_graph_iri_names_the_history(client: httpx.AsyncClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?obs a sosa:Observation }"
    response = await client.get(
        "/sparql", params={"query": query, "default-graph-uri": OBSERVATIONS_GRAPH}
    )
    assert bindings(response) == [{"n": "67"}]


async def test_named_graph_uri_limits_graph_patterns(client: httpx.AsyncClient) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    response = await client.post(
        "/sparql",
        data={"query": query, "named-graph-uri": [THINGS_GRAPH, STATE_GRAPH]},
    )
    assert bindings(response) == [{"g": STATE_GRAPH}, {"g": THINGS_GRAPH}]


async def test_dataset_in_the_url_of_a_direct_post(client: httpx.AsyncClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s tr:area ?a }"
    response = await client.post(
        "/sparql",
        params={"default-graph-uri": STATE_GRAPH},
        content=query,
        headers={"Content-Type": "application/sparql-query"},
    )
    assert bindings(response) == [{"n": "0"}]


async def test_from_clause_is_honoured(client: httpx.AsyncClient) -> None:
    query = f"SELECT (COUNT(*) AS ?n) FROM <{THINGS_GRAPH}> WHERE {{ ?s tr:ofThing ?t }}"
    response = await client.get("/sparql", params={"query": query})
    assert bindings(response) == [{"n": "0"}]


async def test_bad_graph_iri_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/sparql", params={"query": THINGS_QUERY, "default-graph-uri": "not an iri"}
    )
    assert response.status_code == 400
    assert "graph IRI" in response.json()["detail"]


# --- updates ------------------------------------------------------------------------------


async def test_update_then_query() -> None:
    with TwinStore.open() as store:
        async with client_for(store) as client:
            inserted = await client.post(
                "/sparql/update",
                content='INSERT DATA { GRAPH <urn:graph:notes> { <urn:a> rdfs:comment "hi" } }',
                headers={"Content-Type": "application/sparql-update"},
            )
            deleted = await client.post(
                "/sparql/update",
                data={"update": "DELETE WHERE { GRAPH <urn:graph:notes> { <urn:a> ?p ?o } }"},
            )
            ask = await client.get(
                "/sparql", params={"query": "ASK { GRAPH <urn:graph:notes> { ?s ?p ?o } }"}
            )
    assert inserted.status_code == deleted.status_code == 204
    assert ask.json()["boolean"] is False


@pytest.mark.parametrize(
    "update",
    [
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "LOAD SILENT <http://127.0.0.1:9/data.ttl> INTO GRAPH <urn:g>",
        "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    ],
)
async def test_update_never_fetches(client: httpx.AsyncClient, update: str) -> None:
    response = await client.post("/sparql/update", data={"update": update})
    assert response.status_code == 400
    assert "refused" in response.json()["detail"]


async def test_malformed_update_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/sparql/update",
        content="INSERT DATA { <urn:a> ",
        headers={"Content-Type": "application/sparql-update"},
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("invalid SPARQL update")


async def test_update_dataset_parameters_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/sparql/update",
        data={"update": "CLEAR GRAPH <urn:g>", "using-graph-uri": THINGS_GRAPH},
    )
    assert response.status_code == 400


async def test_update_by_get_is_not_allowed(client: httpx.AsyncClient) -> None:
    response = await client.get("/sparql/update", params={"update": "CLEAR ALL"})
    assert response.status_code == 405


# --- the query page -----------------------------------------------------------------------


async def test_browser_without_a_query_gets_the_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/sparql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "http" not in policy.replace("'self'", "")  # nothing from elsewhere
    assert "<script src" not in response.text  # self-contained: works offline
    examples = response.text.split('<script id="examples" type="application/json">')[1]
    assert len(json.loads(examples.split("</script>")[0])) == 10
