"""A resident's message: stored first, then to Rasa (bot) or to the agents (pending/assigned)."""

from __future__ import annotations

import logging
from typing import Any

from bot.gateway.rasa_client import RASA_MAX_TEXT, RasaUnavailable
from bot.gateway.state import Gateway
from bot.gateway.transcript import store
from bot.handoff.queue import conversation_status, get_or_create_conversation
from bot.storage import session_scope

logger = logging.getLogger(__name__)

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


async def _open(gateway: Gateway, resident_id: str) -> str:
    """The conversation's status; a resolved conversation is reopened for the bot."""
    with session_scope() as session:
        conversation = get_or_create_conversation(session, resident_id)
        reopen = conversation.status == "resolved"
        if reopen:
            conversation.status, conversation.assigned_agent, conversation.waiting_since = "bot", None, None
    if reopen:
        try:
            await gateway.rasa.resume(resident_id)
        except RasaUnavailable as error:
            logger.warning("could not resume %s in Rasa: %s", resident_id, error)
    return "bot" if reopen else conversation.status


async def handle_resident_text(gateway: Gateway, resident_id: str, text: str, command: str | None = None) -> None:
    """``text`` is what the resident sees; ``command`` a button payload sent to Rasa instead."""
    async with gateway.hub.locks[resident_id]:
        status = await _open(gateway, resident_id)
        with session_scope() as session:
            message = store(session, resident_id, "resident", text, {"command": command} if command else None)
        frame = {"type": "message", "message": message}
        await gateway.hub.to_resident(resident_id, frame)
        if status != "bot":
            await gateway.hub.to_agents(frame)
        if len(text) > MAX_TEXT:
            await _deliver(gateway, resident_id, "bot", TOO_LONG_REPLY)
        try:
            replies = await gateway.rasa.send(resident_id, command or text[:MAX_TEXT])
        except RasaUnavailable as error:
            logger.error("Rasa unavailable for %s: %s", resident_id, error)
            if status == "bot":
                await _deliver(gateway, resident_id, "bot", RASA_DOWN_REPLY)
            return
        if status != "bot":
            # Rasa is paused: it records the text and stays silent; the agents got the message.
            await gateway.broadcast_queue()
            return
        for reply in replies:
            reply_text, payload = _bot_message(reply)
            if reply_text or payload:
                await _deliver(gateway, resident_id, "bot", reply_text, payload)
        with session_scope() as session:
            after = conversation_status(session, resident_id)
        if after != "bot":
            await gateway.hub.to_agents({"type": "alert", "conversation_id": resident_id, "status": after})
            await gateway.broadcast_queue()
