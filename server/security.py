"""Security headers: nosniff and a referrer policy everywhere, a strict CSP on pages."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.settings import Settings


def page_csp(frame_ancestors: str) -> str:
    """No inline script; Plotly needs inline styles; the stream needs ws:/wss:."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self'",
            "connect-src 'self' ws: wss:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        )
    )


class SecurityHeaders:
    """ASGI middleware adding the headers on the way out, for every HTTP answer."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.page = page_csp(settings.page_frame_ancestors)
        self.embed = page_csp(settings.embed_frame_ancestors)

    def csp(self, path: str) -> str:
        if path == "/embed" or path.startswith("/embed/"):
            return self.embed
        return self.page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = self.csp(path)
            await send(message)

        await self.app(scope, receive, send_with_headers)
