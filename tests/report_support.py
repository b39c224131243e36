"""Seeded data for the dashboard and the workbook: a week of tickets of every class (some answered
late), emergencies alerted and claimed, callbacks done, due and overdue, ratings in every area,
agents' claims, first replies and refused replies. Everything through the product's own functions,
on the clock the test moves (the ``clock`` fixture)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from bot.callbacks import desk
from bot.clock import LOCAL_TZ, ShiftedClock, utcnow
from bot.conversations import activity
from bot.conversations.alerts import AlertSource, claim_alerts, raise_alert
from bot.conversations.lifecycle import claim, request_handoff
from bot.conversations.status import Priority
from bot.gateway.agents import LoggedIn
from bot.gateway.transcript import store
from bot.roles import Role
from bot.satisfaction import by_score
from bot.storage import session_scope
from bot.storage.models import SatisfactionRating
from bot.surveys.form import AREAS, OVERALL
from bot.tickets.rules import COMPLAINT_DEADLINES, EMERGENCY_DEADLINES, INQUIRY_DEADLINES, REPAIR_DEADLINES
from bot.tickets.service import create_ticket, get_ticket, responded, update_status
from tests.callback_support import resolve_ticket
from tests.ticket_support import new_ticket

FIRST_DAY = date(2026, 6, 1)
LAST_DAY = date(2026, 6, 7)
AGENT = LoggedIn(1, "客服甲", "csrf", Role.AGENT)
DEADLINES = {("repair", "急修"): REPAIR_DEADLINES["急修"], ("repair", "一般"): REPAIR_DEADLINES["一般"], ("complaint", "重要"): COMPLAINT_DEADLINES["重要"],
             ("complaint", "一般"): COMPLAINT_DEADLINES["一般"], ("inquiry", "一般"): INQUIRY_DEADLINES, ("emergency", "紧急"): EMERGENCY_DEADLINES}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ)


def _ticket(category: str, priority: str, conversation_id: str, description: str) -> str:
    with session_scope() as session:
        store(session, conversation_id, "resident", description)
        ticket = create_ticket(session, new_ticket(category=category, priority=priority, deadlines=DEADLINES[(category, priority)], description=description, conversation_id=conversation_id))
        return ticket.number


def _status(number: str, status: str, actor: str = "客服甲") -> None:
    with session_scope() as session:
        ticket = get_ticket(session, number)
        assert ticket is not None
        update_status(session, ticket, status, actor)


def seed(clock: ShiftedClock) -> datetime:
    """Seed the week of 1–7 June 2026; returns the moment the figures are taken (8 June, 9:30)."""
    day = FIRST_DAY
    kinds = [("repair", "急修", "电梯坏了停在三楼"), ("repair", "一般", "卧室窗户关不严"), ("complaint", "一般", "楼下装修噪音太吵"),
             ("complaint", "重要", "保安态度很差"), ("inquiry", "一般", "物业费可以开发票吗")]
    numbers: list[str] = []
    for n in range(7):
        for k, (category, priority, text) in enumerate(kinds[: 2 + n % 4]):
            clock.set(at(day + timedelta(days=n), 9 + k))
            numbers.append(_ticket(category, priority, f"c-{n}-{k}", text))
            if k == 3 and n % 4 == 2:  # an agent answers in the chat at 3 minutes: in time, though the status changes late
                clock.advance(timedelta(minutes=3))
                with session_scope() as session:
                    responded(session, f"c-{n}-{k}", utcnow())
            clock.advance(timedelta(minutes=5 + 20 * (k % 2)))  # some answered within 10 minutes, some not
            _status(numbers[-1], "dispatched")
            if (n + k) % 3 != 2:
                clock.advance(timedelta(hours=2 + 30 * (k % 2)))
                resolve_ticket(numbers[-1])
    # A complaint taken by phone on the 1st and never called back: overdue since the 4th.
    clock.set(at(day, 16))
    with session_scope() as session:
        forgotten = create_ticket(session, new_ticket(category="complaint", deadlines=COMPLAINT_DEADLINES["一般"], description="垃圾房很臭", conversation_id="")).number
    clock.advance(timedelta(hours=3))
    resolve_ticket(forgotten)
    # Emergencies: alerted at once, claimed a minute or three later.
    for n in range(3):
        clock.set(at(day + timedelta(days=n), 20, 10 * n))
        with session_scope() as session:
            store(session, f"e-{n}", "resident", "厨房着火了")
            raise_alert(session, f"e-{n}", kind="fire", text="厨房着火了", source=AlertSource.GATEWAY)
        clock.advance(timedelta(seconds=2 + n))
        with session_scope() as session:
            claim_alerts(session, f"e-{n}")
        clock.advance(timedelta(seconds=60 * (n + 1)))
        with session_scope() as session:
            claim(session, f"e-{n}", AGENT.name)
            activity.record_claim(session, f"e-{n}", AGENT.name, utcnow())
        clock.advance(timedelta(seconds=30 + 15 * n))
        with session_scope() as session:
            activity.record_reply(session, f"e-{n}", AGENT.name, utcnow())
    # Another agent: a request for a human, a refused reply, then the answer.
    clock.set(at(day + timedelta(days=2), 15))
    with session_scope() as session:
        request_handoff(session, "h-1", "request_human", Priority.NORMAL, "想找人工")
    clock.advance(timedelta(minutes=4))
    with session_scope() as session:
        claim(session, "h-1", "客服乙")
        activity.record_claim(session, "h-1", "客服乙", utcnow())
        activity.record_refusal(session, "h-1", "客服乙", "你自己看着办", [{"rule": "命令", "phrase": "你自己", "suggestion": "请您"}], utcnow())
        clock.advance(timedelta(minutes=1))
        activity.record_reply(session, "h-1", "客服乙", utcnow())
    # Callbacks falling due in the week: answer some (happy and not), leave others due or overdue.
    clock.set(at(LAST_DAY, 12))
    with session_scope() as session:
        due = desk.due_for_chat(session, utcnow())
    for index, callback_id in enumerate(due[-4:]):  # the earliest stay unanswered: overdue by the 8th
        with session_scope() as session:
            asked = desk.claim_for_chat(session, callback_id, utcnow())
            assert asked is not None
            if index < 3:
                desk.answer(session, callback_id, asked.conversation_id, resolved=index != 1, level=("满意", "不满意", "非常满意")[index], remark="", now=utcnow())
    # Survey-like answers in every area (as a filled-in form stores them), and agents' ratings.
    for n, area in enumerate((*AREAS, OVERALL)):
        clock.set(at(day + timedelta(days=n % 7), 18))
        with session_scope() as session:
            for m, item in enumerate(area.items):
                score = 5 - (n + m) % 5
                session.add(SatisfactionRating(conversation_id=f"s-{n}", level="", score=score, source="survey", area=area.label, item=item, created_at=utcnow()))
            session.add(SatisfactionRating(conversation_id=f"e-{n % 3}", level="", score=1 + (n * 2) % 5, source="widget", area="客户服务", item="处理问题效果",
                                           agent=("客服甲", "客服乙")[n % 2], created_at=utcnow()))
    with session_scope() as session:  # the levels' labels from their scores (one scale)
        for rating in session.execute(sa.select(SatisfactionRating).where(SatisfactionRating.level == "")).scalars():
            rating.level = by_score(rating.score).label
    moment = at(LAST_DAY + timedelta(days=1), 9, 30)  # no deadline falls within minutes of it
    clock.set(moment)
    return moment
