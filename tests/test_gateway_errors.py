"""bot.gateway.errors: one error type, one handler — every error polite JSON under /api/, an
unexpected one logged with its traceback; a frame's unexpected error keeps the socket open.

The handler is called directly here: no input of the edge tests reaches the unexpected path
(tests/test_gateway_edge.py and the schemathesis run in tests/test_openapi.py show that), so this
is where it is seen working."""

from __future__ import annotations

import asyncio
import json
import logging
from types import SimpleNamespace

import pytest
from sanic.exceptions import MethodNotSupported, NotFound, PayloadTooLarge, ServerError
from websockets.exceptions import ConnectionClosedOK
from websockets.frames import Close

from bot import texts
from bot.gateway.errors import ErrorResponse, PoliteErrorHandler, bad_request, frame_errors


def request(path: str = "/api/agent/queue", routed: bool = True) -> SimpleNamespace:
    """A request as the handler sees it; ``routed``: a route was found (the handler ran)."""
    return SimpleNamespace(path=path, method="GET", route=object() if routed else None)


def answer(exception: Exception, path: str = "/api/agent/queue", routed: bool = True) -> tuple[int, object, dict]:
    reply = PoliteErrorHandler().default(request(path, routed), exception)
    body = reply.body.decode()
    return reply.status, (json.loads(body) if reply.content_type.startswith("application/json") else body), dict(reply.headers)


def test_an_unexpected_exception_is_logged_with_its_traceback_and_answered_politely(caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise ZeroDivisionError("a bug")
    except ZeroDivisionError as error:
        with caplog.at_level(logging.ERROR, logger="bot.gateway.errors"):
            status, body, _ = answer(error)
    assert (status, body) == (500, {"error": texts.render("error.server"), "reason": "server_error"})
    (record,) = caplog.records
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError
    assert "GET /api/agent/queue" in record.getMessage()
    assert "a bug" not in json.dumps(body)  # never the error itself


def test_sanic_refusals_map_to_catalogue_texts_and_reasons(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.gateway.errors"):
        assert answer(NotFound("x"))[:2] == (404, {"error": texts.render("error.not_found"), "reason": "not_found"})
        status, body, headers = answer(MethodNotSupported("x", method="PUT", allowed_methods=["POST"]))
        assert (status, body["reason"], headers.get("Allow")) == (405, "method_not_allowed", "POST")
        assert answer(PayloadTooLarge("x"))[:2] == (413, {"error": texts.render("error.too_large"), "reason": "too_large"})
    assert caplog.records == []  # refusals are not errors of ours
    assert answer(ServerError("x"))[:2] == (500, {"error": texts.render("error.server"), "reason": "server_error"})


def test_routes_raise_error_response_and_pages_get_plain_text() -> None:
    assert answer(ErrorResponse(409, "conflict", "会话状态已变化"))[:2] == (409, {"error": "会话状态已变化", "reason": "conflict"})
    assert answer(bad_request())[:2] == (400, {"error": texts.render("message.bad_request"), "reason": "bad_request"})
    assert answer(NotFound("x"), path="/static/nothing.js")[:2] == (404, texts.render("error.not_found"))


class Socket:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send(self, data: str) -> None:
        self.sent.append(json.loads(data))


def test_a_frame_that_fails_unexpectedly_gets_a_notice_and_the_socket_stays(caplog: pytest.LogCaptureFixture) -> None:
    socket = Socket()

    async def handle_two_frames() -> None:
        async with frame_errors(socket):
            raise RuntimeError("the store failed")
        async with frame_errors(socket):  # the loop goes on to the next frame
            await socket.send(json.dumps({"type": "message"}))

    with caplog.at_level(logging.ERROR, logger="bot.gateway.errors"):
        asyncio.run(handle_two_frames())
    assert socket.sent == [{"type": "notice", "text": texts.render("error.frame")}, {"type": "message"}]
    assert caplog.records[0].exc_info[0] is RuntimeError


def test_a_closed_socket_still_ends_the_loop() -> None:
    async def closed() -> None:
        async with frame_errors(Socket()):
            raise ConnectionClosedOK(Close(1000, ""), Close(1000, ""))

    with pytest.raises(ConnectionClosedOK):
        asyncio.run(closed())


def test_an_exception_before_any_route_is_the_requests_fault(caplog: pytest.LogCaptureFixture) -> None:
    """Sanic raises ValueError reading a Content-Length of "abc": a malformed request, a 400."""
    with caplog.at_level(logging.INFO, logger="bot.gateway.errors"):
        status, body, _ = answer(ValueError("invalid literal for int() with base 10: 'abc'"), routed=False)
    assert (status, body) == (400, {"error": texts.render("message.bad_request"), "reason": "bad_request"})
    assert all(record.exc_info is None for record in caplog.records)
