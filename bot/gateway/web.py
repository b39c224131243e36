"""Small HTTP helpers: same-origin checks, security headers, and reading what a request carries
through the edge (bot.inbound): its JSON body, typed fields of it, its query, its bearer token."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from sanic.request import Request
from sanic.response import HTTPResponse
from websockets.exceptions import InvalidHandshake, InvalidUpgrade
from websockets.server import ServerConnection

from bot import texts
from bot.gateway.errors import bad_request, error_json
from bot.inbound import MalformedJson, clean_text, load_json

PAGE_CSP = "default-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'"


def same_origin(request: Request) -> bool:
    """Browsers send Origin on WebSocket handshakes; a foreign one is refused (no Origin: a non-browser client)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    try:
        return urlsplit(origin).netloc == request.host
    except ValueError:  # "http://[": not a URL, so not ours
        return False


def secure_headers(request: Request, response: HTTPResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.path.startswith(("/agent", "/manager", "/admin")):
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP + "; frame-ancestors 'none'")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")
    elif response.content_type and response.content_type.startswith("text/html"):
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)


def clean_query(request: Request) -> None:
    """Request middleware: every query value through :func:`bot.inbound.clean_text`.

    Sanic decodes ``%xx`` escapes with ``errors="replace"``, so a query value holds no lone
    surrogate, but ``%00`` is a NUL (a photo's ``?filename=``, the trainer's ``?q=`` would reach
    PostgreSQL with it). The parsed arguments are cached on the request, so handlers read the
    cleaned values through ``request.args`` as before."""
    arguments = request.args
    for name in list(arguments):
        arguments[name] = [clean_text(value) for value in arguments[name]]


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, strings cleaned (:func:`bot.inbound.load_json`); ``{}`` for an
    empty body (a POST that needs nothing). Anything else — not JSON, not an object, an absurd
    number — raises the polite 400 (:func:`bot.gateway.errors.bad_request`)."""
    if not request.body:
        return {}
    try:
        body = load_json(request.body)
    except MalformedJson:
        raise bad_request() from None
    if not isinstance(body, dict):
        raise bad_request()
    return body


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header (a resident's), or None."""
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def text_field(body: dict[str, Any], name: str) -> str:
    """``body[name]`` as text: ``""`` when absent or null, the polite 400 for any other type (a
    number is not a reply, a list is not a password)."""
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad_request()
    return value


def refuse_bad_handshake(request: Request) -> HTTPResponse | None:
    """Request middleware: a request to a WebSocket route that is no WebSocket handshake (a plain
    GET, a missing key) gets a polite 426 or 400. Sanic 21.12 would hand it to the websockets
    library, whose refusal fails on Sanic's request object and turns into a 500."""
    route = getattr(request, "route", None)
    if route is None or not getattr(route.ctx, "websocket", False):
        return None
    try:
        ServerConnection().process_request(request)  # the library's own checks; reads headers only
    except InvalidUpgrade:
        return error_json(426, "upgrade_required", texts.render("message.bad_request"), {"Upgrade": "websocket"})
    except InvalidHandshake:
        return error_json(400, "bad_request", texts.render("message.bad_request"))
    return None


async def receive(socket: Any) -> Any:
    """The next frame of a Sanic WebSocket (``socket.recv()``), leaving no task behind.

    Sanic 21.12's ``recv`` waits in ``asyncio.wait`` on a task of its frame assembler. When that wait
    is cancelled — the tab closed, the connection dropped, the server stopping — the assembler's task
    is left pending, and asyncio logs ``ERROR Task was destroyed but it is pending!`` when it is
    collected: an error line for every normal disconnect. Here it is cancelled on the way out."""
    try:
        return await socket.recv()
    except BaseException:
        release(socket)
        raise


def release(socket: Any) -> None:
    """Cancel what a socket's ``recv`` left waiting (see :func:`receive`); the handlers call it when
    they end, however they end."""
    assembler = getattr(socket, "assembler", None)
    if assembler is None:
        return
    for task in asyncio.all_tasks():
        frame = getattr(task.get_coro(), "cr_frame", None)
        if frame is not None and frame.f_locals.get("self") is assembler and not task.done():
            task.cancel()
