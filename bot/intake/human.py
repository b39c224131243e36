"""A resident's request for a human agent (the action says ``human.handoff`` or ``human.locked_out``,
with what is true of the wait now: ``human.joining`` when an agent of the community is logged in,
``human.nobody_online`` — no promise of minutes, the duty phone — when none is)."""

from __future__ import annotations

from dataclasses import dataclass

from bot import texts
from bot.clock import utcnow
from bot.communities import community_of_conversation
from bot.conversations.lifecycle import request_handoff
from bot.conversations.status import Priority
from bot.conversations.unserved import someone_serves
from bot.storage import session_scope


@dataclass(frozen=True)
class HumanRequest:
    """The request queued: whether someone is there to take it, and the community's duty phone."""

    someone_online: bool
    duty_phone: str

    def joining_text(self) -> str:
        """How the person will come: within the queue's minutes, or — nobody logged in — when staff
        are back, with the duty phone for what cannot wait (DOMAIN §7: only what is true now)."""
        if self.someone_online:
            return texts.render("human.joining")
        return texts.render("human.nobody_online", duty_phone=self.duty_phone)


def request_human(conversation_id: str, summary: str) -> HumanRequest:
    with session_scope() as session:
        request_handoff(session, conversation_id, reason="request_human", priority=Priority.NORMAL, summary=summary)
        community = community_of_conversation(session, conversation_id)
        return HumanRequest(someone_serves(session, community.id, utcnow()), community.duty_phone)
