"""HTML pages: the visualizer (GET /) and the compact widget for iframes (GET /embed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.routing import NoMatchFound

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "templates")

router = APIRouter(include_in_schema=False)

# Controls an embed may show (`controls=`), in page order; names are the API's field names.
CONTROLS = (
    "preset",
    "cell",
    "activation",
    "w_rec",
    "w_in",
    "bias",
    "seq_len",
    "hidden_size",
    "recurrent_init",
    "input_pattern",
    "inputs",
    "loss",
    "clip_norm",
    "forget_bias",
    "bidirectional",
    "seed",
)
# Panels an embed may show (`panels=`).
PANELS = ("rolled", "unrolled", "readout", "grad", "hidden", "gates", "sweep")
EMBED_DEFAULT_CONTROLS = ("w_rec",)
EMBED_DEFAULT_PANELS = ("unrolled", "readout", "grad")

# Route names (server/routes/*) and the contract's paths, used while a route is not mounted.
ROUTES: dict[str, tuple[tuple[str, ...], str]] = {
    "simulate": (("simulate_post",), "/api/v1/simulate"),
    "sweep": (("sweep_post",), "/api/v1/sweep"),
    "presets": (("presets",), "/api/v1/presets"),
    "stream": (("stream",), "/api/v1/stream"),
    "lab": (("lab", "lab_page", "page_lab"), "/lab"),
    "plotly_js": (("plotly_js",), "/static/vendor/plotly.min.js"),
}


def _url(request: Request, key: str) -> str:
    """Absolute URL of a route by url_for, or its contract path when it is not mounted."""
    names, path = ROUTES[key]
    for name in names:
        try:
            return str(request.url_for(name))
        except NoMatchFound:
            continue
    return str(request.base_url).rstrip("/") + path


def _pick(raw: str | None, allowed: tuple[str, ...], default: tuple[str, ...]) -> list[str]:
    """Parse a comma-separated list, keeping known names in page order (unknown ones ignored)."""
    if raw is None:
        return list(default)
    wanted = {part.strip() for part in raw.split(",")}
    return [name for name in allowed if name in wanted]


def _context(request: Request, mode: str, controls: list[str], panels: list[str]) -> dict[str, Any]:
    settings = request.app.state.settings
    config = {
        "mode": mode,
        # The names /embed accepts, so the page can name them when a link has unknown ones.
        "view_names": {"controls": list(CONTROLS), "panels": list(PANELS)},
        "urls": {
            "page": str(request.url_for("page_index")),
            "embed": str(request.url_for("page_embed")),
            **{name: _url(request, name) for name in ("simulate", "sweep", "presets", "stream")},
        },
        "limits": {
            "max_seq_len": settings.max_seq_len,
            "max_hidden_size": settings.max_hidden_size,
            "max_abs_weight": settings.max_abs_weight,
            "max_work": settings.max_work,
            "max_sweep_work": settings.max_sweep_work,
        },
    }
    return {
        "mode": mode,
        "controls": controls,
        "panels": panels,
        "limits": config["limits"],
        "page_config": config,
        "plotly_url": _url(request, "plotly_js"),
        "lab_url": _url(request, "lab"),
        "docs_url": request.app.docs_url or "/docs",
        "active": mode,
    }


@router.get("/", response_class=HTMLResponse, name="page_index")
def index(request: Request) -> HTMLResponse:
    """The visualizer; its state lives in the query string (the API's field names)."""
    context = _context(request, "page", list(CONTROLS), list(PANELS))
    return TEMPLATES.TemplateResponse(request, "index.html", context)


@router.get("/embed", response_class=HTMLResponse, name="page_embed")
def embed(request: Request, controls: str | None = None, panels: str | None = None) -> HTMLResponse:
    """The compact widget; `controls=` and `panels=` (comma-separated) choose what it shows."""
    context = _context(
        request,
        "embed",
        _pick(controls, CONTROLS, EMBED_DEFAULT_CONTROLS),
        _pick(panels, PANELS, EMBED_DEFAULT_PANELS),
    )
    return TEMPLATES.TemplateResponse(request, "embed.html", context)
