"""What an agent does to a conversation: claim, reply, hand back to the bot, resolve."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.gateway.rasa_client import RasaUnavailable
from bot.gateway.state import Gateway
from bot.gateway.transcript import store
from bot.handoff import queue
from bot.politeness import check
from bot.storage import session_scope
from bot.storage.models import Conversation

MAX_REPLY = 2000
JOIN_NOTICE = "客服{agent}已接入，将为您继续服务。"
LEAVE_NOTICE = "客服{agent}已离开，接下来由智能助手继续为您服务。"
RESOLVED_NOTICE = "本次服务已结束，感谢您的耐心与支持；如有其他需要，欢迎随时留言。"
TICKET_DONE_NOTICE = "您好，您的工单{number}已处理完成，感谢您的耐心等待；如仍有问题，欢迎随时告诉我们。"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int = 200
    error: str = ""
    detail: Any = None


def violations(text: str) -> list[dict[str, str]]:
    return [{"rule": v.rule, "phrase": v.phrase, "suggestion": v.suggestion} for v in check(text)]


async def _notify(gateway: Gateway, conversation_id: str, role: str, text: str, payload: dict[str, Any]) -> None:
    with session_scope() as session:
        message = store(session, conversation_id, role, text, payload)
    frame = {"type": "message", "message": message}
    await gateway.hub.to_resident(conversation_id, frame)
    await gateway.hub.to_agents(frame)


async def ticket_completed(gateway: Gateway, conversation_id: str, number: str, agent: str) -> None:
    """Tell the resident (and the consoles) that their ticket is done."""
    text = TICKET_DONE_NOTICE.format(number=number)
    await _notify(gateway, conversation_id, "system", text, {"agent": agent, "event": "ticket_resolved", "ticket": number})


def _may_act(conversation: Conversation | None, agent: str) -> Outcome | None:
    if conversation is None:
        return Outcome(False, 404, "没有找到这个会话")
    if conversation.status == "pending" or (conversation.status == "assigned" and conversation.assigned_agent == agent):
        return None
    return Outcome(False, 409, "这个会话不在您的处理中")


async def claim(gateway: Gateway, conversation_id: str, agent: str) -> Outcome:
    with session_scope() as session:
        won = queue.claim(session, conversation_id, agent)
    if not won:
        return Outcome(False, 409, "这个会话已被其他客服接入或不在排队中")
    await _notify(gateway, conversation_id, "system", JOIN_NOTICE.format(agent=agent), {"agent": agent, "event": "join"})
    await gateway.broadcast_queue()
    return Outcome(True)


async def reply(gateway: Gateway, conversation_id: str, agent: str, text: str) -> Outcome:
    text = text.strip()
    if not text or len(text) > MAX_REPLY:
        return Outcome(False, 400, f"回复内容需在1到{MAX_REPLY}字之间")
    found = violations(text)
    if found:
        return Outcome(False, 422, "回复中有不规范用语，请修改后再发送", found)
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.status != "assigned" or conversation.assigned_agent != agent:
            return Outcome(False, 409, "请先接入这个会话再回复")
    await _notify(gateway, conversation_id, "agent", text, {"agent": agent})
    await gateway.rasa.record_agent_reply(conversation_id, text, agent)
    return Outcome(True)


async def hand_back(gateway: Gateway, conversation_id: str, agent: str) -> Outcome:
    with session_scope() as session:
        refused = _may_act(session.get(Conversation, conversation_id), agent)
    if refused:
        return refused
    try:
        await gateway.rasa.resume(conversation_id)  # Rasa first: a paused bot must not look active
    except RasaUnavailable:
        return Outcome(False, 502, "智能助手暂时无法接回会话，请稍后再试")
    with session_scope() as session:
        if not queue.hand_back(session, conversation_id):
            return Outcome(False, 409, "会话状态已变化，请刷新")
    await _notify(gateway, conversation_id, "system", LEAVE_NOTICE.format(agent=agent), {"agent": agent, "event": "leave"})
    await gateway.broadcast_queue()
    return Outcome(True)


async def resolve(gateway: Gateway, conversation_id: str, agent: str) -> Outcome:
    with session_scope() as session:
        refused = _may_act(session.get(Conversation, conversation_id), agent)
        if refused:
            return refused
        if not queue.resolve(session, conversation_id):
            return Outcome(False, 409, "会话状态已变化，请刷新")
    await _notify(gateway, conversation_id, "system", RESOLVED_NOTICE, {"agent": agent, "event": "resolved"})
    await gateway.broadcast_queue()
    return Outcome(True)
