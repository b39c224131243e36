"""The ticket service (bot/tickets/service.py) on SQLite and PostgreSQL: numbers, creation and lookup,
the status history, lists and filters, masked phones in what lists show (DOMAIN §2–§5).

Times come from the ``clock`` fixture (tests/conftest.py): tickets made "four days ago" are made
with the product's clock moved back, never with the real date.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.clock import LOCAL_TZ, ShiftedClock, as_utc
from bot.storage import session_scope
from bot.storage.models import Attachment, Conversation
from bot.tickets.rules import COMPLAINT_DEADLINES, EMERGENCY_DEADLINES, INQUIRY_DEADLINES, REPAIR_DEADLINES, Deadlines
from bot.tickets.service import (
    create_ticket,
    get_ticket,
    is_overdue,
    list_tickets,
    ticket_number,
    ticket_to_dict,
    tickets_for_phone,
    update_status,
)
from tests.sql_support import statements_of
from tests.ticket_support import PHONE, load, make_ticket, new_ticket

# --------------------------------------------------------------------------- ticket numbers


def test_ticket_number_is_wy_local_date_and_padded_id(database_url: str) -> None:
    numbers = [make_ticket(), make_ticket(category="complaint", priority="重要", deadlines=COMPLAINT_DEADLINES["重要"])]
    for number in numbers:
        ticket = load(number)
        local_day = as_utc(ticket.created_at).astimezone(LOCAL_TZ).strftime("%Y%m%d")
        assert number == f"WY{local_day}{ticket.id:04d}"
        assert len(number) == 14
    assert numbers[0] != numbers[1]


def test_ticket_number_uses_the_local_date_in_shanghai() -> None:
    # 2026-11-22 18:30 UTC is already 23 November in Asia/Shanghai.
    late_evening_utc = datetime(2026, 11, 22, 18, 30, tzinfo=timezone.utc)
    assert ticket_number(7, late_evening_utc) == "WY202611230007"
    assert ticket_number(12345, datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)) == "WY2026010512345"


def test_get_ticket_tolerates_case_and_spaces(database_url: str) -> None:
    number = make_ticket()
    with session_scope() as session:
        found = get_ticket(session, f"  {number.lower()} ")
        assert found is not None and found.number == number
        assert get_ticket(session, "WY200001010001") is None


def test_unknown_category_is_refused(database_url: str) -> None:
    with session_scope() as session, pytest.raises(ValueError):
        create_ticket(session, new_ticket(category="chitchat"))


# --------------------------------------------------------------------------- status history


def test_status_history_records_every_change(database_url: str) -> None:
    number = make_ticket()
    with session_scope() as session:
        ticket = get_ticket(session, number)
        assert ticket is not None
        update_status(session, ticket, "dispatched", actor="agent:zhang", note="派给水电工", department="工程部")
        update_status(session, ticket, "in_progress", actor="worker:li")
        update_status(session, ticket, "resolved", actor="worker:li", note="已更换阀门")
    ticket = load(number)
    assert ticket.status == "resolved"
    history = [(e.status, e.actor, e.note) for e in ticket.events]
    assert history == [
        ("new", "bot", "受理"),
        ("dispatched", "agent:zhang", "派给水电工"),
        ("in_progress", "worker:li", ""),
        ("resolved", "worker:li", "已更换阀门"),
    ]
    times = [as_utc(e.created_at) for e in ticket.events]
    assert times == sorted(times)
    assert [h["status"] for h in ticket_to_dict(ticket)["history"]] == ["new", "dispatched", "in_progress", "resolved"]


def test_unknown_status_is_refused_and_nothing_is_recorded(database_url: str) -> None:
    number = make_ticket()
    with session_scope() as session:
        ticket = get_ticket(session, number)
        assert ticket is not None
        with pytest.raises(ValueError):
            update_status(session, ticket, "lost", actor="agent")
    ticket = load(number)
    assert ticket.status == "new" and len(ticket.events) == 1


# --------------------------------------------------------------------------- lists and filters


def test_list_filters_by_category_priority_status_and_overdue(database_url: str, clock: ShiftedClock) -> None:
    now = clock()
    # Four days ago: a general repair (72 h) now overdue, and one already resolved.
    clock.set(now - timedelta(days=4))
    late = make_ticket(description="阳台门关不上")
    done_late = make_ticket(description="厨房柜门掉了")
    with session_scope() as session:
        ticket = get_ticket(session, done_late)
        assert ticket is not None
        update_status(session, ticket, "resolved", actor="worker")
    # Now: fresh tickets of each category.
    clock.set(now)
    urgent = make_ticket(priority="急修", deadlines=REPAIR_DEADLINES["急修"], description="电梯停在两层之间")
    complaint = make_ticket(category="complaint", priority="重要", deadlines=COMPLAINT_DEADLINES["重要"])
    inquiry = make_ticket(category="inquiry", priority="一般", deadlines=INQUIRY_DEADLINES)
    emergency = make_ticket(category="emergency", priority="紧急", deadlines=EMERGENCY_DEADLINES)
    no_deadline = make_ticket(deadlines=Deadlines(None, None, ""))

    def numbers(**filters: object) -> set[str]:
        with session_scope() as session:
            return {t.number for t in list_tickets(session, **filters)}  # type: ignore[arg-type]

    assert numbers() == {late, done_late, urgent, complaint, inquiry, emergency, no_deadline}
    assert numbers(category="repair") == {late, done_late, urgent, no_deadline}
    assert numbers(category="complaint") == {complaint}
    assert numbers(category="emergency", priority="紧急") == {emergency}
    assert numbers(priority="急修") == {urgent}
    assert numbers(status="resolved") == {done_late}
    assert numbers(status="new", category="repair") == {late, urgent, no_deadline}
    assert numbers(overdue=True) == {late}
    assert numbers(overdue=True, category="complaint") == set()
    with session_scope() as session:
        newest_first = [t.number for t in list_tickets(session)]
        assert newest_first[:2] == [no_deadline, emergency]
        assert newest_first[-2:] == [done_late, late]
        assert len(list_tickets(session, limit=3)) == 3
    assert is_overdue(load(late)) and not is_overdue(load(done_late)) and not is_overdue(load(no_deadline))
    assert ticket_to_dict(load(late))["overdue"] is True


# --------------------------------------------------------------------------- phone numbers


def test_ticket_to_dict_masks_the_phone(database_url: str) -> None:
    number = make_ticket(phone="13912348765")
    ticket = load(number)
    shown = ticket_to_dict(ticket)
    assert shown["contact_phone"] == "139****8765"
    assert "13912348765" not in json.dumps(shown, ensure_ascii=False)
    assert ticket_to_dict(ticket, mask=False)["contact_phone"] == "13912348765"
    assert shown["number"] == number and shown["category"] == "repair"
    assert shown["resolve_by"] is not None and datetime.fromisoformat(shown["resolve_by"]).tzinfo is not None


def test_tickets_for_phone_newest_first_and_only_that_phone(database_url: str, clock: ShiftedClock) -> None:
    now = clock()
    clock.set(now - timedelta(hours=3))
    first = make_ticket(phone=PHONE)
    clock.set(now - timedelta(hours=2))
    other = make_ticket(phone="13700001111")
    clock.set(now - timedelta(hours=1))
    second = make_ticket(phone=PHONE, category="complaint", priority="一般", deadlines=COMPLAINT_DEADLINES["一般"])
    with session_scope() as session:
        assert [t.number for t in tickets_for_phone(session, PHONE)] == [second, first]
        assert [t.number for t in tickets_for_phone(session, PHONE, limit=1)] == [second]
        assert [t.number for t in tickets_for_phone(session, "13700001111")] == [other]
        assert tickets_for_phone(session, "13600000000") == []


# --------------------------------------------------------------------------- photos of the case


def test_a_new_ticket_takes_the_photos_of_the_current_case_only(database_url: str) -> None:
    """Photos sent before an agent last ended the conversation belong to the finished case; a new
    ticket takes those sent since, in the one UPDATE that links them; its community is read by its
    INSERT (no SELECT before it)."""
    ended = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
    with session_scope() as session:
        session.add(Conversation(id="conv-1", status="bot", resolved_at=ended))
        for minutes in (-30, 30):
            session.add(Attachment(conversation_id="conv-1", content_type="image/png", size=3, data=b"png", created_at=ended + timedelta(minutes=minutes)))
    seen = statements_of(lambda session: create_ticket(session, new_ticket()))
    assert seen.count("UPDATE") == 2 and "SELECT" not in seen, seen  # the number, then the photos
    with session_scope() as session:
        linked = {a.created_at: a.ticket_id for a in session.execute(sa.select(Attachment)).scalars()}
    assert linked[ended - timedelta(minutes=30)] is None
    assert linked[ended + timedelta(minutes=30)] is not None
