"""Helpers of the SHACL tests: Turtle in, pyoxigraph triples or rdflib graphs out, pyshacl's view.

A plain module (not a conftest) so the tests import it by a name no other folder uses.
"""

from __future__ import annotations

import warnings

import pyoxigraph as ox
import rdflib

from translator.validation import oracle_validate

PREFIXES = """
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""
EX = "http://example.org/"


def graph(turtle: str) -> rdflib.Graph:
    """An rdflib graph from Turtle (with the ``ex:``, ``sh:``, ``xsd:`` … prefixes)."""
    return rdflib.Graph().parse(data=PREFIXES + turtle, format="turtle")


def triples(turtle: str) -> list[ox.Triple]:
    """pyoxigraph triples from Turtle, as the pipeline hands them to the gate."""
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(PREFIXES + turtle, format=ox.RdfFormat.TURTLE)
    ]


def pyshacl_conforms(data: str, shapes: str) -> bool:
    """pyshacl's verdict, the ground truth."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oracle_validate(graph(data), graph(shapes))[0]
