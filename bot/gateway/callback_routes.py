"""Callback (回访) endpoints: the agents' list, claim and record; the resident's answer in the chat.

- ``GET /api/agent/callbacks``: ``{"callbacks": [...]}`` (bot.callbacks.desk.as_item: the case, the
  window, ``state`` due | awaiting | overdue | done, ``capabilities`` {claim, record}).
- ``POST /api/agent/callbacks/<id>/claim``: 200 with the item (the whole phone number, to call),
  409 when another agent won or it is not this account's to make.
- ``POST /api/agent/callbacks/<id>/record`` ``{"method": "phone"|"visit"|"form", "resolved": bool,
  "level": "满意", "remark": "…"}``: the call or visit's record.
- ``POST /api/resident/callback`` ``{"callback": id, "resolved": bool, "level": "满意", "remark": "…"}``
  with the resident's token: the answer to a question asked in their chat.

Bodies are read at the edge (bot.gateway.web.json_body, text_field; the callback's id through
bot.inbound.row_id): a body that is no JSON object or a field of the wrong type is the polite 400;
the shapes are in bot/gateway/openapi.yml.

An unhappy answer (bot.callbacks.rules) reopens the ticket (or opens a follow-up), schedules the
manager's next callback and alerts the agents: a resident who answered in the chat waits in the
queue for an agent (reason ``callback``), and the consoles get a ``callback_alert``.
"""

from __future__ import annotations

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from bot import texts
from bot.callbacks import desk
from bot.callbacks.events import CallbacksChanged, CallbackUnhappy
from bot.callbacks.rules import UNHAPPY_CALLBACK
from bot.callbacks.status import AGENT_METHODS
from bot.clock import utcnow
from bot.conversations.events import Event, Posted
from bot.conversations.lifecycle import request_handoff
from bot.conversations.status import Priority
from bot.gateway.agent_auth import requires_role
from bot.gateway.agents import LoggedIn
from bot.gateway.errors import NO_SUCH, error_json
from bot.gateway.state import Gateway
from bot.gateway.tokens import verify
from bot.gateway.transcript import store
from bot.gateway.visibility import sees_callback, sees_ticket
from bot.gateway.web import bearer_token, json_body, text_field
from bot.inbound import row_id
from bot.roles import CONSOLE_ROLES
from bot.satisfaction import LABELS
from bot.storage import session_scope

bp = Blueprint("callbacks")

# What an agent reads when an action did not happen.
AGENT_REFUSALS = {
    desk.Refusal.NOT_FOUND: (404, NO_SUCH["callback"]),
    desk.Refusal.ALREADY_DONE: (409, "这条回访已经完成"),
    desk.Refusal.NOT_CLAIMABLE: (409, "这条回访还未到期、已被其他同事领取，或需由经理回访"),
    desk.Refusal.NOT_YOURS: (409, "请先领取这条回访再记录结果"),
    desk.Refusal.BAD_INPUT: (400, "请选择回访方式、是否解决和满意程度，备注不超过500字"),
}
# What a resident reads (catalogue keys).
RESIDENT_REFUSALS = {
    desk.Refusal.NOT_FOUND: (404, "callback.not_found"),
    desk.Refusal.ALREADY_DONE: (409, "callback.already_answered"),
    desk.Refusal.BAD_INPUT: (400, "callback.bad_answer"),
}


def _gateway(request: Request) -> Gateway:
    return request.app.ctx.gateway


def _refused(refusal: desk.Refusal) -> HTTPResponse:
    status, error = AGENT_REFUSALS[refusal]
    return response.json({"ok": False, "error": error, "reason": refusal.value}, status=status)


def _resident_refused(refusal: desk.Refusal) -> HTTPResponse:
    status, key = RESIDENT_REFUSALS.get(refusal, (409, "callback.not_found"))
    return error_json(status, refusal.value, texts.render(key, max_chars=desk.MAX_REMARK))


@bp.get("/api/agent/callbacks")
@requires_role(*CONSOLE_ROLES)
async def callback_list(request: Request, account: LoggedIn) -> HTTPResponse:
    """The list, with the choices of the record form: the methods and the one satisfaction scale."""
    with session_scope() as session:
        callbacks = [c for c in desk.listing(session, account, utcnow()) if sees_ticket(session, account, c["ticket"])]
    return response.json(
        {
            "callbacks": callbacks,
            "methods": [{"value": m.value, "label": m.label} for m in AGENT_METHODS],
            "levels": list(LABELS),
        }
    )


