"""``GET /health`` and ``GET /metrics``: liveness, readiness detail, Prometheus metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Response
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from translator.api.auth import require
from translator.metrics import Metrics

HealthProbe = Callable[[], dict[str, Any]]


def health_router(metrics: Metrics, probe: HealthProbe) -> APIRouter:
    """``/health`` (open) answers what ``probe`` reports; ``/metrics`` (``read``) the registry."""
    router = APIRouter(tags=["operations"])

    @router.get("/health", summary="Liveness and component status")
    def health() -> dict[str, Any]:
        return {"status": "ok", **probe()}

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        dependencies=[Depends(require("read"))],
    )
    def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router
