"""A resident's message: stored first, then to Rasa (bot) or to the agents (pending/assigned).

While Rasa works on a message the resident's widget gets ``{"type": "typing", "on": true}`` and,
when the replies are in (or Rasa failed), ``{"type": "typing", "on": false}``. A photo is stored
and shown like a message but never sent to Rasa (a photo alone must not open a ticket).
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from typing import Any

from sqlalchemy.orm import Session

from bot.gateway.attachments import LINKED_REPLY, UNLINKED_REPLY, store_photo
from bot.gateway.rasa_client import RASA_MAX_TEXT, RasaUnavailable
from bot.gateway.state import Gateway
from bot.gateway.transcript import store
from bot.handoff.queue import PRIORITY_EMERGENCY, conversation_status, request_handoff, status_for_new_message
from bot.nlu.emergency import assess
from bot.safety import procedure_for
from bot.storage import session_scope

logger = logging.getLogger(__name__)

# What each resident socket asked for with ``/ws/resident?…&features=typing,refused`` (the widget
# asks for both): ``typing`` frames, and ``refused`` (the text of a rate-limited message in the
# notice, so the widget can give it back to the resident). Other clients get the plain protocol.
FEATURES: weakref.WeakKeyDictionary[Any, frozenset[str]] = weakref.WeakKeyDictionary()
KNOWN_FEATURES = frozenset({"typing", "refused"})


def wants(socket: Any, feature: str) -> bool:
    return feature in FEATURES.get(socket, frozenset())

MAX_TEXT = RASA_MAX_TEXT
TOO_LONG_REPLY = "您的消息较长，我们已完整保存；智能助手先阅读了前5000字，如有遗漏请您分段补充，谢谢。"
RASA_DOWN_REPLY = "非常抱歉，智能助手暂时繁忙，您的消息已保存，请您稍后再试；如情况紧急，请拨打物业服务中心电话或110/119/120。"


def _bot_message(reply: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    buttons = [
        {"title": str(b.get("title", ""))[:40], "payload": str(b.get("payload", ""))[:200]}
        for b in reply.get("buttons") or []
        if isinstance(b, dict)
    ]
    return str(reply.get("text") or ""), ({"buttons": buttons} if buttons else None)


async def _deliver(gateway: Gateway, resident_id: str, role: str, text: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    with session_scope() as session:
        message = store(session, resident_id, role, text, payload)
    await gateway.hub.to_resident(resident_id, {"type": "message", "message": message})
    return message


async def _resume_in_rasa(gateway: Gateway, resident_id: str) -> None:
    try:
        await gateway.rasa.resume(resident_id)
    except RasaUnavailable as error:
        logger.warning("could not resume %s in Rasa: %s", resident_id, error)


async def _open(gateway: Gateway, resident_id: str) -> str:
    """The conversation's status; a resolved conversation is reopened for the bot."""
    with session_scope() as session:
        status, reopened = status_for_new_message(session, resident_id)
    if reopened:
        await _resume_in_rasa(gateway, resident_id)
    return status


