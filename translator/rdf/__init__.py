"""RDF terms and the shape of the graph the translator writes (see docs/rdf-model.md)."""
