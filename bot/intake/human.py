"""A resident's request for a human agent."""

from __future__ import annotations

from bot.handoff.queue import PRIORITY_NORMAL, request_handoff
from bot.storage import session_scope

HANDOFF_REPLY = "好的，正在为您转接人工客服，请您稍候，客服同事会在5分钟内接入；期间您发送的消息我们都会完整转达。"


def request_human(conversation_id: str, summary: str) -> str:
    with session_scope() as session:
        request_handoff(session, conversation_id, reason="request_human", priority=PRIORITY_NORMAL, summary=summary)
    return HANDOFF_REPLY
