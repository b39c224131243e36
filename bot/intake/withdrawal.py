"""A case the resident no longer needs: 「修好了不用来了」「我不报修了」「不投诉了」.

Said outside a form (the forms cancel on a no: actions.ActionDenyInForm), it goes on the case's open
ticket as the resident's words, for staff to confirm with the resident and close — the bot never
closes a ticket itself (a resident who says 好了 about the wrong ticket, or too early, must not lose
the visit). The message is known by its shape (``bot.nlu.withdrawals.is_withdrawal``). The wording is the actions' (``withdrawal.*`` in bot/texts/zh_CN.yml).
"""

from __future__ import annotations

from bot.storage import session_scope
from bot.tickets.service import note_on_open_case


def note_no_longer_needed(conversation_id: str, text: str) -> str | None:
    """Put the resident's words on their open case's ticket; its number, or None without one."""
    with session_scope() as session:
        return note_on_open_case(session, conversation_id, f"居民表示不再需要：{text}")
