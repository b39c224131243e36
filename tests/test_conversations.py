"""Whole conversations over the REST channel against the real model, actions and database."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from bot.politeness import is_polite
from bot.processes import Stack
from bot.storage import session_scope
from bot.storage.models import Conversation, HandoffRequest, Ticket
from tests.rasa_support import Resident, post

pytestmark = pytest.mark.rasa


def resident(stack: Stack) -> Resident:
    return Resident(stack, f"resident-{uuid.uuid4().hex[:10]}")


def texts(replies: list[dict]) -> list[str]:
    return [r.get("text") or "" for r in replies]


def assert_polite(replies: list[dict]) -> None:
    assert replies, "the bot did not answer"
    for text in texts(replies):
        assert is_polite(text), text


def tickets_of(url: str, sender: str) -> list[Ticket]:
    with session_scope(url) as session:
        return list(session.execute(sa.select(Ticket).where(Ticket.conversation_id == sender)).scalars())


def test_emergency_gets_instructions_ticket_and_queue(rasa_stack: Stack, stack_database: str) -> None:
    r = resident(rasa_stack)
    replies = r.say("救命 3栋2单元102厨房着火了 烟很大")
    assert_polite(replies)
    assert "119" in texts(replies)[0]
    [ticket] = tickets_of(stack_database, r.sender)
    assert (ticket.category, ticket.subcategory, ticket.priority) == ("emergency", "fire", "紧急")
    assert ticket.address == "3-2-102"
    with session_scope(stack_database) as session:
        conversation = session.get(Conversation, r.sender)
        assert conversation.status == "pending" and conversation.priority == 0
        assert session.execute(sa.select(HandoffRequest).where(HandoffRequest.conversation_id == r.sender)).scalar_one().reason == "emergency"
    # The bot stops steering: later messages are recorded, not answered.
    assert r.say("我现在在楼下了") == []
    assert any(e.get("text") == "我现在在楼下了" for e in r.tracker()["events"] if e["event"] == "user")


def test_repair_form_creates_ticket_with_priority_and_deadline(rasa_stack: Stack, stack_database: str) -> None:
    r = resident(rasa_stack)
    assert_polite(r.say("我家卫生间马桶堵了"))
    assert_polite(r.say("5号楼1单元802"))
    assert_polite(r.say("13912345678"))
    summary = r.say("明天下午三点以后")
    assert_polite(summary)
    assert "5-1-802" in texts(summary)[-1]
    created = r.say("确认")
    assert_polite(created)
    [ticket] = tickets_of(stack_database, r.sender)
    assert ticket.number in texts(created)[-1]
    assert ticket.category == "repair" and ticket.priority in ("急修", "一般")
    assert ticket.contact_phone == "13912345678" and ticket.address == "5-1-802"
    assert ticket.resolve_by is not None


def test_emergency_in_the_middle_of_a_form_wins(rasa_stack: Stack, stack_database: str) -> None:
    r = resident(rasa_stack)
    r.say("阳台窗户关不上了")
    replies = r.say("不好了 楼道里一股很重的煤气味")
    assert_polite(replies)
    assert any("燃气" in t or "通风" in t for t in texts(replies))
    categories = [t.category for t in tickets_of(stack_database, r.sender)]
    assert categories == ["emergency"]


@pytest.mark.parametrize(
    "message",
    [
        "😀😀😀🙏",
        "<script>alert('x')</script><b>hi</b>",
        "What time is it in London please",
        "物业" * 2600,
        "asdfghjkl",
    ],
    ids=["emoji", "html", "english", "huge", "mash"],
)
def test_bad_input_gets_a_polite_answer_and_no_ticket(rasa_stack: Stack, stack_database: str, message: str) -> None:
    r = resident(rasa_stack)
    replies = r.say(message)
    assert_polite(replies)
    assert tickets_of(stack_database, r.sender) == []
    events = [e for e in r.tracker()["events"] if e["event"] == "user"]
    assert events[-1]["text"] == message  # nothing the resident sent is lost


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"message": "hi"}', b'{"sender": "x", "message": 5}', b""],
    ids=["broken", "array", "no-sender", "number", "empty-body"],
)
def test_malformed_requests_get_polite_400(rasa_stack: Stack, body: bytes) -> None:
    status, reply = post(rasa_stack.rasa_port, "/webhooks/rest/webhook", body)
    assert status == 400
    assert is_polite(reply[0]["text"])


def test_empty_message_gets_a_prompt(rasa_stack: Stack, stack_database: str) -> None:
    r = resident(rasa_stack)
    replies = r.say("   ")
    assert_polite(replies)
    assert tickets_of(stack_database, r.sender) == []


def test_parse_shows_the_emergency_guard(rasa_stack: Stack) -> None:
    status, parsed = post(rasa_stack.rasa_port, "/model/parse", {"text": "电梯卡在5楼了 我被关在里面出不来"})
    assert status == 200
    assert parsed["intent"]["name"] == "emergency"
    assert parsed["emergency_guard"]["types"] == ["lift"] or "lift" in parsed["emergency_guard"]["types"]
