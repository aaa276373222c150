"""Builds the FastAPI application: settings, compute, middleware, error handlers, routers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import torch
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from server.body_limit import BodyLimit
from server.compute import Compute
from server.errors import install_error_handlers
from server.fast_lane import FastLane
from server.openapi import install_openapi
from server.routes import api, docs, health, pages, stream, train, vendor
from server.security import SecurityHeaders
from server.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

DESCRIPTION = (
    "Exact gradient flow through an unrolled RNN, LSTM or GRU: per-step hidden states and "
    "log10 gradient norms, computed in log space so they never overflow. "
    "WebSocket streaming at /api/v1/stream (see the project's CONTRACT)."
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    compute = Compute(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Each worker thread gets its share of the cores instead of all of them at once.
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // compute.pool.workers))
        yield
        compute.shutdown()

    app = FastAPI(
        title="RNN Gradient Flow",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Swagger UI and ReDoc load their code from a CDN: our own page replaces them.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.compute = compute
    install_error_handlers(app)
    # Last added runs first: headers on every answer, CORS on 413s too, the body cap, then the
    # slider's hot path, which sees only bodies within the cap.
    if settings.fast_lane:
        app.add_middleware(FastLane, compute=compute)
    app.add_middleware(BodyLimit, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=False,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "If-None-Match"],
        expose_headers=["ETag", "Retry-After"],
    )
    app.add_middleware(SecurityHeaders, settings=settings)
    app.include_router(health.router)
    app.include_router(api.router)
    app.include_router(stream.router)
    app.include_router(vendor.router)  # before the /static mount, which would shadow it
    app.include_router(pages.router)
    app.include_router(docs.router)
    app.include_router(train.router)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    install_openapi(app, settings)
    return app
