"""The shipped ontology: where its files are, and the vocabulary the code reads from them."""
