"""HTTP errors as polite JSON: one exception for the routes, one handler for every error.

After Rasa's ``rasa/server.py`` (one ``ErrorResponse`` and one handler mapping it to JSON): a route
that refuses a request raises :class:`ErrorResponse`; Sanic's own refusals (404 no such route, 405
wrong method, 413 body too large, 400 unreadable request, 408 too slow) and anything unexpected go
through :class:`PoliteErrorHandler` (an exception before any route was found is the request's own
fault — Sanic could not read it — and a 400). Every error of ``/api/*`` is ``{"error": <polite text>,
"reason": <a word for programs>}`` — the shape the console's refusals already had
(``bot.gateway.agent_auth.refusal``); other paths (pages, static files) get the same text as plain
text. Texts a resident may read come from the catalogue (``error.*``, ``message.bad_request``).

An unexpected exception is logged with its traceback and answered with a polite 500: never a
stack trace, never Sanic's HTML page. The edge tests (tests/test_gateway_edge.py, the schemathesis
run in tests/test_openapi.py) show that no input reaches that path.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sanic import response
from sanic.exceptions import SanicException, ServiceUnavailable
from sanic.handlers import ErrorHandler
from sanic.request import Request
from sanic.response import HTTPResponse
from websockets.exceptions import ConnectionClosed

from bot import texts

logger = logging.getLogger(__name__)

# Sanic's refusals by status: the reason programs see and the catalogue text people read.
SANIC_REFUSALS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "message.bad_request"),
    404: ("not_found", "error.not_found"),
    405: ("method_not_allowed", "error.method_not_allowed"),
    408: ("timeout", "error.timeout"),
    413: ("too_large", "error.too_large"),
}
OTHER_REFUSAL = SANIC_REFUSALS[400]

# What a staff desk is told when the thing a request names does not exist — or may not be seen by
# the account (another community's), which is answered the same way. One wording per thing.
NO_SUCH: dict[str, str] = {
    "account": "没有找到这个账号",
    "callback": "没有找到这条回访",
    "community": "没有找到这个小区",
    "conversation": "没有找到这个会话",
    "message": "没有找到这条消息",
    "model": "没有找到这个模型版本",
    "resident_message": "没有找到这条居民消息",
    "ticket": "没有找到这张工单",
    "training": "没有找到这次训练",
}
SERVER_ERROR = ("server_error", "error.server")


class ErrorResponse(Exception):
    """A refusal a route raises: HTTP ``status``, a ``reason`` for programs, a ``message`` for people."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status, self.reason, self.message = status, reason, message


def bad_request() -> ErrorResponse:
    """The refusal of a body or parameter that is not what the endpoint takes (wrong JSON, wrong type)."""
    return ErrorResponse(400, "bad_request", texts.render("message.bad_request"))


def error_json(status: int, reason: str, message: str, headers: dict[str, str] | None = None) -> HTTPResponse:
    return response.json({"error": message, "reason": reason}, status=status, headers=headers)


def _wants_json(request: Request) -> bool:
    return request.path.startswith("/api/")


class PoliteErrorHandler(ErrorHandler):
    """The gateway's one error handler (``Sanic(…, error_handler=PoliteErrorHandler())``)."""

    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        headers: dict[str, str] = {}
        if isinstance(exception, ErrorResponse):
            status, reason, message = exception.status, exception.reason, exception.message
        elif isinstance(exception, SanicException) and 400 <= (exception.status_code or 500) < 500:
            status = exception.status_code
            reason, key = SANIC_REFUSALS.get(status, OTHER_REFUSAL)
            message = texts.render(key)
            headers = {k: str(v) for k, v in (getattr(exception, "headers", None) or {}).items()}  # 405: Allow
        elif isinstance(exception, asyncio.CancelledError | ServiceUnavailable):
            # Sanic cancelled the handler (ServiceUnavailable("Cancelled")): the client left before the
            # answer (a health probe that timed out, a closed tab) or the server is stopping. Nobody
            # reads this answer and nothing went wrong on our side: no traceback in the log.
            logger.info("%s %s: the client left before the answer", request.method, request.path)
            status, (reason, key) = 503, SERVER_ERROR
            message = texts.render(key)
        elif getattr(request, "route", None) is None:
            # Raised while Sanic read the request itself (a Content-Length of "abc"), before any
            # route: the client's malformed HTTP, not an error of ours.
            logger.info("unreadable request %s %s: %r", request.method, request.path, exception)
            status, (reason, key) = 400, OTHER_REFUSAL
            message = texts.render(key)
        else:
            logger.exception("unexpected error answering %s %s", request.method, request.path)
            status, (reason, key) = 500, SERVER_ERROR
            message = texts.render(key)
        if _wants_json(request):
            return error_json(status, reason, message, headers)
        return response.text(message, status=status, headers=headers)


@asynccontextmanager
async def frame_errors(socket: Any) -> AsyncIterator[None]:
    """Around the handling of one WebSocket frame: an unexpected exception is logged with its
    traceback and the sender gets a polite notice (``error.frame``); the socket stays open for the
    next frame. Sanic would close the socket instead, and the widget would resend the same frame
    from its outbox on reconnect. A closed socket ends the loop as before."""
    try:
        yield
    except ConnectionClosed:
        raise
    except Exception:
        logger.exception("unexpected error handling a frame")
        await socket.send(json.dumps({"type": "notice", "text": texts.render("error.frame")}, ensure_ascii=False))