async def handle_resident_text(gateway: Gateway, resident_id: str, text: str, command: str | None = None) -> None:
    """``text`` is what the resident sees; ``command`` a button payload sent to Rasa instead.

    The message (and, for a live emergency, the agents' queue entry) is stored in one transaction;
    Rasa's request starts next, and the echo, the agents' alert and the typing bubble go out while
    Rasa works, so none of them delays the bot's answer."""
    async with gateway.hub.locks[resident_id]:
        with session_scope() as session:
            status, reopened = status_for_new_message(session, resident_id)
            message = store(session, resident_id, "resident", text, {"command": command} if command else None)
            early_alert = status == "bot" and not command and _queue_live_emergency(session, resident_id, text[:MAX_TEXT])
        if reopened:
            await _resume_in_rasa(gateway, resident_id)
        rasa_turn = asyncio.ensure_future(gateway.rasa.send(resident_id, command or text[:MAX_TEXT]))
        try:
            await asyncio.sleep(0)  # the request goes out now, before the echo and the typing bubble
            frame = {"type": "message", "message": message}
            await gateway.hub.to_resident(resident_id, frame)
            if status != "bot":
                await gateway.hub.to_agents(frame)
            if early_alert:
                await gateway.hub.to_agents({"type": "alert", "conversation_id": resident_id, "status": "pending"})
                await gateway.broadcast_queue()
            if len(text) > MAX_TEXT:
                await _deliver(gateway, resident_id, "bot", TOO_LONG_REPLY)
            if status == "bot":
                await typing(gateway, resident_id, True)
            replies = await rasa_turn
        except RasaUnavailable as error:
            logger.error("Rasa unavailable for %s: %s", resident_id, error)
            if status == "bot":
                await typing(gateway, resident_id, False)
                await _deliver(gateway, resident_id, "bot", RASA_DOWN_REPLY)
            return
        except BaseException:
            rasa_turn.cancel()
            if status == "bot":
                await typing(gateway, resident_id, False)
            raise
        if status != "bot":
            # Rasa is paused: it records the text and stays silent; the agents got the message.
            await gateway.broadcast_queue()
            return
        await typing(gateway, resident_id, False)
        answers = [(reply_text, payload) for reply_text, payload in map(_bot_message, replies) if reply_text or payload]
        with session_scope() as session:  # one transaction: every reply, then the status they left
            stored = [store(session, resident_id, "bot", reply_text, payload) for reply_text, payload in answers]
            after = conversation_status(session, resident_id)
        for message in stored:
            await gateway.hub.to_resident(resident_id, {"type": "message", "message": message})
        if after != "bot":
            await gateway.hub.to_agents({"type": "alert", "conversation_id": resident_id, "status": after})
            await gateway.broadcast_queue()


def _queue_live_emergency(session: Session, resident_id: str, text: str) -> bool:
    """Put a live emergency in the agents' queue before Rasa has answered; True when it did.

    The pipeline's EmergencyGuard raises every message these rules flag to ``emergency``, so this
    only moves the alert earlier: the agents see it at once instead of after Rasa's turn (which
    may wait behind other residents'). Rasa still answers this turn with the safety instructions
    and opens the emergency ticket; its handoff request then joins this one.
    """
    result = assess(text)
    if not result.is_emergency:
        return False
    label = procedure_for(result.primary_type).label
    request_handoff(session, resident_id, reason="emergency", priority=PRIORITY_EMERGENCY, summary=f"{label}（网关预警）：{text[:200]}")
    logger.warning("emergency rules fired for %s: queued for agents before Rasa's answer", resident_id)
    return True


async def typing(gateway: Gateway, resident_id: str, on: bool) -> None:
    """Show or hide the resident's "对方正在输入…" bubble."""
    data = json.dumps({"type": "typing", "on": on})
    for socket in [s for s in gateway.hub.residents.get(resident_id, ()) if wants(s, "typing")]:
        try:
            await socket.send(data)
        except Exception as error:  # a closed socket is dropped by its own handler
            logger.debug("typing frame not sent: %s", error)


async def handle_resident_photo(gateway: Gateway, resident_id: str, data: bytes, filename: str | None) -> dict[str, Any]:
    """Store a checked photo as the resident's message; agents see it, the bot only acknowledges it."""
    async with gateway.hub.locks[resident_id]:
        status = await _open(gateway, resident_id)
        with session_scope() as session:
            stored = store_photo(session, resident_id, data, filename)
        frame = {"type": "message", "message": stored.message}
        await gateway.hub.to_resident(resident_id, frame)
        if status != "bot":
            await gateway.hub.to_agents(frame)
            await gateway.broadcast_queue()
        else:
            reply = LINKED_REPLY.format(number=stored.ticket_number) if stored.ticket_number else UNLINKED_REPLY
            await _deliver(gateway, resident_id, "bot", reply)
        return stored.message
