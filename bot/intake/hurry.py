"""A resident hurrying their case along (「能快点吗 我等着用」, ``bot.nlu.hurry``): their words go on
the case's open ticket, where its handlers see that the resident is waiting for it; the resident is
then shown their tickets and deadlines (actions.ActionTicketStatus). The wording is the action's
(``status.hurried`` in bot/texts/zh_CN.yml)."""

from __future__ import annotations

from bot.storage import session_scope
from bot.tickets.service import note_on_open_case


def note_hurried(conversation_id: str, text: str) -> str | None:
    """Put the resident's hurry on their open case's ticket; its number, or None without one."""
    with session_scope() as session:
        return note_on_open_case(session, conversation_id, f"居民催促：{text}")
