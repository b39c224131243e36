"""Inquiries: answers from the knowledge base, or a polite hand-over to staff (DOMAIN.md §4).

The knowledge base is ``nlu_data/knowledge_base.yml`` (one Rasa response per topic of the
``inquiry`` retrieval intent); the ResponseSelector picks the topic, this module decides whether
the pick is sure enough to answer. Never guess: unsure or unknown topics go to staff with a ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.politeness.scripts import honorific
from bot.storage import session_scope
from bot.tickets.rules import INQUIRY_DEADLINES, local_deadline_text
from bot.tickets.service import NewTicket, create_ticket

UNKNOWN_TOPIC = "other"
MIN_TOPIC_CONFIDENCE = 0.5


@dataclass(frozen=True)
class TopicPick:
    topic: str
    confidence: float


def topic_from_parse(parse_data: dict[str, Any]) -> TopicPick:
    """The inquiry topic the ResponseSelector chose, from a parsed message."""
    selector = (parse_data.get("response_selector") or {}).get("inquiry") or (
        parse_data.get("response_selector") or {}
    ).get("default") or {}
    response = selector.get("response") or {}
    key = response.get("intent_response_key") or ""
    topic = key.split("/", 1)[1] if "/" in key else UNKNOWN_TOPIC
    return TopicPick(topic, float(response.get("confidence") or 0.0))


def answer_text(topic: TopicPick, responses: dict[str, Any]) -> str | None:
    """The knowledge-base answer, or ``None`` when the bot must not answer itself."""
    if topic.topic == UNKNOWN_TOPIC or topic.confidence < MIN_TOPIC_CONFIDENCE:
        return None
    variants = responses.get(f"utter_inquiry/{topic.topic}") or []
    for variant in variants:
        if variant.get("text"):
            return str(variant["text"])
    return None


def with_honorific(text: str, surname: str | None, title: str | None) -> str:
    who = honorific(surname, title)
    return text if who == "您" else f"{who}，{text}"


HANDOVER_ASK = (
    "非常抱歉，这个问题需要相关同事为您核实后再准确答复，我们不会随意猜测。"
    "请您留下联系电话，客服专员会在2个工作日内给您回复。"
)


def create_inquiry_ticket(question: str, phone: str, conversation_id: str, surname: str | None, title: str | None) -> str:
    with session_scope() as session:
        ticket = create_ticket(
            session,
            NewTicket(
                category="inquiry",
                subcategory="handover",
                priority="一般",
                description=question,
                department="客服中心",
                deadlines=INQUIRY_DEADLINES,
                contact_phone=phone,
                contact_name=honorific(surname, title) if surname else "",
                conversation_id=conversation_id,
            ),
        )
        number, resolve_by = ticket.number, ticket.resolve_by
    return with_honorific(
        f"已为您登记，工单号 {number}。客服专员会在{local_deadline_text(resolve_by)}前给您答复，"
        "如有进展也会在这里通知您。感谢您的耐心，请问还有什么可以帮您？",
        surname,
        title,
    )
