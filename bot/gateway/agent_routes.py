"""Console endpoints: login/logout, queue, transcript, claim, reply, hand back, resolve, ``/ws/agent``."""

from __future__ import annotations

import asyncio
import json
import logging

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.gateway import console
from bot.gateway.agent_auth import agent_api, clear_session_cookie, current_agent, set_session_cookie
from bot.gateway.agents import LoggedIn, authenticate, close_session, open_session
from bot.gateway.canned import CANNED_REPLIES
from bot.gateway.queueview import snapshot
from bot.gateway.rasa_client import RasaUnavailable
from bot.gateway.state import Gateway
from bot.gateway.ticket_desk import LABELS, DeskResult, change_ticket, filtered_tickets, label_message, tickets_of_conversation
from bot.gateway.transcript import history
from bot.gateway.web import same_origin
from bot.storage import session_scope
from bot.storage.models import Conversation
from bot.tickets.rules import DEPARTMENTS
from bot.tickets.service import CATEGORY_LABELS, STATUS_LABELS

logger = logging.getLogger(__name__)
bp = Blueprint("agent")


def _gateway(request: Request) -> Gateway:
    return request.app.ctx.gateway


def _body(request: Request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _outcome(outcome: console.Outcome) -> HTTPResponse:
    if outcome.ok:
        return response.json({"ok": True})
    return response.json({"ok": False, "error": outcome.error, "violations": outcome.detail}, status=outcome.status)


def _log_in(name: str, password: str, session_hours: float) -> tuple[str, str] | None:
    """The new session's token and CSRF token, or None for a wrong name or password."""
    with session_scope() as session:
        agent = authenticate(session, name, password)
        return None if agent is None else open_session(session, agent, session_hours)


@bp.post("/api/agent/login")
async def login(request: Request) -> HTTPResponse:
    # JSON only: a cross-site form cannot post JSON without a CORS preflight, which we never allow.
    if not (request.content_type or "").startswith("application/json"):
        return response.json({"error": "请求格式有误"}, status=415)
    body = _body(request)
    name, password = str(body.get("name", "")), str(body.get("password", ""))
    gateway = _gateway(request)
    if not gateway.login_limiter.allow(f"{request.remote_addr or request.ip}:{name}"):
        return response.json({"error": "尝试次数过多，请一分钟后再试"}, status=429)
    # PBKDF2 takes a few hundred milliseconds by design: in a thread, so residents' turns go on.
    opened = await asyncio.to_thread(_log_in, name, password, gateway.config.session_hours)
    if opened is None:
        return response.json({"error": "用户名或密码不正确"}, status=401)
    token, csrf = opened
    reply = response.json({"ok": True, "name": name, "csrf": csrf})
    set_session_cookie(reply, token, int(gateway.config.session_hours * 3600))
    return reply


@bp.post("/api/agent/logout")
@agent_api
async def logout(request: Request, agent: LoggedIn) -> HTTPResponse:
    from bot.gateway.agent_auth import COOKIE

    with session_scope() as session:
        close_session(session, request.cookies.get(COOKIE))
    reply = response.json({"ok": True})
    clear_session_cookie(reply)
    return reply


@bp.get("/api/agent/queue")
@agent_api
async def queue(request: Request, agent: LoggedIn) -> HTTPResponse:
    with session_scope() as session:
        return response.json(snapshot(session))


@bp.get("/api/agent/conversations/<conversation_id>")
@agent_api
async def transcript(request: Request, agent: LoggedIn, conversation_id: str) -> HTTPResponse:
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            return response.json({"error": "没有找到这个会话"}, status=404)
        return response.json(
            {
                "id": conversation.id,
                "status": conversation.status,
                "assigned_agent": conversation.assigned_agent,
                "messages": history(session, conversation_id),
                "tickets": tickets_of_conversation(session, conversation_id),
            }
        )


@bp.get("/api/agent/conversations/<conversation_id>/slots")
@agent_api
async def slots(request: Request, agent: LoggedIn, conversation_id: str) -> HTTPResponse:
    try:
        collected = await _gateway(request).rasa.slots(conversation_id)
    except RasaUnavailable:
        return response.json({"available": False, "slots": {}})
    return response.json({"available": True, "slots": collected})


@bp.post("/api/agent/check")
@agent_api
async def check_draft(request: Request, agent: LoggedIn) -> HTTPResponse:
    return response.json({"violations": console.violations(str(_body(request).get("text", "")))})


@bp.post("/api/agent/conversations/<conversation_id>/claim")
@agent_api
async def claim(request: Request, agent: LoggedIn, conversation_id: str) -> HTTPResponse:
    return _outcome(await console.claim(_gateway(request), conversation_id, agent.name))


@bp.post("/api/agent/conversations/<conversation_id>/reply")
@agent_api
async def reply(request: Request, agent: LoggedIn, conversation_id: str) -> HTTPResponse:
    return _outcome(await console.reply(_gateway(request), conversation_id, agent.name, str(_body(request).get("text", ""))))


@bp.post("/api/agent/conversations/<conversation_id>/hand-back")
@agent_api
async def hand_back(request: Request, agent: LoggedIn, conversation_id: str) -> HTTPResponse:
    return _outcome(await console.hand_back(_gateway(request), conversation_id, agent.name))


@bp.post("/api/agent/conversations/<conversation_id>/resolve")
@agent_api
async def resolve(request: Request, agent: LoggedIn, conversation_id: str) -> HTTPResponse:
    return _outcome(await console.resolve(_gateway(request), conversation_id, agent.name))


def _desk(result: DeskResult) -> HTTPResponse:
    if result.ok:
        return response.json({"ok": True, **(result.data or {})})
    return response.json({"ok": False, "error": result.error}, status=result.status)


@bp.get("/api/agent/options")
@agent_api
async def options(request: Request, agent: LoggedIn) -> HTTPResponse:
    """Choices for the console's selects and canned replies."""
    return response.json(
        {
            "canned": list(CANNED_REPLIES),
            "departments": list(DEPARTMENTS),
            "statuses": [{"value": k, "label": v} for k, v in STATUS_LABELS.items()],
            "categories": [{"value": k, "label": v} for k, v in CATEGORY_LABELS.items()],
            "labels": [{"value": k, "label": CATEGORY_LABELS[k]} for k in LABELS],
        }
    )


@bp.get("/api/agent/tickets")
@agent_api
async def tickets(request: Request, agent: LoggedIn) -> HTTPResponse:
    query = {key: request.args.get(key, "") for key in ("category", "priority", "status", "overdue")}
    with session_scope() as session:
        return _desk(filtered_tickets(session, query))


@bp.post("/api/agent/tickets/<number>")
@agent_api
async def update_ticket(request: Request, agent: LoggedIn, number: str) -> HTTPResponse:
    body = _body(request)
    with session_scope() as session:
        result = change_ticket(session, number, str(body.get("status", "")), str(body.get("department", "")), agent.name)
    ticket = (result.data or {}).get("ticket") or {}
    if result.ok and ticket.get("status") == "resolved" and ticket.get("conversation_id") and result.data.get("completed"):
        await console.ticket_completed(_gateway(request), ticket["conversation_id"], ticket["number"], agent.name)
    return _desk(result)


@bp.post("/api/agent/messages/<message_id:int>/label")
@agent_api
async def label(request: Request, agent: LoggedIn, message_id: int) -> HTTPResponse:
    with session_scope() as session:
        return _desk(label_message(session, message_id, str(_body(request).get("intent", "")), agent.name))


@bp.websocket("/ws/agent")
async def agent_socket(request: Request, ws) -> None:  # type: ignore[no-untyped-def]
    agent = current_agent(request)
    if agent is None or not same_origin(request):
        await ws.close(code=4401, reason="unauthorized")
        return
    gateway = _gateway(request)
    gateway.hub.agents[ws] = agent.name
    try:
        with session_scope() as session:
            await ws.send(json.dumps({"type": "queue", **snapshot(session)}, ensure_ascii=False))
        while True:  # the console only listens; incoming frames are ignored
            if await ws.recv() is None:
                break
    finally:
        gateway.hub.agents.pop(ws, None)
