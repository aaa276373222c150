"""Builds the FastAPI application: settings, routers, static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from server.routes import health, pages, train
from server.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(title="RNN Gradient Flow", version="0.1.0")
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(train.router)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    return app
