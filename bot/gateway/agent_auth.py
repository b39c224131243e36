"""Console authentication: the session cookie, the account's role, and the CSRF header on every POST.

One decorator, :func:`requires_role` (after Rasa's ``requires_auth`` in ``rasa/server.py``), guards
every ``/api/agent/*`` and ``/api/trainer/*`` endpoint and the ``/ws/agent`` socket with the roles
it needs (``bot.roles``): 401 without a session, 403 for a role not allowed, 403 for a POST without
the session's CSRF token. A socket has no header to carry the token: its Origin must be ours
instead, and it is closed with 4401/4403 where an endpoint would answer 401/403.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.gateway.agents import LoggedIn, lookup_session
from bot.gateway.errors import error_json
from bot.gateway.web import same_origin
from bot.roles import CONSOLE_ROLES, MANAGER_ROLES, TRAINER_ROLES, Role
from bot.storage import session_scope

COOKIE = "wuye_agent"
CSRF_HEADER = "x-csrf-token"
NOT_LOGGED_IN = "请先登录"
CSRF_FAILED = "请求校验失败，请刷新页面后重试"
# What a logged-in account without the role reads, by the roles an endpoint needs.
REFUSALS = {CONSOLE_ROLES: "此账号没有客服工作台权限", TRAINER_ROLES: "此账号没有模型训练权限", MANAGER_ROLES: "此账号没有经理权限"}  # ADMIN_ROLES is the same set
REFUSED = "此账号没有这项操作的权限"

Handler = Callable[..., Awaitable[Any]]


def current_account(request: Request) -> LoggedIn | None:
    """The account of the request's session cookie, with its role; ``None`` without a valid session."""
    with session_scope() as session:
        return lookup_session(session, request.cookies.get(COOKIE))


def csrf_ok(request: Request, account: LoggedIn) -> bool:
    # As bytes: compare_digest raises TypeError for a str with non-ASCII characters.
    given = request.headers.get(CSRF_HEADER, "").encode("utf-8", "surrogateescape")
    return hmac.compare_digest(given, account.csrf_token.encode())


def refusal(status: int, reason: str, message: str) -> HTTPResponse:
    """``{"error": message, "reason": reason}``: the message for people, the reason
    (``unauthenticated``, ``role``, ``csrf``) for programs and tests (every error's shape:
    bot.gateway.errors)."""
    return error_json(status, reason, message)


def _is_socket(request: Request) -> bool:
    route = getattr(request, "route", None)
    return bool(route is not None and getattr(route.ctx, "websocket", False))


def requires_role(*roles: Role) -> Callable[[Handler], Handler]:
    """Let the request through for a logged-in account with one of ``roles``; the handler gets the
    account after the request: ``handler(request, account, …)`` (a socket: ``handler(request, ws, account, …)``)."""
    allowed = frozenset(roles)
    refused = REFUSALS.get(allowed, REFUSED)

    def decorator(handler: Handler) -> Handler:
        @wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> Any:
            account = current_account(request)
            if _is_socket(request):
                ws = args[0]
                if account is None or not same_origin(request):
                    await ws.close(code=4401, reason="unauthorized")
                    return None
                if account.role not in allowed:
                    await ws.close(code=4403, reason="forbidden")
                    return None
                return await handler(request, ws, account, *args[1:], **kwargs)
            if account is None:
                return refusal(401, "unauthenticated", NOT_LOGGED_IN)
            if account.role not in allowed:
                return refusal(403, "role", refused)
            if request.method == "POST" and not csrf_ok(request, account):
                return refusal(403, "csrf", CSRF_FAILED)
            return await handler(request, account, *args, **kwargs)

        wrapper.roles = allowed  # type: ignore[attr-defined]  # what the endpoint needs, for the docs and tests
        return wrapper

    return decorator


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
