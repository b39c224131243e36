"""Inquiries: the community's answer, or a polite hand-over to staff (DOMAIN.md §4).

The ResponseSelector picks the topic of the ``inquiry`` retrieval intent (``nlu_data/
knowledge_base.yml`` names the topics for training); the answer is the conversation's community's
(bot.communities), read at the moment of the reply, so an answer staff edited is used by the next
message without retraining. This module decides whether to answer: never guess — an unsure or
unknown topic, a topic this community has no answer for, or an answer that does not cover what was
asked (bot.intake.coverage) goes to staff with a ticket, after the part of the answer that does
fit, if any. What the resident is told is the action's (``inquiry.*`` in bot/texts/zh_CN.yml).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot import texts
from bot.communities import answer_with_covers, community_of_conversation
from bot.intake.coverage import ANSWER, HANDOVER, PARTIAL, answer_says, asked_facets, coverage, things
from bot.intake.results import TicketCreated
from bot.nlu.followups import FOLLOW_UP
from bot.politeness.scripts import company_name, honorific
from bot.storage import session_scope
from bot.storage.models import Ticket
from bot.tickets.masking import mask_phone
from bot.tickets.rules import INQUIRY_DEADLINES
from bot.tickets.service import NewTicket, add_note, create_ticket, get_ticket

UNKNOWN_TOPIC = "other"
# Below this the topic is a guess: the hand-over. Coverage checks every answer given above it, so
# it is lower than the 0.5 of before coverage (0.4: two more of questions.tsv's answerable questions
# answered, no more wrong answers; 0.3 and 0.2 measured the same).
MIN_TOPIC_CONFIDENCE = 0.4
# ...unless the question names things and the topic's answer says every one of them (「门禁卡怎么办理」,
# access_card at 0.38 with one training of the model, 0.5 with another: the selector spreads its
# confidence over seventy topics). Measured on the five answerability sets, 2026-12-06: from 0.4 down
# to 0.3 no question changed; at 0.25 two more answered and one more wrong answer (fresh.tsv).
NAMED_TOPIC_CONFIDENCE = 0.3


@dataclass(frozen=True)
class TopicPick:
    topic: str
    confidence: float


def _selector(parse_data: dict[str, Any]) -> dict[str, Any]:
    selectors = parse_data.get("response_selector") or {}
    return selectors.get("inquiry") or selectors.get("default") or {}


def topic_from_parse(parse_data: dict[str, Any]) -> TopicPick:
    """The inquiry topic the ResponseSelector chose, from a parsed message."""
    response = _selector(parse_data).get("response") or {}
    key = response.get("intent_response_key") or ""
    topic = key.split("/", 1)[1] if "/" in key else UNKNOWN_TOPIC
    return TopicPick(topic, float(response.get("confidence") or 0.0))


@dataclass(frozen=True)
class InquiryReply:
    """What to do with a question: ``verdict`` ANSWER (``text`` is the whole answer), PARTIAL
    (``text`` is the part of the answer that fits, ``missing`` what it does not say) or HANDOVER
    (``missing`` names what staff will answer when the answer was close; empty otherwise)."""

    verdict: str
    text: str = ""
    missing: str = ""
    topic: str = UNKNOWN_TOPIC


def _sure_enough(question: str, pick: TopicPick, answer: str) -> bool:
    if pick.confidence >= MIN_TOPIC_CONFIDENCE:
        return True
    named = things(question)
    return pick.confidence >= NAMED_TOPIC_CONFIDENCE and bool(named) and all(answer_says(word, answer) for word in named)


def decide(question: str, pick: TopicPick, answer: str | None, names: tuple[str, ...] = (), covers: tuple[str, ...] = ()) -> InquiryReply:
    """Answer, answer in part, or hand over (DOMAIN §4: never guess). ``names``: the community's and
    the company's, which name no thing asked about; ``covers``: what the record says the answer
    also covers (bot.intake.coverage)."""
    if pick.topic == UNKNOWN_TOPIC or not answer or not _sure_enough(question, pick, answer):
        return InquiryReply(HANDOVER, topic=pick.topic)
    found = coverage(question, answer, (*names, company_name()), covers)
    if found.verdict == ANSWER:
        return InquiryReply(ANSWER, answer, topic=pick.topic)
    missing = "、".join(found.missing)
    if found.verdict == PARTIAL:
        return InquiryReply(PARTIAL, found.known, missing, pick.topic)
    return InquiryReply(HANDOVER, missing=missing, topic=pick.topic)


AnswerOf = Callable[[str], tuple[str | None, tuple[str, ...]]]


def carried_topic(question: str, last_topic: str | None, after_an_answer: bool) -> str | None:
    """The topic of the answer just given, for a question that names no thing of its own but asks
    for something (「多少钱」, 「要带什么」, 「在哪办」 right after the 门禁卡 answer); else None. The
    classifier reads such a question alone and cannot know its topic (it handed 「要带什么」 over as
    move_in, 0.25). The answer still goes through the coverage check: what it does not say is
    handed over."""
    if not after_an_answer or not last_topic or last_topic == UNKNOWN_TOPIC or things(question) or not asked_facets(question):
        return None
    return last_topic




def followed_topic(question: str, last_topic: str | None, last_answer: str | None) -> str | None:
    """「那支付宝呢」 right after an answer that names 支付宝 (the 物业费 answer: 微信…、支付宝…): that
    answer's topic — the classifier, reading the question alone, was unsure of it and it was handed
    over. A thing the answer does not name is left to the classifier."""
    found = FOLLOW_UP.fullmatch((question or "").strip())
    if not found or not last_topic or last_topic == UNKNOWN_TOPIC or not last_answer:
        return None
    return last_topic if answer_says(found.group("thing"), last_answer) else None


def decide_parsed(question: str, parse_data: dict[str, Any], answer_of: AnswerOf, names: tuple[str, ...] = (), carried: str | None = None) -> InquiryReply:
    """The decision for a parsed question, the action's and the bench's: :func:`decide` on the
    topic the ResponseSelector chose. ``answer_of(topic)``: the community's answer and what it
    covers. (Trying the ranking's next topic when the first does not cover the question was
    measured on questions.tsv, 2026-12-04: no question changed; and on all four sets, 2026-12-06:
    down to a runner-up confidence of 0.3 one more wrong answer on street.tsv and nothing gained,
    down to 0.2 a few more answered and more wrong answers; not kept.)"""
    pick = TopicPick(carried, 1.0) if carried else topic_from_parse(parse_data)
    if pick.topic == UNKNOWN_TOPIC:
        return decide(question, pick, None)
    text, covers = answer_of(pick.topic)
    return decide(question, pick, text, names, covers)


# A question by its shape: 「可以送上门吗」「周末开门么」「能刷卡？」 (the classifier read 「可以送上门吗」
# as a yes: 可以).
QUESTION = re.compile(r"(?:吗|么|嘛)[\s。.!！~～]*[？?]*[\s]*$|[？?][\s]*$")


def asks_something(text: str | None) -> bool:
    """Does the message end as a question (吗, 么, 嘛 or a question mark)?"""
    return bool(QUESTION.search((text or "").strip()))


def asks_within(question: str, last_answer: str | None) -> bool:
    """A question that names things, all of which the answer just given covers (「可以送上门吗」 after
    the express answer, which says 送货上门): it asks on from that answer."""
    if not last_answer or not asks_something(question) or not things(question):
        return False
    return coverage(question, last_answer).verdict == ANSWER


def topic_followed(conversation_id: str, question: str, last_topic: str | None) -> str | None:
    """The topic of the answer just given (``last_topic``'s, in this conversation's community) when
    「那X呢」 names a thing that answer names (:func:`followed_topic`), or a question asks only about
    things it says (:func:`asks_within`); else None. The answer is read only for a question of
    either shape."""
    text = (question or "").strip()
    follow_up = FOLLOW_UP.fullmatch(text) is not None
    if not last_topic or last_topic == UNKNOWN_TOPIC or not (follow_up or asks_something(text)):
        return None
    with session_scope() as session:
        community = community_of_conversation(session, conversation_id)
        answer = answer_with_covers(session, community.id, last_topic)[0]
    if follow_up:
        return followed_topic(question, last_topic, answer)
    return last_topic if asks_within(question, answer) else None


def reply_for(conversation_id: str, question: str, parse_data: dict[str, Any], carried: str | None = None) -> InquiryReply:
    """The reply to a parsed question in this conversation's community: its answers (and what
    they cover) as they are now; ``carried``: the topic a follow-up leans on (:func:`carried_topic`,
    :func:`topic_followed`)."""
    with session_scope() as session:
        community = community_of_conversation(session, conversation_id)

        def answer_of(topic: str) -> tuple[str | None, tuple[str, ...]]:
            return answer_with_covers(session, community.id, topic)

        return decide_parsed(question, parse_data, answer_of, (community.name, community.name.removesuffix("小区")), carried)


DEPARTMENT = "客服中心"


def create_inquiry_ticket(question: str, phone: str, conversation_id: str, surname: str | None, title: str | None) -> TicketCreated:
    with session_scope() as session:
        ticket = create_ticket(
            session,
            NewTicket(
                category="inquiry",
                subcategory="handover",
                priority="一般",
                description=question,
                department=DEPARTMENT,
                deadlines=INQUIRY_DEADLINES,
                contact_phone=phone,
                contact_name=honorific(surname, title) if surname else "",
                conversation_id=conversation_id,
            ),
        )
        return TicketCreated(ticket.number, ticket.priority, DEPARTMENT, INQUIRY_DEADLINES.promise, ticket.resolve_by)


def _registered(session: Session, number: str, conversation_id: str) -> Ticket | None:
    """The conversation's own handed-over question ticket ``number`` (never another conversation's)."""
    ticket = get_ticket(session, number)
    return ticket if ticket is not None and ticket.conversation_id == conversation_id and ticket.category == "inquiry" else None


def add_contact_phone(number: str, conversation_id: str, phone: str) -> bool:
    """The resident left a phone after the hand-over registered their question: staff may call."""
    with session_scope() as session:
        ticket = _registered(session, number, conversation_id)
        if ticket is None:
            return False
        ticket.contact_phone = phone
        add_note(session, ticket, f"居民留下联系电话 {mask_phone(phone)}", actor="bot")
        return True


def add_question(number: str, conversation_id: str, question: str) -> bool:
    """Another question the record does not answer, asked while the first waits: one ticket holds both."""
    with session_scope() as session:
        ticket = _registered(session, number, conversation_id)
        if ticket is None:
            return False
        ticket.description = f"{ticket.description}\n{question}"[:4000]
        add_note(session, ticket, f"居民追加问题：{question}", actor="bot")
        return True


def as_resident_reads(answer: str) -> str:
    """A community's answer as ActionAnswerInquiry says it when it covers the question (before the
    resident's honorific, 王先生，…): the administration page previews an edited answer with it
    (tests/test_admin_communities.py holds the two together)."""
    return texts.render("inquiry.answer", answer=answer.strip())
