"""JSON API: simulate (POST and cacheable GET), sweep, presets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from server.compute import Compute
from server.presets import PRESETS
from server.schemas import (
    ErrorDetail,
    Preset,
    SimulateQuery,
    SimulateRequest,
    SimulateResponse,
    SweepRequest,
    SweepResponse,
)

router = APIRouter(prefix="/api/v1", tags=["api"])


async def get_compute(request: Request) -> Compute:
    # async: a plain def dependency would cost every request a hop to a worker thread and back.
    compute: Compute = request.app.state.compute
    return compute


ComputeDep = Annotated[Compute, Depends(get_compute)]

# Results are returned as ready-made JSON Responses: the models below document them without
# FastAPI re-validating megabytes of floats on every answer.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorDetail, "description": "Body that is not JSON at all."},
    413: {"model": ErrorDetail, "description": "Body over the size limit."},
    503: {"model": ErrorDetail, "description": "Compute queue full; see Retry-After."},
}


def json_bytes(body: bytes, headers: dict[str, str] | None = None) -> Response:
    return Response(body, media_type="application/json", headers=headers)


@router.post(
    "/simulate",
    response_model=SimulateResponse,
    responses=ERRORS,
    summary="Run one simulation",
)
async def simulate_post(body: SimulateRequest, compute: ComputeDep) -> Response:
    """Forward and exact log-space backward pass; per-step lists, index 0 is step t = 1."""
    config = compute.check(body.to_config())
    return json_bytes(await compute.simulate(config))


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


@router.get(
    "/simulate",
    response_model=SimulateResponse,
    responses={
        **ERRORS,
        304: {"description": "Not modified: the If-None-Match ETag is current."},
    },
    summary="Run one simulation (cacheable; parameters in the query)",
)
async def simulate_get(
    query: Annotated[SimulateQuery, Query()], request: Request, compute: ComputeDep
) -> Response:
    """The same as POST, cacheable: ETag from the parameters and the engine version."""
    config = compute.check(query.to_config())
    etag = f'"{compute.key("simulate", config)[:40]}"'
    max_age = request.app.state.settings.cache_max_age
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return json_bytes(await compute.simulate(config), headers)


@router.post(
    "/sweep",
    response_model=SweepResponse,
    responses=ERRORS,
    summary="Sweep w_rec in one batched pass",
)
async def sweep_post(body: SweepRequest, compute: ComputeDep) -> Response:
    """grad_log10 as [values][T], a growth factor and a regime per value."""
    values = body.values(compute.limits.max_sweep_steps)
    values_field = "steps" if body.w_rec_values is None else "w_rec_values"
    config = compute.check_sweep(body.to_config(), values, values_field)
    return json_bytes(await compute.sweep(config, values))


@router.get("/presets", response_model=list[Preset], summary="Teaching presets")
async def presets() -> list[dict[str, Any]]:
    """The articles' examples, each with a one-sentence caption and its parameters."""
    return list(PRESETS)
