"""How a question's hand-over reads, for the inquiry action and for a question asked beside a
repair (the repair form's validation): the part of the answer that fits, what staff will answer,
and by when."""

from __future__ import annotations

from datetime import datetime

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import addressed, latest_text, parse_alone, parse_of, say
from bot import texts
from bot.intake.inquiry import ANSWER, PARTIAL, InquiryReply, create_inquiry_ticket, reply_for
from bot.politeness import echo
from bot.tickets.rules import local_deadline_text


def deadline_of(resolve_by: datetime | None) -> str:
    """A ticket's resolve-by as the resident reads it (「12月3日18:00」); empty when it has none."""
    return local_deadline_text(resolve_by) if resolve_by else ""


def handover_lead(tracker: Tracker, reply: InquiryReply) -> str:
    """What comes before the hand-over's registration: the part of the answer that fits and what
    staff will answer (「游泳池…开放时间为9:00–21:00。关于温度，需要同事为您核实……」), or the plain
    hand-over when nothing was close."""
    if reply.verdict == PARTIAL:
        return addressed(tracker, "inquiry.partial", known=reply.text, missing=echo(reply.missing))
    if reply.missing:
        return addressed(tracker, "inquiry.not_in_record", missing=echo(reply.missing))
    return addressed(tracker, "inquiry.handover")


# How the resident's case is named when it goes on after the question: 「您报修的问题」, 「您反映的问题」.
REPAIR_CASE, COMPLAINT_CASE = "报修", "反映"
# The form that registers each case: a question asked while it asks is answered, then it goes on.
CASE_OF_FORM = {"repair_form": REPAIR_CASE, "complaint_form": COMPLAINT_CASE}


def answer_beside_case(dispatcher: CollectingDispatcher, tracker: Tracker, question: str, case: str) -> None:
    """A question asked beside a repair or a complaint (「水龙头漏水了 对了停车费多少钱」,
    bot.intake.asides): the community's answer when it covers the question, else the hand-over
    with an inquiry ticket, to be answered here; then the case goes on (its form asks the rest)."""
    reply = reply_for(tracker.sender_id, question, parse_alone(question) or parse_of(tracker, latest_text(tracker)))
    reply_beside_case(dispatcher, tracker, reply, question, case)


def reply_beside_case(dispatcher: CollectingDispatcher, tracker: Tracker, reply: InquiryReply, question: str, case: str, phone: str = "") -> None:
    """The reply to a question while a case is being registered (beside it, or asked while its form
    asks): the answer, or the hand-over with an inquiry ticket (``phone``: one the resident gave
    already); either way the case goes on — the form's own question follows, so no 「请问还有什么
    可以帮您？」 before it."""
    if reply.verdict == ANSWER:
        say(dispatcher, addressed(tracker, "inquiry.answer_then_go_on", answer=reply.text.rstrip(), case=case))
        return
    created = create_inquiry_ticket(question, phone, tracker.sender_id, tracker.get_slot("surname"), tracker.get_slot("title"))
    lead = handover_lead(tracker, reply)
    registered = texts.render("inquiry.registered", number=created.number, deadline=deadline_of(created.resolve_by))
    say(dispatcher, lead + registered + texts.render("inquiry.go_on_with_case", case=case))
