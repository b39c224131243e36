"""What a resident says about their open case, outside any form, put on its ticket in their words.

- A case they no longer need (「修好了不用来了」「我不报修了」, ``bot.nlu.withdrawals.is_withdrawal``;
  said inside a form, the form cancels instead: actions.ActionDenyInForm): staff confirm it with the
  resident and close the ticket — the bot never closes one itself (a resident who says 好了 about the
  wrong ticket, or too early, must not lose the visit). Wording: ``withdrawal.*`` in
  bot/texts/zh_CN.yml.
- A case they hurry along (「能快点吗 我等着用」, ``bot.nlu.hurry.urges``): its handlers see that the
  resident is waiting for it; the resident is then shown their tickets and deadlines
  (actions.ActionTicketStatus). Wording: ``status.hurried``.
"""

from __future__ import annotations

from bot.storage import session_scope
from bot.tickets.service import note_on_open_case

NO_LONGER_NEEDED = "居民表示不再需要"
HURRIED = "居民催促"


def note_on_case(conversation_id: str, lead: str, text: str) -> str | None:
    """Put ``lead：text`` on the resident's open case's ticket; its number, or None without one."""
    with session_scope() as session:
        return note_on_open_case(session, conversation_id, f"{lead}：{text}")
