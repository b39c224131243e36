"""The intake of each category (bot/intake/) on SQLite and PostgreSQL: the ticket it stores — class,
priority, department and deadlines by the rules of bot/tickets/rules.py (DOMAIN §2–§5) — and, for an
emergency, the place in the agents' queue. What the resident is told is worded by the actions
(tests/test_actions.py) from the facts these functions return.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot import texts
from bot.clock import LOCAL_TZ, as_utc
from bot.conversations.lifecycle import conversation_status
from bot.conversations.status import Priority
from bot.intake.complaint import ComplaintRequest, create_complaint_ticket
from bot.intake.emergency import handle_emergency
from bot.intake.inquiry import create_inquiry_ticket
from bot.intake.repair import RepairRequest, create_repair_ticket
from bot.storage import session_scope
from bot.storage.models import HandoffRequest, Ticket
from bot.tickets.rules import (
    COMPLAINT_DEADLINES,
    EMERGENCY_DEADLINES,
    INQUIRY_DEADLINES,
    REPAIR_DEADLINES,
    SAME_DAY_PROMISE,
    complaint_class,
    repair_priority,
)
from tests.ticket_support import PHONE


def only_ticket_of(conversation_id: str) -> Ticket:
    with session_scope() as session:
        tickets = list(session.execute(sa.select(Ticket).where(Ticket.conversation_id == conversation_id)).scalars())
    assert len(tickets) == 1, tickets
    return tickets[0]


def assert_deadlines(ticket: Ticket, respond: timedelta | None, resolve_within: timedelta | None) -> None:
    created = as_utc(ticket.created_at)
    if respond is None:
        assert ticket.respond_by is None
    else:
        assert ticket.respond_by is not None
        assert as_utc(ticket.respond_by) - created == respond
    if resolve_within is None:
        assert ticket.resolve_by is None
    else:
        assert ticket.resolve_by is not None
        assert as_utc(ticket.resolve_by) - created == resolve_within


@pytest.mark.parametrize(
    ("problem", "priority", "respond", "resolve_within"),
    [
        ("厨房水管爆了，水一直往外喷", "急修", timedelta(hours=2), timedelta(hours=24)),
        ("2号楼电梯按了没反应", "急修", timedelta(hours=2), timedelta(hours=24)),
        ("家里突然停电了，别家都有电", "急修", timedelta(hours=2), timedelta(hours=24)),
        ("卧室窗户关不严，有点漏风", "一般", None, timedelta(hours=72)),
        ("卫生间门把手松了", "一般", None, timedelta(hours=72)),
    ],
)
def test_repair_ticket_priority_and_deadlines(
    database_url: str, problem: str, priority: str, respond: timedelta | None, resolve_within: timedelta | None
) -> None:
    sender = f"repair-{priority}"
    created = create_repair_ticket(RepairRequest(problem, "3-2-102", PHONE, "明天上午", sender, "王", "先生"))
    ticket = only_ticket_of(sender)
    assert ticket.category == "repair"
    assert ticket.priority == priority == repair_priority(problem)
    assert ticket.department == "工程部"
    assert ticket.visit_time == "明天上午"
    assert ticket.contact_name == "王先生"
    assert_deadlines(ticket, respond, resolve_within)
    # What the resident is told is worded by the action (tests/test_actions.py) from these facts.
    assert (created.number, created.priority, created.department) == (ticket.number, priority, "工程部")
    assert created.promise == REPAIR_DEADLINES[priority].promise and created.resolve_by == ticket.resolve_by


@pytest.mark.parametrize(
    ("detail", "level"),
    [
        ("我已经第三次报修了，楼道灯还是没人来修", "重大"),
        ("楼上空调外机掉下来把我的车砸坏了，要求赔偿", "重大"),
        ("物业收费不公开，账目看不到", "重要"),
        ("维修师傅约好了却没来", "重要"),
        ("隔壁邻居家的狗半夜一直叫", "一般"),
    ],
)
def test_complaint_ticket_class(database_url: str, detail: str, level: str) -> None:
    sender = "complaint"
    created = create_complaint_ticket(ComplaintRequest(detail, "其他", "5-1-301", PHONE, sender))
    ticket = only_ticket_of(sender)
    assert complaint_class(f"其他 {detail}") == level
    assert ticket.category == "complaint"
    assert ticket.priority == level
    assert ticket.description == f"【其他】{detail}"
    assert ticket.respond_by is not None
    assert as_utc(ticket.respond_by) - as_utc(ticket.created_at) == timedelta(minutes=10)
    assert ticket.resolve_by is not None
    assert as_utc(ticket.resolve_by) - as_utc(ticket.created_at) <= COMPLAINT_DEADLINES[level].resolve_within
    assert (created.number, created.priority, created.department) == (ticket.number, level, ticket.department)


def test_minor_complaint_gets_three_days_and_service_complaint_the_same_day(database_url: str) -> None:
    create_complaint_ticket(ComplaintRequest("楼下邻居家小孩晚上拍球很吵", "邻里噪音或占道", "", PHONE, "minor"))
    minor = only_ticket_of("minor")
    assert minor.priority == "一般"
    assert_deadlines(minor, timedelta(minutes=10), timedelta(days=3))

    created = create_complaint_ticket(ComplaintRequest("门岗保安说话很冲", "工作人员服务", "", PHONE, "service"))
    service_complaint = only_ticket_of("service")
    assert service_complaint.department == "秩序维护部"
    assert created.promise == SAME_DAY_PROMISE and "今天之内" in texts.render(created.promise)
    assert service_complaint.resolve_by is not None
    resolve_local = as_utc(service_complaint.resolve_by).astimezone(LOCAL_TZ)
    created_local = as_utc(service_complaint.created_at).astimezone(LOCAL_TZ)
    # Same day, or at most 4 hours for a complaint made late in the evening.
    assert resolve_local.date() == created_local.date() or resolve_local - created_local <= timedelta(hours=4, minutes=1)


def test_inquiry_ticket_for_staff(database_url: str) -> None:
    created = create_inquiry_ticket("小区能不能装充电桩？", PHONE, "inq", "李", "女士")
    ticket = only_ticket_of("inq")
    assert (ticket.category, ticket.subcategory, ticket.priority) == ("inquiry", "handover", "一般")
    assert_deadlines(ticket, INQUIRY_DEADLINES.respond_within, INQUIRY_DEADLINES.resolve_within)
    assert ticket.contact_name == "李女士" and created.number == ticket.number and created.resolve_by == ticket.resolve_by


def test_emergency_ticket_handoff_and_queue(database_url: str) -> None:
    outcome = handle_emergency("emg", "救命，8栋厨房着火了，烟很大", "8-1-101", PHONE)
    ticket = only_ticket_of("emg")
    assert outcome.kind == "fire" and outcome.ticket_number == ticket.number
    assert (ticket.category, ticket.subcategory, ticket.priority) == ("emergency", "fire", "紧急")
    assert ticket.address == "8-1-101" and ticket.contact_phone == PHONE
    assert_deadlines(ticket, EMERGENCY_DEADLINES.respond_within, EMERGENCY_DEADLINES.resolve_within)
    with session_scope() as session:
        requests = list(session.execute(sa.select(HandoffRequest).where(HandoffRequest.conversation_id == "emg")).scalars())
        assert [(r.reason, r.priority, r.ticket_id) for r in requests] == [("emergency", Priority.EMERGENCY, ticket.id)]
        assert conversation_status(session, "emg") == "pending"
    assert not outcome.address_missing and not outcome.phone_missing
