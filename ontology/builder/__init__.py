"""Build-time code behind ``ontology/build.py``: reads the standard vocabularies, writes our subset.

Not part of the ``translator`` package and never imported at run time: the translator reads
only the Turtle this code writes.

    table.py         our own tables: properties.yaml, senml.yaml
    sources.py       the standard vocabularies in ../shared/ontologies, parsed once
    units.py         the QUDT units and quantity kinds the properties need
    vocabularies.py  the SOSA/SSN/SAREF/PROV/TD terms we use (declarations + labels)
    properties.py    trp:<name> for every property of the table
    shapes.py        the SHACL Core shapes every translated observation must satisfy
    turtle.py        deterministic Turtle output with an attribution header
"""
