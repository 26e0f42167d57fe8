"""The vocabulary the translator writes, as pyoxigraph terms built once at import.

Every predicate, class and graph name of ``docs/rdf-model.md`` lives here as a ready
``NamedNode``, so the per-message code only creates the terms that really vary (subjects,
literals). The IRIs themselves come from :mod:`translator.rdf.namespaces`.
"""

from __future__ import annotations

from typing import Final

from pyoxigraph import DefaultGraph, NamedNode

from translator.rdf.namespaces import (
    META_GRAPH,
    OWL,
    PROV,
    QUDT,
    RDF,
    RDFS,
    SOSA,
    STATE_GRAPH,
    THINGS_GRAPH,
    TR,
    XSD,
)

# Graphs. History (observations, results, envelopes) is the store's default graph: the
# store indexes default-graph triples three ways instead of six ways for named-graph quads,
# which makes history writes ~1.6x faster (docs/rdf-model.md, "Graphs").
HISTORY: Final = DefaultGraph()
STATE: Final = NamedNode(STATE_GRAPH)
THINGS: Final = NamedNode(THINGS_GRAPH)
META: Final = NamedNode(META_GRAPH)

RDF_TYPE: Final = NamedNode(RDF + "type")
RDFS_LABEL: Final = NamedNode(RDFS + "label")
OWL_VERSION_INFO: Final = NamedNode(OWL + "versionInfo")

XSD_BOOLEAN: Final = NamedNode(XSD + "boolean")
XSD_DATETIME: Final = NamedNode(XSD + "dateTime")
XSD_DOUBLE: Final = NamedNode(XSD + "double")
XSD_STRING: Final = NamedNode(XSD + "string")

SOSA_OBSERVATION: Final = NamedNode(SOSA + "Observation")
SOSA_PLATFORM: Final = NamedNode(SOSA + "Platform")
SOSA_SENSOR: Final = NamedNode(SOSA + "Sensor")
SOSA_MADE_BY_SENSOR: Final = NamedNode(SOSA + "madeBySensor")
SOSA_OBSERVED_PROPERTY: Final = NamedNode(SOSA + "observedProperty")
SOSA_RESULT_TIME: Final = NamedNode(SOSA + "resultTime")
SOSA_HAS_RESULT: Final = NamedNode(SOSA + "hasResult")
SOSA_HAS_SIMPLE_RESULT: Final = NamedNode(SOSA + "hasSimpleResult")

QUDT_QUANTITY_VALUE: Final = NamedNode(QUDT + "QuantityValue")
QUDT_NUMERIC_VALUE: Final = NamedNode(QUDT + "numericValue")
QUDT_UNIT: Final = NamedNode(QUDT + "unit")

PROV_WAS_DERIVED_FROM: Final = NamedNode(PROV + "wasDerivedFrom")
PROV_PLAN: Final = NamedNode(PROV + "Plan")

TR_ENVELOPE: Final = NamedNode(TR + "Envelope")
TR_PROTOCOL: Final = NamedNode(TR + "protocol")
TR_CHANNEL: Final = NamedNode(TR + "channel")
TR_RECEIVED_AT: Final = NamedNode(TR + "receivedAt")
TR_PAYLOAD_SHA256: Final = NamedNode(TR + "payloadSha256")
TR_TRANSLATED_BY: Final = NamedNode(TR + "translatedBy")
TR_SOURCE_VALUE: Final = NamedNode(TR + "sourceValue")
TR_SOURCE_UNIT: Final = NamedNode(TR + "sourceUnit")

TR_STATE: Final = NamedNode(TR + "State")
TR_OF_THING: Final = NamedNode(TR + "ofThing")
TR_LATEST_OBSERVATION: Final = NamedNode(TR + "latestObservation")

TR_MAPPING: Final = NamedNode(TR + "Mapping")
TR_MAPPING_ID: Final = NamedNode(TR + "mappingId")
TR_SOURCE_FILE: Final = NamedNode(TR + "sourceFile")

TR_AREA: Final = NamedNode(TR + "area")
TR_POSITION_X: Final = NamedNode(TR + "positionX")
TR_POSITION_Y: Final = NamedNode(TR + "positionY")
TR_POSITION_Z: Final = NamedNode(TR + "positionZ")
TR_MODEL: Final = NamedNode(TR + "model")
TR_SCENE_NODE: Final = NamedNode(TR + "sceneNode")

TR_REGISTERED_BY: Final = NamedNode(TR + "registeredBy")
TR_VARIABLE: Final = NamedNode(TR + "variable")
