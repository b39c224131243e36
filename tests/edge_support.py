"""Inputs for the edge tests (issue 11: bad input never reaches a 5xx): Hypothesis strategies for
odd-but-valid text, arbitrary JSON values and frames, and the bodies of the gateway's endpoints.

"Odd but valid" is text a resident may really send — emoji, right-to-left scripts, other
languages, HTML, numbers as words, a phone keyboard's half emoji (a lone surrogate), a pasted NUL;
the edge stores it (lone surrogates and NUL as U+FFFD) and answers it. "Arbitrary" is anything a
client can put in a frame or body, of any JSON type; the edge answers it politely or stores it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from sqlalchemy.orm import Session

from bot.callbacks.desk import claim_for_chat
from bot.callbacks.rules import Plan
from bot.callbacks.schedule import insert
from bot.callbacks.status import Channel
from bot.clock import utcnow
from bot.conversations.lifecycle import claim, request_handoff
from bot.conversations.status import Priority
from bot.gateway.agents import create_agent
from bot.gateway.tokens import new_resident_id, sign
from bot.roles import Role
from bot.storage import session_scope
from bot.storage.models import Message
from bot.surveys.periodic import open_survey
from bot.tickets.rules import COMPLAINT_DEADLINES, REPAIR_DEADLINES
from bot.tickets.service import NewTicket, create_ticket, update_status
from tests.gateway_support import SECRET

# Text a resident may send; each must be stored and answered, never refused or lost.
ODD_SAMPLES = [
    "\ud800",
    "水管爆了\ud83d",  # an emoji cut in half: its high surrogate alone
    "\udfff漏水",
    "a\x00b",
    "3栋\x002单元",
    "😀" * 10,
    "🔥🔥🔥着火了",
    "👨‍👩‍👧‍👦",
    "مرحبا، الماء يتسرب من السقف",
    "שלום, יש נזילה",
    "\u202e3栋2单元\u202c",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "'; DROP TABLE messages; --",
    "9" * 400,
    "99999999999999999999999",
    "1e400",
    "-0",
    "NaN",
    "Infinity",
    "Привет, течёт вода",
    "水漏れしています",
    "물이 새요",
    "पानी टपक रहा है",
    "e\u0301\u0301\u0301",
    "Z̸̢̛a̶l̷g̸o̵",
    "\t漏水\r\n",
    "\x1b[31m红色\x1b[0m",
    "\ufeff你好",
    "\uffff",
    "𠀀𪚥",
    "/",
    "{}",
    "null",
    "漏" * 5200,  # longer than Rasa reads: stored whole
]

# Every code point, lone surrogates and NUL included (Hypothesis leaves surrogates out by default).
any_character = st.characters(codec=None, exclude_categories=())
odd_text = st.one_of(
    st.sampled_from(ODD_SAMPLES),
    st.text(any_character, min_size=1, max_size=60),
    st.lists(st.sampled_from(ODD_SAMPLES[:-1]), min_size=2, max_size=4).map("".join),
)

# JSON values of every type, numbers outside every range included (huge integers, 1e400 → inf, NaN).
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    odd_text,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(any_character, max_size=8), children, max_size=4)),
    max_leaves=12,
)


def as_json(value: Any) -> str:
    """``value`` as JSON text a client could send: ASCII-escaped (a lone surrogate as ``\\ud800``),
    ``NaN``/``Infinity`` as Python writes them."""
    return json.dumps(value)


def body_with(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with any of ``fields`` (each of the right or any other type) and perhaps other keys."""
    optional = {name: st.one_of(strategy, json_values) for name, strategy in fields.items()}
    return st.fixed_dictionaries({}, optional=optional)


