"""HTTP API: the FastAPI app and its routes, one module per resource."""
