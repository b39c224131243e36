"""Console authentication: the session cookie, and the CSRF header on every POST."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from functools import wraps

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.gateway.agents import LoggedIn, lookup_session
from bot.storage import session_scope

COOKIE = "wuye_agent"
CSRF_HEADER = "x-csrf-token"

Handler = Callable[..., Awaitable[HTTPResponse]]


def current_agent(request: Request) -> LoggedIn | None:
    with session_scope() as session:
        return lookup_session(session, request.cookies.get(COOKIE))


def csrf_ok(request: Request, agent: LoggedIn) -> bool:
    return hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), agent.csrf_token)


def agent_api(handler: Handler) -> Handler:
    """401 without a valid session; 403 for a POST without the session's CSRF token."""

    @wraps(handler)
    async def wrapper(request: Request, *args: object, **kwargs: object) -> HTTPResponse:
        agent = current_agent(request)
        if agent is None:
            return response.json({"error": "请先登录"}, status=401)
        if request.method == "POST" and not csrf_ok(request, agent):
            return response.json({"error": "请求校验失败，请刷新页面后重试"}, status=403)
        return await handler(request, agent, *args, **kwargs)

    return wrapper


def set_session_cookie(reply: HTTPResponse, token: str, max_age: int) -> None:
    reply.cookies[COOKIE] = token
    cookie = reply.cookies[COOKIE]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/"
    cookie["max-age"] = max_age


def clear_session_cookie(reply: HTTPResponse) -> None:
    reply.cookies[COOKIE] = ""
    cookie = reply.cookies[COOKIE]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/"
    cookie["max-age"] = 0
