"""GET /docs: the API reference rendered on the server from the OpenAPI document (no CDN)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from server.api_docs import abbreviate, operations
from server.frames import stream_frames

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "templates")

router = APIRouter(include_in_schema=False)

STREAM_PARAMS = {"activation": "linear", "seq_len": 3, "w_rec": 0.1}


def _stream_example(doc: dict[str, Any]) -> dict[str, str]:
    """A real exchange on the stream: the response example cut into the socket's frames."""
    schemas = doc.get("components", {}).get("schemas", {})
    result = (schemas.get("SimulateResponse", {}).get("examples") or [None])[0]
    message = {"type": "simulate", "id": 1, "params": STREAM_PARAMS}
    frames: list[Any] = []
    if result is not None:
        frames = [*stream_frames(1, result), {"type": "done", "id": 1, "result": "..."}]
    return {
        "message": json.dumps(message),
        "frames": "\n".join(json.dumps(abbreviate(frame)) for frame in frames),
    }


@router.get("/docs", response_class=HTMLResponse, name="api_docs")
def api_docs(request: Request) -> HTMLResponse:
    doc = request.app.openapi()
    base = str(request.base_url).rstrip("/")
    context = {
        "info": doc.get("info", {}),
        "operations": operations(doc, base),
        "stream": _stream_example(doc),
        "base": base,
        "ws_base": "ws" + base.removeprefix("http"),
        "active": "docs",
    }
    return TEMPLATES.TemplateResponse(request, "docs.html", context)
