"""Small HTTP helpers: same-origin checks and security headers."""

from __future__ import annotations

from urllib.parse import urlsplit

from sanic.request import Request
from sanic.response import HTTPResponse

PAGE_CSP = "default-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'"


def same_origin(request: Request) -> bool:
    """Browsers send Origin on WebSocket handshakes; a foreign one is refused (no Origin: a non-browser client)."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.host


def secure_headers(request: Request, response: HTTPResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.path.startswith("/agent"):
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP + "; frame-ancestors 'none'")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")
    elif response.content_type and response.content_type.startswith("text/html"):
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
