"""Agent ticket desk on SQLite and PostgreSQL: filters, masked phones, allowed transitions, class corrections."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from bot.clock import utcnow
from bot.gateway.ticket_desk import change_ticket, filtered_tickets, label_message, tickets_of_conversation
from bot.storage import session_scope
from bot.storage.models import Annotation, Message, Ticket, TicketEvent
from bot.tickets.rules import EMERGENCY_DEADLINES, INQUIRY_DEADLINES
from bot.tickets.service import NewTicket, create_ticket
from tests.trainer_support import EVALUATION_VARIANTS


def _seed(url: str) -> tuple[str, str]:
    with session_scope(url) as session:
        urgent = create_ticket(
            session,
            NewTicket("emergency", "gas", "紧急", "燃气味", "值班室", EMERGENCY_DEADLINES, contact_phone="13812345678", conversation_id="c1"),
        )
        late = create_ticket(session, NewTicket("inquiry", "fee", "一般", "物业费", "客服中心", INQUIRY_DEADLINES, conversation_id="c2"))
        late.resolve_by = utcnow() - timedelta(hours=1)
        return urgent.number, late.number


def test_filters_and_masking(database_url: str) -> None:
    urgent, late = _seed(database_url)
    with session_scope(database_url) as session:
        everything = filtered_tickets(session, {}).data["tickets"]
        assert {t["number"] for t in everything} == {urgent, late}
        assert "13812345678" not in str(everything)
        assert [t["contact_phone"] for t in everything if t["number"] == urgent] == ["138****5678"]
        assert [t["number"] for t in filtered_tickets(session, {"category": "emergency"}).data["tickets"]] == [urgent]
        assert [t["number"] for t in filtered_tickets(session, {"priority": "一般"}).data["tickets"]] == [late]
        assert [t["number"] for t in filtered_tickets(session, {"overdue": "1"}).data["tickets"]] == [late]
        assert filtered_tickets(session, {"status": "resolved"}).data["tickets"] == []
        assert filtered_tickets(session, {"category": "bogus"}).status == 400
        assert [t["number"] for t in tickets_of_conversation(session, "c1")] == [urgent]


def test_status_changes_follow_transitions_and_record_actor(database_url: str) -> None:
    urgent, _ = _seed(database_url)
    with session_scope(database_url) as session:
        assert change_ticket(session, urgent, "in_progress", "工程部", "甲").ok
        assert change_ticket(session, urgent, "new", "", "甲").status == 409
        assert change_ticket(session, urgent, "resolved", "火星部", "甲").status == 400
        assert change_ticket(session, "WY000", "resolved", "", "甲").status == 404
        assert change_ticket(session, urgent, "closed", "", "甲").ok
        assert change_ticket(session, urgent, "in_progress", "", "甲").status == 409
    with session_scope(database_url) as session:
        ticket = session.execute(sa.select(Ticket).where(Ticket.number == urgent)).scalar_one()
        assert (ticket.status, ticket.department) == ("closed", "工程部")
        events = session.execute(sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)).scalars()
        assert [(e.status, e.actor) for e in events] == [("new", "bot"), ("in_progress", "甲"), ("closed", "甲")]


def test_class_correction_stores_agent_annotation(database_url: str) -> None:
    with session_scope(database_url) as session:
        resident = Message(conversation_id="c9", role="resident", text="楼道有烟味")
        bot = Message(conversation_id="c9", role="bot", text="好的")
        session.add_all([resident, bot])
        session.flush()
        ids = resident.id, bot.id
    with session_scope(database_url) as session:
        assert label_message(session, ids[0], "emergency", "甲").ok
        assert label_message(session, ids[1], "emergency", "甲").status == 404
        assert label_message(session, ids[0], "chitchat", "甲").status == 400
    with session_scope(database_url) as session:
        rows = list(session.execute(sa.select(Annotation)).scalars())
        assert [(a.message_id, a.conversation_id, a.text, a.intent, a.source, a.author) for a in rows] == [
            (ids[0], "c9", "楼道有烟味", "emergency", "agent", "甲")
        ]


def test_class_correction_of_an_evaluation_sentence_is_kept_out_of_training(database_url: str) -> None:
    """Through annotate(): a variant of a held-out or external sentence is recorded as noise (never
    exported), and the agent is answered as for any correction; a correction again replaces it."""
    with session_scope(database_url) as session:
        messages = [Message(conversation_id="c8", role="resident", text=text) for text in [*EVALUATION_VARIANTS, "楼道的灯一闪一闪的"]]
        session.add_all(messages)
        session.flush()
        ids = [m.id for m in messages]
    with session_scope(database_url) as session:
        for message_id, intent in zip(ids, [*EVALUATION_VARIANTS.values(), "repair"], strict=True):
            result = label_message(session, message_id, intent, "甲")
            assert result.ok and result.data["annotation_id"] and result.data["training"] == (message_id == ids[-1])
        again = label_message(session, ids[-1], "complaint", "甲")
        assert again.ok and again.data["annotation_id"] == result.data["annotation_id"], "one correction per message, replaced"
    with session_scope(database_url) as session:
        rows = {a.message_id: a for a in session.execute(sa.select(Annotation)).scalars()}
        assert len(rows) == len(ids) and all(a.source == "agent" and a.author == "甲" for a in rows.values())
        assert all(rows[i].noise and rows[i].intent is None for i in ids[:-1])
        assert (rows[ids[-1]].noise, rows[ids[-1]].intent) == (False, "complaint")
