"""Ticket desk endpoints through the real gateway process: authentication, CSRF, filters, status change, labels."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from bot.clock import as_utc
from bot.conversations.lifecycle import request_handoff
from bot.conversations.status import Priority
from bot.nlu.sentences import sentence_key
from bot.politeness import check
from bot.storage import session_scope, upgrade
from bot.storage.models import Annotation, Conversation, Message, Ticket
from bot.texts import render
from bot.tickets.rules import EMERGENCY_DEADLINES, INQUIRY_DEADLINES
from bot.tickets.service import NewTicket, create_ticket
from bot.trainer.export import export_annotations
from tests.gateway_support import login, make_agent, resident_session, running_gateway
from tests.standin_rasa import unreachable_url
from tests.trainer_support import EVALUATION_VARIANTS, small_root


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('gwtickets') / 'gw.db'}"
    upgrade(url)
    make_agent(url, "甲")
    with session_scope(url) as session:
        number = create_ticket(
            session, NewTicket("emergency", "gas", "紧急", "燃气味", "值班室", EMERGENCY_DEADLINES, contact_phone="13812345678", conversation_id="c1")
        ).number
        session.add(Conversation(id="c1", status="bot"))
        message = Message(conversation_id="c1", role="resident", text="有燃气味")
        session.add(message)
        session.flush()
        message_id = message.id
    log = tmp_path_factory.mktemp("gwticketslog") / "gateway.log"
    with running_gateway(url, unreachable_url(), log) as base:
        yield base, number, message_id, url


def test_ticket_endpoints_refuse_strangers_and_missing_csrf(seeded: tuple[str, str, int, str]) -> None:
    base, number, message_id, _ = seeded
    assert httpx.get(f"{base}/api/agent/tickets").status_code == 401
    assert httpx.post(f"{base}/api/agent/tickets/{number}", json={"status": "closed"}).status_code == 401
    assert httpx.post(f"{base}/api/agent/messages/{message_id}/label", json={"intent": "repair"}).status_code == 401
    client, _ = login(base, "甲")
    assert client.post(f"/api/agent/tickets/{number}", json={"status": "closed"}).status_code == 403


def test_list_update_and_label(seeded: tuple[str, str, int, str]) -> None:
    base, number, message_id, _ = seeded
    client, csrf = login(base, "甲")
    listed = client.get("/api/agent/tickets", params={"category": "emergency"}).json()["tickets"]
    assert [t["contact_phone"] for t in listed] == ["138****5678"]
    assert client.get("/api/agent/tickets", params={"status": "closed"}).json()["tickets"] == []
    headers = {"X-CSRF-Token": csrf}
    changed = client.post(f"/api/agent/tickets/{number}", json={"status": "in_progress", "department": "工程部"}, headers=headers)
    assert changed.status_code == 200 and changed.json()["ticket"]["history"][-1]["actor"] == "甲"
    refused = client.post(f"/api/agent/tickets/{number}", json={"status": "new"}, headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]
    transcript = client.get("/api/agent/conversations/c1")
    assert [t["number"] for t in transcript.json()["tickets"]] == [number]
    labelled = client.post(f"/api/agent/messages/{message_id}/label", json={"intent": "emergency"}, headers=headers)
    assert labelled.status_code == 200 and labelled.json()["annotation_id"]


def test_an_agents_correction_of_an_evaluation_sentence_is_never_exported(seeded: tuple[str, str, int, str], tmp_path: Path) -> None:
    """A full-width or punctuation variant of a held-out or external sentence, corrected through the
    real endpoint: saved for the agent as any correction, stored as noise, absent from the export."""
    base, _, _, url = seeded
    with session_scope(url) as session:
        messages = [Message(conversation_id="c-eval", role="resident", text=text) for text in [*EVALUATION_VARIANTS, "儿童乐园的秋千链子断了"]]
        session.add_all(messages)
        session.flush()
        ids = [m.id for m in messages]
    client, csrf = login(base, "甲")
    for message_id, intent in zip(ids, [*EVALUATION_VARIANTS.values(), "repair"], strict=True):
        labelled = client.post(f"/api/agent/messages/{message_id}/label", json={"intent": intent}, headers={"X-CSRF-Token": csrf})
        assert labelled.status_code == 200 and labelled.json()["annotation_id"], labelled.text
        assert labelled.json()["training"] == (message_id == ids[-1])
    with session_scope(url) as session:
        noise = session.execute(sa.select(Annotation.noise).where(Annotation.message_id.in_(ids)).order_by(Annotation.message_id)).scalars().all()
        assert noise == [True] * len(EVALUATION_VARIANTS) + [False]
        result = export_annotations(session, small_root(tmp_path / "project", 5))
        session.rollback()  # the test's export marks nothing as exported in the gateway's database
    exported = {sentence_key(line[6:]) for line in result.path.read_text().splitlines() if line.startswith("    - ")}
    assert sentence_key("儿童乐园的秋千链子断了") in exported
    assert not exported & {sentence_key(text) for text in EVALUATION_VARIANTS}


def test_slots_degrade_when_rasa_is_down_and_options_are_polite(seeded: tuple[str, str, int, str]) -> None:
    base, _, _, _ = seeded
    assert httpx.get(f"{base}/api/agent/conversations/c1/slots").status_code == 401
    assert httpx.get(f"{base}/api/agent/options").status_code == 401
    client, _ = login(base, "甲")
    slots = client.get("/api/agent/conversations/c1/slots")  # Rasa is unreachable in this module
    assert slots.status_code == 200 and slots.json() == {"available": False, "slots": {}}
    options = client.get("/api/agent/options").json()
    assert options["canned"] and all(check(text) == [] for text in options["canned"])
    assert "工程部" in options["departments"]


def test_queue_items_carry_the_ticket_response_deadline(seeded: tuple[str, str, int, str]) -> None:
    base, number, _, url = seeded
    client, _ = login(base, "甲")
    with session_scope(url) as session:
        ticket = session.execute(sa.select(Ticket).where(Ticket.number == number)).scalar_one()
        request_handoff(session, "c1", reason="emergency", priority=Priority.EMERGENCY, ticket_id=ticket.id)
        respond_by = as_utc(ticket.respond_by)
    item = [i for i in client.get("/api/agent/queue").json()["pending"] if i["id"] == "c1"][0]
    assert item["emergency"] and datetime.fromisoformat(item["respond_by"]) == respond_by


def test_resolving_a_ticket_tells_the_resident_politely(seeded: tuple[str, str, int, str]) -> None:
    base, number, _, url = seeded
    client, csrf = login(base, "甲")
    done = client.post(f"/api/agent/tickets/{number}", json={"status": "resolved"}, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200, done.text
    with session_scope(url) as session:
        texts = list(session.execute(sa.select(Message.text).where(Message.conversation_id == "c1", Message.role == "system")).scalars())
    assert texts == [render("agent.ticket_done", number=number)]


def _inquiry(url: str, conversation_id: str | None) -> str:
    with session_scope(url) as session:
        new = NewTicket("inquiry", "handover", "一般", "游泳池的水温多少度", "客服中心", INQUIRY_DEADLINES, conversation_id=conversation_id)
        return create_ticket(session, new).number


def test_an_agent_answers_a_tickets_resident_in_their_conversation(seeded: tuple[str, str, int, str]) -> None:
    """The question a hand-over registered (「客服专员会在…前在这里给您答复」) is answered in the
    resident's conversation without taking it over: the agent's message, a note, the first response."""
    base, _, _, url = seeded
    resident = resident_session(base)
    number = _inquiry(url, resident["resident_id"])
    client, csrf = login(base, "甲")
    headers = {"X-CSRF-Token": csrf}
    answer = "您好，游泳池水温常年保持在26–28℃，欢迎您前往。"
    assert client.post(f"/api/agent/tickets/{number}/answer", json={"text": answer}).status_code == 403  # no CSRF token
    assert client.post(f"/api/agent/tickets/{number}/answer", json={"text": "  "}, headers=headers).status_code == 400
    rude = client.post(f"/api/agent/tickets/{number}/answer", json={"text": "这个我不知道"}, headers=headers)
    assert rude.status_code == 422 and rude.json()["violations"]
    done = client.post(f"/api/agent/tickets/{number}/answer", json={"text": answer}, headers=headers)
    assert done.status_code == 200, done.text
    ticket = done.json()["ticket"]
    assert ticket["history"][-1]["note"] == f"答复居民：{answer}" and ticket["history"][-1]["actor"] == "甲" and ticket["responded_at"]
    own = httpx.get(f"{base}/api/resident/history", headers={"Authorization": f"Bearer {resident['token']}"}).json()["messages"]
    assert [(m["role"], m["text"]) for m in own] == [("agent", answer)]  # the impolite draft never reached the resident
    assert (own[0]["agent"], own[0]["event"]) == ("甲", "ticket_answer")


def test_a_ticket_answer_is_refused_where_it_cannot_be_delivered(seeded: tuple[str, str, int, str]) -> None:
    base, _, _, url = seeded
    make_agent(url, "乙")
    client, csrf = login(base, "甲")
    headers = {"X-CSRF-Token": csrf}
    answer = {"text": "您好，已为您核实，水温为26℃。"}
    assert client.post("/api/agent/tickets/WY209901010001/answer", json=answer, headers=headers).status_code == 404
    no_chat = client.post(f"/api/agent/tickets/{_inquiry(url, None)}/answer", json=answer, headers=headers)
    assert no_chat.status_code == 409 and "电话" in no_chat.json()["error"]
    with session_scope(url) as session:
        session.add(Conversation(id="c-taken", status="assigned", assigned_agent="乙"))
    taken = client.post(f"/api/agent/tickets/{_inquiry(url, 'c-taken')}/answer", json=answer, headers=headers)
    assert taken.status_code == 409 and "乙" in taken.json()["error"]
    with session_scope(url) as session:
        assert session.execute(sa.select(Message).where(Message.conversation_id == "c-taken")).first() is None
    with session_scope(url) as session:
        session.add(Conversation(id="c-queued", status="pending"))
    queued = client.post(f"/api/agent/tickets/{_inquiry(url, 'c-queued')}/answer", json=answer, headers=headers)
    assert queued.status_code == 409 and "接入" in queued.json()["error"]
    other, other_csrf = login(base, "乙")  # the agent who has it may answer there
    assert other.post(f"/api/agent/tickets/{_inquiry(url, 'c-taken')}/answer", json=answer, headers={"X-CSRF-Token": other_csrf}).status_code == 200
