"""Third-party browser code served from installed packages (no CDN at run time)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter()

PLOTLY_JS = Path(str(files("plotly") / "package_data" / "plotly.min.js"))


@router.get("/static/vendor/plotly.min.js", name="plotly_js", include_in_schema=False)
async def plotly_js() -> FileResponse:
    """plotly.js from the plotly package's package_data, at a stable URL for url_for."""
    return FileResponse(
        PLOTLY_JS,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )
