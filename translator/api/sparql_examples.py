"""The ten example SPARQL queries: shown on the query page, documented, tested and benchmarked.

The same text appears in ``README.md`` ("Example queries") and ``docs/sparql.md``; a test
checks that both still carry every query verbatim and that each returns the documented rows
on the fixture data set (``tests/api/sparql_fixture.py``), and ``bench/serve.py`` times them.
The project prefixes (``tr:``, ``trp:``, ``sosa:``, ``qudt:`` …) are predeclared.

``reads`` says which part of the store a query touches: ``state`` (the latest state and
things graphs, small whatever the history holds) or ``history`` (observations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal


@dataclass(frozen=True, slots=True)
class ExampleQuery:
    """One documented query."""

    slug: str
    title: str
    reads: Literal["state", "history"]
    sparql: str


LATEST_STATE = """\
SELECT ?thing ?property ?value ?unit ?time WHERE {
  GRAPH <https://w3id.org/semantic-translator/graph/state> {
    ?state tr:ofThing ?thing ;
           sosa:observedProperty ?property ;
           sosa:hasSimpleResult ?value ;
           sosa:resultTime ?time .
    OPTIONAL { ?state qudt:unit ?unit }
  }
}"""

HISTORY_WINDOW = """\
SELECT ?time ?value ?unit WHERE {
  ?obs sosa:madeBySensor <urn:dev:zigbee2mqtt:living_room_sensor> ;
       sosa:observedProperty trp:temperature ;
       sosa:resultTime ?time ;
       sosa:hasResult ?result .
  ?result qudt:numericValue ?value ;
          qudt:unit ?unit .
  FILTER (?time >= "2026-11-25T10:30:00Z"^^xsd:dateTime
          && ?time <= "2026-11-25T11:00:00Z"^^xsd:dateTime)
}
ORDER BY ?time"""

AREA_ABOVE_THRESHOLD = """\
SELECT ?thing ?label ?value ?time WHERE {
  GRAPH <https://w3id.org/semantic-translator/graph/things> {
    ?thing tr:area "kitchen" .
    OPTIONAL { ?thing rdfs:label ?label }
  }
  GRAPH <https://w3id.org/semantic-translator/graph/state> {
    ?state tr:ofThing ?thing ;
           sosa:observedProperty trp:temperature ;
           sosa:hasSimpleResult ?value ;
           sosa:resultTime ?time .
  }
  FILTER (?value > 25)
}
ORDER BY DESC(?value)"""

HOURLY_AVERAGES = """\
SELECT ?hour (AVG(?value) AS ?average) (MIN(?value) AS ?min) (MAX(?value) AS ?max)
       (COUNT(?value) AS ?readings) WHERE {
  ?obs sosa:madeBySensor <urn:dev:zigbee2mqtt:living_room_sensor> ;
       sosa:observedProperty trp:temperature ;
       sosa:resultTime ?time ;
       sosa:hasResult/qudt:numericValue ?value .
  FILTER (?time >= "2026-11-25T00:00:00Z"^^xsd:dateTime
          && ?time < "2026-11-26T00:00:00Z"^^xsd:dateTime)
  BIND (SUBSTR(STR(?time), 1, 13) AS ?hour)
}
GROUP BY ?hour
ORDER BY ?hour"""

PROVENANCE = """\
SELECT ?value ?observation ?protocol ?channel ?receivedAt ?payloadSha256
       ?mapping ?version ?file WHERE {
  GRAPH <https://w3id.org/semantic-translator/graph/state> {
    ?state tr:ofThing <urn:dev:zigbee2mqtt:living_room_sensor> ;
           sosa:observedProperty trp:temperature ;
           sosa:hasSimpleResult ?value ;
           tr:latestObservation ?observation .
  }
  ?observation prov:wasDerivedFrom ?envelope .
  ?envelope tr:protocol ?protocol ;
            tr:channel ?channel ;
            tr:receivedAt ?receivedAt ;
            tr:payloadSha256 ?payloadSha256 ;
            tr:translatedBy ?plan .
  GRAPH <https://w3id.org/semantic-translator/graph/meta> {
    ?plan tr:mappingId ?mapping ;
          owl:versionInfo ?version ;
          tr:sourceFile ?file .
  }
}"""

CONVERSIONS = """\
SELECT ?property ?sourceUnit ?unit (COUNT(?obs) AS ?observations)
       (MIN(?sourceValue) AS ?minSource) (MAX(?sourceValue) AS ?maxSource) WHERE {
  ?result tr:sourceUnit ?sourceUnit ;
          tr:sourceValue ?sourceValue ;
          qudt:unit ?unit .
  ?obs sosa:hasResult ?result ;
       sosa:observedProperty ?property .
}
GROUP BY ?property ?sourceUnit ?unit
ORDER BY ?property ?sourceUnit"""

THINGS_BY_TYPE = """\
SELECT ?type ?thing ?label ?area WHERE {
  GRAPH <https://w3id.org/semantic-translator/graph/things> {
    ?thing a ?type .
    OPTIONAL { ?thing rdfs:label ?label }
    OPTIONAL { ?thing tr:area ?area }
    FILTER (STRSTARTS(STR(?type), "https://saref.etsi.org/core/"))
  }
}
ORDER BY ?type ?thing"""

PROPERTIES_BY_KIND = """\
SELECT ?kind ?property (COUNT(DISTINCT ?thing) AS ?things) WHERE {
  GRAPH <https://w3id.org/semantic-translator/graph/state> {
    ?state tr:ofThing ?thing ;
           sosa:observedProperty ?property .
  }
  GRAPH <https://w3id.org/semantic-translator/graph/meta> {
    ?property qudt:hasQuantityKind ?kind .
  }
}
GROUP BY ?kind ?property
ORDER BY ?kind ?property"""

SILENT_THINGS = """\
SELECT ?thing (MAX(?time) AS ?lastSeen) WHERE {
  GRAPH <https://w3id.org/semantic-translator/graph/state> {
    ?state tr:ofThing ?thing ;
           sosa:resultTime ?time .
  }
}
GROUP BY ?thing
HAVING (MAX(?time) < "2026-11-25T11:00:00Z"^^xsd:dateTime)
ORDER BY ?lastSeen ?thing"""

PER_MAPPING = """\
SELECT ?mapping ?version (COUNT(?envelope) AS ?messages) WHERE {
  GRAPH <https://w3id.org/semantic-translator/graph/meta> {
    ?plan tr:mappingId ?mapping ;
          owl:versionInfo ?version .
  }
  ?envelope tr:translatedBy ?plan .
}
GROUP BY ?mapping ?version
ORDER BY ?mapping ?version"""

EXAMPLES: Final[tuple[ExampleQuery, ...]] = (
    ExampleQuery("latest-state", "Latest state of every thing", "state", LATEST_STATE),
    ExampleQuery(
        "history-window",
        "One thing's temperature history in a time window",
        "history",
        HISTORY_WINDOW,
    ),
    ExampleQuery(
        "area-above-threshold",
        "Things in the kitchen whose temperature is above 25 °C now",
        "state",
        AREA_ABOVE_THRESHOLD,
    ),
    ExampleQuery(
        "hourly-averages",
        "Hourly average, minimum and maximum of one thing's temperature over a day",
        "history",
        HOURLY_AVERAGES,
    ),
    ExampleQuery(
        "provenance",
        "Where did this number come from (the living room's temperature now)",
        "state",
        PROVENANCE,
    ),
    ExampleQuery(
        "unit-conversions",
        "Unit conversions applied (what the vendors sent, what is stored)",
        "history",
        CONVERSIONS,
    ),
    ExampleQuery("things-by-type", "Things by type, with label and area", "state", THINGS_BY_TYPE),
    ExampleQuery(
        "properties-by-kind",
        "Properties by quantity kind (joined with the ontology)",
        "state",
        PROPERTIES_BY_KIND,
    ),
    ExampleQuery("silent-things", "Things with no reading since 11:00", "state", SILENT_THINGS),
    ExampleQuery("per-mapping", "Messages translated per mapping", "history", PER_MAPPING),
)


def example(slug: str) -> ExampleQuery:
    """The example called ``slug``.

    Raises:
        KeyError: no example has that slug.
    """
    for query in EXAMPLES:
        if query.slug == slug:
            return query
    raise KeyError(slug)
