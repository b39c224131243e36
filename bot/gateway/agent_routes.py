"""Console endpoints: login/logout, queue, transcript, claim, reply, hand back, resolve, ``/ws/agent``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.conversations.events import TicketCompleted
from bot.gateway import cases, console, presence
from bot.gateway.agent_auth import COOKIE, clear_session_cookie, requires_role, set_session_cookie
from bot.gateway.agents import AccountDisabled, LoggedIn, authenticate, close_session, open_session
from bot.gateway.canned import canned_groups, canned_replies
from bot.gateway.errors import NO_SUCH, error_json
from bot.gateway.offloop import in_session
from bot.gateway.queueview import for_account, snapshot
from bot.gateway.rasa_client import RasaUnavailable
from bot.gateway.state import Gateway
from bot.gateway.ticket_desk import LABELS, DeskResult, change_ticket, filtered_tickets, label_message, tickets_of_conversation
from bot.gateway.transcript import history, parse_after
from bot.gateway.visibility import sees_conversation, sees_message, sees_ticket, ticket_filter
from bot.gateway.web import json_body, receive, release, text_field
from bot.roles import CONSOLE_ROLES, EVERY_ROLE
from bot.storage import session_scope
from bot.tickets.rules import DEPARTMENTS
from bot.tickets.service import CATEGORY_LABELS, STATUS_LABELS

logger = logging.getLogger(__name__)
bp = Blueprint("agent")
ACCOUNT_DISABLED = "此账号已停用，请联系经理"


def _gateway(request: Request) -> Gateway:
    return request.app.ctx.gateway


def _outcome(outcome: console.Outcome) -> HTTPResponse:
    """``{"ok": true}`` and, after a change, the conversation's ``status``, ``assigned_agent`` and
    ``capabilities``; or ``{"ok": false, "error", "violations"}``."""
    if outcome.ok:
        return response.json({"ok": True, **(outcome.state or {})})
    return response.json({"ok": False, "error": outcome.error, "violations": outcome.detail}, status=outcome.status)


NO_SUCH_CONVERSATION = NO_SUCH["conversation"]


def of_a_visible_conversation(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Awaitable[HTTPResponse]]:
    """A conversation route (under :func:`requires_role`): 404 for a conversation the account may
    not see (another community's: issue 13 §6), as if it did not exist. The look runs off the
    event loop (bot.gateway.offloop)."""

    @wraps(handler)
    async def wrapper(request: Request, account: LoggedIn, *args: Any, conversation_id: str, **kwargs: Any) -> HTTPResponse:
        if not await in_session(sees_conversation, account, conversation_id):
            return response.json({"error": NO_SUCH_CONVERSATION}, status=404)
        return await handler(request, account, *args, conversation_id=conversation_id, **kwargs)

    return wrapper


NO_SUCH_TICKET = NO_SUCH["ticket"]


def of_a_visible_ticket(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Awaitable[HTTPResponse]]:
    """A ticket route (under :func:`requires_role`): 404 for a ticket the account may not see
    (another community's), as if it did not exist — as :func:`of_a_visible_conversation`."""

    @wraps(handler)
    async def wrapper(request: Request, account: LoggedIn, *args: Any, number: str, **kwargs: Any) -> HTTPResponse:
        if not await in_session(sees_ticket, account, number):
            return response.json({"ok": False, "error": NO_SUCH_TICKET}, status=404)
        return await handler(request, account, *args, number=number, **kwargs)

    return wrapper


def _log_in(session: Session, name: str, password: str, session_hours: float) -> tuple[str, str, str] | None:
    """The new session's token and CSRF token, and the name residents see; None for a wrong name or
    password (AccountDisabled: the right password of a disabled account)."""
    agent = authenticate(session, name, password)
    return None if agent is None else (*open_session(session, agent, session_hours), agent.display_name or agent.name)


@bp.post("/api/agent/login")
async def login(request: Request) -> HTTPResponse:
    # JSON only: a cross-site form cannot post JSON without a CORS preflight, which we never allow.
    if not (request.content_type or "").startswith("application/json"):
        return response.json({"error": "请求格式有误"}, status=415)
    body = json_body(request)
    name, password = text_field(body, "name"), text_field(body, "password")
    gateway = _gateway(request)
    if not gateway.login_limiter.allow(f"{request.remote_addr or request.ip}:{name}"):
        return response.json({"error": "尝试次数过多，请一分钟后再试"}, status=429)
    # PBKDF2 takes a few hundred milliseconds by design: in a thread, so residents' turns go on.
    try:
        opened = await in_session(_log_in, name, password, gateway.config.session_hours)
    except AccountDisabled:
        return error_json(403, "disabled", ACCOUNT_DISABLED)
    if opened is None:
        return response.json({"error": "用户名或密码不正确"}, status=401)
    token, csrf, display_name = opened
    reply = response.json({"ok": True, "name": name, "display_name": display_name, "csrf": csrf})
    set_session_cookie(reply, token, int(gateway.config.session_hours * 3600))
    return reply


@bp.post("/api/agent/logout")
@requires_role(*EVERY_ROLE)
async def logout(request: Request, account: LoggedIn) -> HTTPResponse:
    with session_scope() as session:
        close_session(session, request.cookies.get(COOKIE))
    reply = response.json({"ok": True})
    clear_session_cookie(reply)
    return reply


@bp.get("/api/agent/queue")
@requires_role(*CONSOLE_ROLES)
async def queue(request: Request, account: LoggedIn) -> HTTPResponse:
    """The queue; every item with the ``capabilities`` of the logged-in account."""
    with session_scope() as session:
        return response.json(for_account(snapshot(session), account))


@bp.get("/api/agent/conversations")
@requires_role(*CONSOLE_ROLES)
async def finished_conversations(request: Request, account: LoggedIn) -> HTTPResponse:
    """Conversations an agent ended, latest first: ``?q=`` (resident, phone digits, address or a word
    of the conversation) and ``?day=YYYY-MM-DD`` (the local day it ended) narrow the list."""
    try:
        day = cases.parse_day(request.args.get("day"))
    except ValueError:
        return response.json({"error": "日期格式有误，请按 2026-06-15 的格式填写"}, status=400)
    with session_scope() as session:
        found = cases.finished(session, request.args.get("q", ""), day, communities=account.communities, agent=account.name)
        return response.json({"conversations": found})


@bp.get("/api/agent/conversations/<conversation_id>")
@requires_role(*CONSOLE_ROLES)
@of_a_visible_conversation
async def transcript(request: Request, account: LoggedIn, conversation_id: str) -> HTTPResponse:
    """``{id, status, assigned_agent, capabilities, messages, tickets}``; with ``?after=<message id>``
    only the messages stored after it (the console resyncing after its socket reconnected)."""
    try:
        after = parse_after(request.args.get("after"))
    except ValueError:
        return response.json({"error": "请求参数有误，请刷新页面后重试"}, status=400)
    with session_scope() as session:
        state = console.conversation_state(session, conversation_id, account)
        if state is None:
            return response.json({"error": NO_SUCH_CONVERSATION}, status=404)
        return response.json(
            {
                "id": conversation_id,
                **state,
                "case": cases.name(session, conversation_id),
                "now": utcnow().isoformat(),  # the server's clock, for the console's SLA countdowns
                "messages": history(session, conversation_id, after=after),
                "tickets": tickets_of_conversation(session, conversation_id),
            }
        )


@bp.get("/api/agent/conversations/<conversation_id>/slots")
@requires_role(*CONSOLE_ROLES)
@of_a_visible_conversation
async def slots(request: Request, account: LoggedIn, conversation_id: str) -> HTTPResponse:
    try:
        collected = await _gateway(request).rasa.slots(conversation_id)
    except RasaUnavailable:
        return response.json({"available": False, "slots": {}})
    return response.json({"available": True, "slots": collected})


@bp.post("/api/agent/check")
@requires_role(*CONSOLE_ROLES)
async def check_draft(request: Request, account: LoggedIn) -> HTTPResponse:
    return response.json({"violations": console.violations(text_field(json_body(request), "text"))})


@bp.post("/api/agent/conversations/<conversation_id>/claim")
@requires_role(*CONSOLE_ROLES)
@of_a_visible_conversation
async def claim(request: Request, account: LoggedIn, conversation_id: str) -> HTTPResponse:
    return _outcome(await console.claim(_gateway(request), conversation_id, account))


@bp.post("/api/agent/conversations/<conversation_id>/reply")
@requires_role(*CONSOLE_ROLES)
@of_a_visible_conversation
async def reply(request: Request, account: LoggedIn, conversation_id: str) -> HTTPResponse:
    return _outcome(await console.reply(_gateway(request), conversation_id, account, text_field(json_body(request), "text")))


@bp.post("/api/agent/conversations/<conversation_id>/hand-back")
@requires_role(*CONSOLE_ROLES)
@of_a_visible_conversation
async def hand_back(request: Request, account: LoggedIn, conversation_id: str) -> HTTPResponse:
    return _outcome(await console.hand_back(_gateway(request), conversation_id, account))


@bp.post("/api/agent/conversations/<conversation_id>/resolve")
@requires_role(*CONSOLE_ROLES)
@of_a_visible_conversation
async def resolve(request: Request, account: LoggedIn, conversation_id: str) -> HTTPResponse:
    return _outcome(await console.resolve(_gateway(request), conversation_id, account))


def _desk(result: DeskResult) -> HTTPResponse:
    if result.ok:
        return response.json({"ok": True, **(result.data or {})})
    return response.json({"ok": False, "error": result.error}, status=result.status)


@bp.get("/api/agent/options")
@requires_role(*CONSOLE_ROLES)
async def options(request: Request, account: LoggedIn) -> HTTPResponse:
    """Choices for the console's selects and canned replies."""
    return response.json(
        {
            "canned": canned_replies(),
            "canned_groups": canned_groups(),
            "departments": list(DEPARTMENTS),
            "statuses": [{"value": k, "label": v} for k, v in STATUS_LABELS.items()],
            "categories": [{"value": k, "label": v} for k, v in CATEGORY_LABELS.items()],
            "labels": [{"value": k, "label": CATEGORY_LABELS[k]} for k in LABELS],
        }
    )


@bp.get("/api/agent/tickets")
@requires_role(*CONSOLE_ROLES)
async def tickets(request: Request, account: LoggedIn) -> HTTPResponse:
    query = {key: request.args.get(key, "") for key in ("category", "priority", "status", "overdue")}
    with session_scope() as session:
        return _desk(filtered_tickets(session, query, ticket_filter(account)))


@bp.post("/api/agent/tickets/<number>")
@requires_role(*CONSOLE_ROLES)
@of_a_visible_ticket
async def update_ticket(request: Request, account: LoggedIn, number: str) -> HTTPResponse:
    body = json_body(request)
    with session_scope() as session:
        result = change_ticket(session, number, text_field(body, "status"), text_field(body, "department"), account.name)
    ticket = (result.data or {}).get("ticket") or {}
    if result.ok and result.data.get("completed") and ticket.get("conversation_id"):  # the ticket was just resolved
        await _gateway(request).notifier.publish(TicketCompleted(ticket["conversation_id"], ticket["number"], account.name))
    return _desk(result)


@bp.post("/api/agent/tickets/<number>/answer")
@requires_role(*CONSOLE_ROLES)
@of_a_visible_ticket
async def answer_ticket(request: Request, account: LoggedIn, number: str) -> HTTPResponse:
    """``{"text"}``: the answer to the ticket's resident, in their conversation (bot.gateway.console)."""
    outcome = await console.answer_ticket(_gateway(request), number, account, text_field(json_body(request), "text"))
    if not outcome.ok:
        return response.json({"ok": False, "error": outcome.error, "violations": outcome.detail or []}, status=outcome.status)
    return response.json({"ok": True, "ticket": outcome.detail})


@bp.post("/api/agent/messages/<message_id:int>/label")
@requires_role(*CONSOLE_ROLES)
async def label(request: Request, account: LoggedIn, message_id: int) -> HTTPResponse:
    with session_scope() as session:
        if not sees_message(session, account, message_id):
            return response.json({"ok": False, "error": NO_SUCH["message"]}, status=404)
        return _desk(label_message(session, message_id, text_field(json_body(request), "intent"), account.name))


@bp.websocket("/ws/agent")
@requires_role(*CONSOLE_ROLES)
async def agent_socket(request: Request, ws, account: LoggedIn) -> None:  # type: ignore[no-untyped-def]
    """The live queue and the conversations' messages; closed with 4401 without a session (or from
    a foreign origin), 4403 for an account without a console role."""
    gateway = _gateway(request)
    gateway.hub.agents[ws] = account
    await presence.mark_consoles(gateway)  # present from now on (bot.gateway.presence)
    try:
        await gateway.notifier.greet(ws, account)
        while True:  # the console only listens; incoming frames are ignored
            if await receive(ws) is None:
                break
    finally:
        gateway.hub.agents.pop(ws, None)
        release(ws)  # a closed tab leaves nothing pending (bot.gateway.web.receive)