def raw_bodies(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[bytes]:
    """A request body: an object of the endpoint's fields, any JSON value, or bytes that are no JSON."""
    return st.one_of(
        body_with(fields).map(lambda body: as_json(body).encode()),
        json_values.map(lambda value: as_json(value).encode()),
        st.binary(max_size=64),
        st.sampled_from([b"", b"{", b"[" * 5000, b"{\"a\":" * 100 + b"1" + b"}" * 100, b"\xff\xfe{}", b"\xef\xbb\xbf{}", b"9" * 5000]),
    )


# A resident's WebSocket frame: the right shape with fields of any type, any JSON, or raw bytes.
FRAME_FIELDS = {
    "type": st.sampled_from(["message", "typing", "ping", ""]),
    "text": odd_text,
    "payload": st.sampled_from(["/affirm", "/deny", '/rate{"rating":"满意"}', "/", "affirm", "/" + "x" * 300]),
}
frames = st.one_of(
    body_with(FRAME_FIELDS).map(as_json),
    json_values.map(as_json),
    st.binary(max_size=64),
    st.sampled_from(["{", "[" * 5000, "", " ", "null", '"text"', "{\"text\": \"a\"" + "}" * 3]),
)


# --------------------------------------------------------------------------- a desk with something on it

AGENT, TRAINER, MANAGER, PASSWORD = "客服甲", "培训员乙", "经理丙", "correct-horse-1"


@dataclass(frozen=True)
class Desk:
    """What the seeded database holds for the endpoints to act on."""

    conversation_id: str  # claimed by AGENT: replies are stored
    message_id: int  # a resident's message in it: labels and annotations
    ticket_number: str
    resident_id: str  # a resident who was asked a callback in the chat (token: resident_token)
    phone_callback_id: int  # a callback due on the agents' phone list
    chat_callback_id: int  # the one asked in the resident's chat (agents may claim it too)
    survey_ids: tuple[int, ...]  # two surveys open for every resident

    @property
    def resident_token(self) -> str:
        return sign(SECRET.encode(), self.resident_id)


def _callback(session: Session, conversation_id: str, kind: str, channel: Channel) -> int:
    """A resolved ticket whose callback is due now (the clock has not reached the seed's window)."""
    deadlines = (COMPLAINT_DEADLINES if kind == "complaint" else REPAIR_DEADLINES)["一般"]
    ticket = create_ticket(session, NewTicket(kind, "test", "一般", "楼道灯不亮", "工程部", deadlines, contact_phone="13812345678", conversation_id=conversation_id))
    update_status(session, ticket, "resolved", AGENT)
    now = utcnow()
    callback = insert(session, ticket, Plan(kind, 1, now - timedelta(hours=1), now + timedelta(days=2), Role.AGENT, channel), now)
    assert callback is not None
    if channel is Channel.CHAT:
        assert claim_for_chat(session, callback.id, now) is not None  # asked in the chat, as the sender does
    return callback.id


def seed_desk(url: str) -> Desk:
    """An agent, a trainer and a manager account, a conversation the agent has claimed with a
    resident's message in it, and a ticket; a callback due on the agents' list and one asked in a
    resident's chat, two open surveys: real rows for the bodies to reach the code behind the
    checks."""
    conversation_id, resident_id = "c-edge", new_resident_id()
    with session_scope(url) as session:
        create_agent(session, AGENT, PASSWORD, role=Role.AGENT)
        create_agent(session, TRAINER, PASSWORD, role=Role.TRAINER)
        create_agent(session, MANAGER, PASSWORD, role=Role.MANAGER)
        message = Message(conversation_id=conversation_id, role="resident", text="厨房水管漏水了", created_at=utcnow())
        session.add(message)
        session.flush()
        request_handoff(session, conversation_id, reason="request_human", priority=Priority.NORMAL)
        claim(session, conversation_id, AGENT)
        number = create_ticket(
            session, NewTicket("repair", "plumbing", "一般", "厨房水管漏水", "工程部", REPAIR_DEADLINES["一般"], conversation_id=conversation_id)
        ).number
        session.add(Message(conversation_id=resident_id, role="resident", text="楼道灯不亮", created_at=utcnow()))
        phone, chat = _callback(session, conversation_id, "complaint", Channel.PHONE), _callback(session, resident_id, "repair", Channel.CHAT)
        now = utcnow()
        surveys = tuple(open_survey(session, title, now, now + timedelta(days=30), MANAGER).id for title in ("上半年满意度调查", "下半年满意度调查"))
        return Desk(conversation_id, message.id, number, resident_id, phone, chat, surveys)


def assert_no_unexpected_error(log: Path) -> None:
    """The gateway logged no traceback: no input reached the unexpected-error path (errors.py)."""
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text and "unexpected error" not in text, text[-3000:]
