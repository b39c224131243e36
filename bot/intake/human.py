"""A resident's request for a human agent (the action says ``human.handoff``)."""

from __future__ import annotations

from bot.conversations.lifecycle import request_handoff
from bot.conversations.status import Priority
from bot.storage import session_scope


def request_human(conversation_id: str, summary: str) -> None:
    with session_scope() as session:
        request_handoff(session, conversation_id, reason="request_human", priority=Priority.NORMAL, summary=summary)