@bp.post("/api/agent/callbacks/<callback_id:int>/claim")
@requires_role(*CONSOLE_ROLES)
async def claim(request: Request, account: LoggedIn, callback_id: int) -> HTTPResponse:
    with session_scope() as session:
        if not sees_callback(session, account, callback_id):
            return response.json({"ok": False, "error": NO_SUCH["callback"]}, status=404)
        refusal = desk.claim(session, callback_id, account, utcnow())
    if refusal is not None:
        return _refused(refusal)
    await _gateway(request).notifier.publish(CallbacksChanged())
    with session_scope() as session:
        return response.json({"ok": True, "callback": desk.item(session, callback_id, account, utcnow())})


def _unhappy_events(session: Session, done: desk.Completed, in_chat: bool) -> list[Event | CallbackUnhappy]:
    """An unhappy answer: the alert, and for an answer in the chat the conversation in the queue."""
    if not done.unhappy or done.follow_up is None:
        return []
    events: list[Event | CallbackUnhappy] = []
    if in_chat and done.conversation_id:
        summary = f"回访不满意：工单{done.ticket_number}（{'已解决' if done.resolved else '未解决'}，{done.level.label}）"
        events.append(request_handoff(session, done.conversation_id, UNHAPPY_CALLBACK, Priority.HIGH, summary=summary))
    follow_ticket = None if done.follow_up.reopened else done.follow_up.ticket_number
    events.append(CallbackUnhappy(done.callback_id, done.ticket_number, done.conversation_id, done.level.label, done.resolved, follow_ticket))
    return events


@bp.post("/api/agent/callbacks/<callback_id:int>/record")
@requires_role(*CONSOLE_ROLES)
async def record(request: Request, account: LoggedIn, callback_id: int) -> HTTPResponse:
    body = json_body(request)
    method, level, remark = text_field(body, "method"), text_field(body, "level"), text_field(body, "remark")
    with session_scope() as session:
        if not sees_callback(session, account, callback_id):
            return response.json({"ok": False, "error": NO_SUCH["callback"]}, status=404)
        done = desk.record(session, callback_id, account, method=method, resolved=body.get("resolved"), level=level, remark=remark, now=utcnow())
        if isinstance(done, desk.Refusal):
            return _refused(done)
        events = _unhappy_events(session, done, in_chat=False)
    await _gateway(request).notifier.publish(*events, CallbacksChanged())
    with session_scope() as session:
        return response.json({"ok": True, "callback": desk.item(session, callback_id, account, utcnow())})


def _answer_text(done: desk.Completed) -> str:
    resolved = texts.render("callback.resolved_yes" if done.resolved else "callback.resolved_no")
    if done.follow_up is None:
        thanks = texts.render("callback.thanks")
    else:
        thanks = texts.render("callback.sorry", number=done.follow_up.ticket_number, department=done.follow_up.department)
    return texts.render("callback.answered", resolved=resolved, level=done.level.label, thanks=thanks)


@bp.post("/api/resident/callback")
async def resident_answer(request: Request) -> HTTPResponse:
    """The resident's answer to a callback asked in their chat (``Authorization: Bearer <token>``)."""
    gateway = _gateway(request)
    resident_id = verify(gateway.config.secret, bearer_token(request))
    if resident_id is None:
        return error_json(401, "unauthenticated", texts.render("message.unauthorized"))
    body = json_body(request)
    level, remark = text_field(body, "level"), text_field(body, "remark")
    try:
        callback_id = row_id(body.get("callback"))
    except ValueError:  # none, not an id, or past 2⁶³−1: names no callback of theirs
        return _resident_refused(desk.Refusal.NOT_FOUND)
    async with gateway.turn_locks.hold(resident_id):  # not in the middle of one of the resident's turns
        with session_scope() as session:
            done = desk.answer(session, callback_id, resident_id, resolved=body.get("resolved"), level=level, remark=remark, now=utcnow())
            if isinstance(done, desk.Refusal):
                return _resident_refused(done)
            payload = {"event": "callback_answered", "callback": {"id": done.callback_id, "ticket": done.ticket_number}}
            message = store(session, resident_id, "system", _answer_text(done), payload)
            events = _unhappy_events(session, done, in_chat=True)
    await gateway.notifier.publish(Posted(resident_id, message, to_agents=True), *events, CallbacksChanged())
    return response.json({"message": message})
