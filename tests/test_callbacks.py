"""bot.callbacks on SQLite and PostgreSQL: the seed's rules (DOMAIN §6), scheduling on resolution,
sending once in the chat, the claim race, the resident's and the agent's answers, the unhappy
answer's follow-up, and unanswered chat callbacks moving to the phone list."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.callbacks import desk, rules
from bot.callbacks.status import Channel, State, Status, state_of
from bot.clock import ShiftedClock, utcnow
from bot.gateway.agents import LoggedIn
from bot.roles import Role
from bot.satisfaction import by_label
from bot.storage import session_scope
from bot.storage.models import Callback, SatisfactionRating, Ticket
from tests.callback_support import callback_row, chat_ticket, resolve_ticket, ticket_row

AGENT = LoggedIn(1, "客服甲", "csrf", Role.AGENT)
OTHER = LoggedIn(2, "客服乙", "csrf", Role.AGENT)
MANAGER = LoggedIn(3, "经理丙", "csrf", Role.MANAGER)


# --------------------------------------------------------------------------- the rules


class Facts:
    def __init__(self, category: str, priority: str = "一般", phone: str = "13812345678") -> None:
        self.category, self.priority, self.contact_phone = category, priority, phone


def test_windows_who_and_how_follow_the_seed() -> None:
    resolved = utcnow()
    complaint = rules.plan(Facts("complaint"), resolved, in_chat=True)
    assert complaint is not None
    assert (complaint.due_from - resolved, complaint.due_by - resolved) == (timedelta(days=1), timedelta(days=3))
    assert (complaint.assignee_role, complaint.channel) == (Role.AGENT, Channel.CHAT)
    repair = rules.plan(Facts("repair", "急修"), resolved, in_chat=False)
    assert repair is not None
    assert (repair.due_from - resolved, repair.due_by - resolved) == (timedelta(days=7), timedelta(days=10))
    assert (repair.assignee_role, repair.channel) == (Role.AGENT, Channel.PHONE)
    major = rules.plan(Facts("complaint", "重大"), resolved, in_chat=True)
    assert major is not None and major.assignee_role is Role.MANAGER
    assert rules.plan(Facts("complaint", phone=""), resolved, in_chat=False) is None  # nobody to call back
    assert rules.plan(Facts("complaint", phone=""), resolved, in_chat=True) is not None
    assert rules.plan(Facts("inquiry"), resolved, in_chat=True) is None
    assert rules.plan(Facts("emergency"), resolved, in_chat=True) is None
    follow = rules.follow_up_plan("repair", 2, resolved)
    assert (follow.assignee_role, follow.channel, follow.attempt) == (Role.MANAGER, Channel.PHONE, 2)
    assert rules.RATE_TARGETS == {"complaint": 1.0, "repair": 0.9}


def test_unhappy_is_not_fixed_or_a_disappointed_level() -> None:
    assert [rules.unhappy(True, by_label(label)) for label in ("非常满意", "满意", "一般", "不满意", "很不满意")] == [False, False, False, True, True]
    assert rules.unhappy(False, by_label("非常满意"))
    assert rules.may_make("agent", "agent") and rules.may_make("agent", "manager") and rules.may_make("manager", "manager")
    assert not rules.may_make("manager", "agent") and not rules.may_make("agent", "trainer")


# --------------------------------------------------------------------------- scheduling


def test_resolving_schedules_once_by_the_rules(database_url: str, clock: ShiftedClock) -> None:
    complaint = chat_ticket("r-1")
    repair = chat_ticket("", category="repair", description="卧室窗户关不严")
    nameless = chat_ticket("", description="小区里有人遛狗不拴绳", phone="")
    inquiry = chat_ticket("r-2", category="complaint")
    now = utcnow()
    complaint_id, repair_id = resolve_ticket(complaint), resolve_ticket(repair)
    assert complaint_id is not None and repair_id is not None
    assert resolve_ticket(nameless) is None
    with session_scope() as session:
        session.execute(sa.update(Ticket).where(Ticket.number == inquiry).values(category="inquiry"))
    assert resolve_ticket(inquiry) is None
    first, second = callback_row(complaint_id), callback_row(repair_id)
    assert (first.channel, first.assignee_role, first.attempt, first.conversation_id) == ("chat", "agent", 1, "r-1")
    assert (second.channel, second.kind) == ("phone", "repair")
    assert abs((second.due_from - now) - timedelta(days=7)) < timedelta(seconds=5)
    assert state_of(first, utcnow()) is State.UPCOMING
    clock.advance(timedelta(days=1, minutes=1))
    assert state_of(first, utcnow()) is State.DUE
    clock.advance(timedelta(days=2))
    assert state_of(first, utcnow()) is State.OVERDUE


def test_the_sender_claims_a_due_chat_callback_once(database_url: str, clock: ShiftedClock) -> None:
    callback_id = resolve_ticket(chat_ticket("r-1"))
    assert callback_id is not None
    with session_scope() as session:
        assert desk.due_for_chat(session, utcnow()) == []
    clock.advance(timedelta(days=1))
    with session_scope() as session:
        assert desk.due_for_chat(session, utcnow()) == [callback_id]
        asked = desk.claim_for_chat(session, callback_id, utcnow())
        assert asked is not None and asked.conversation_id == "r-1" and asked.kind == "complaint"
    with session_scope() as session:
        assert desk.claim_for_chat(session, callback_id, utcnow()) is None
        assert desk.due_for_chat(session, utcnow()) == []
    assert callback_row(callback_id).status == "sent"


def race(callback_id: int, contenders: list[object], attempt: object) -> list[bool]:
    """Contenders act on the same callback at the same moment, each in its own transaction."""
    barrier = threading.Barrier(len(contenders))
    results: list[bool] = []
    errors: list[BaseException] = []

    def contend(who: object) -> None:
        try:
            with session_scope() as session:
                barrier.wait(timeout=10)
                results.append(bool(attempt(session, who)))  # type: ignore[operator]
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=contend, args=(who,)) for who in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_two_senders_racing_send_once(database_url: str, clock: ShiftedClock) -> None:
    ids = [resolve_ticket(chat_ticket(f"r-{i}")) for i in range(4)]
    clock.advance(timedelta(days=2))
    for callback_id in ids:
        won = race(callback_id, ["gateway-a", "gateway-b"], lambda session, _who, cid=callback_id: desk.claim_for_chat(session, cid, utcnow()))
        assert sorted(won) == [False, True]


def test_two_agents_racing_claim_once(database_url: str, clock: ShiftedClock) -> None:
    callback_id = resolve_ticket(chat_ticket("", category="repair", description="卧室窗户关不严"))
    assert callback_id is not None
    with session_scope() as session:
        assert desk.claim(session, callback_id, AGENT, utcnow()) is desk.Refusal.NOT_CLAIMABLE  # not due yet
    clock.advance(timedelta(days=7, minutes=1))
    won = race(callback_id, [AGENT, OTHER, MANAGER], lambda session, who: desk.claim(session, callback_id, who, utcnow()) is None)
    assert sorted(won) == [False, False, True]
    assert callback_row(callback_id).status == "claimed"


def test_a_major_complaint_is_the_managers(database_url: str, clock: ShiftedClock) -> None:
    callback_id = resolve_ticket(chat_ticket("", priority="重大", description="多次报修没人管，家里被淹了"))
    assert callback_id is not None
    clock.advance(timedelta(days=1, minutes=1))
    with session_scope() as session:
        assert desk.claim(session, callback_id, AGENT, utcnow()) is desk.Refusal.NOT_CLAIMABLE
        assert desk.claim(session, callback_id, MANAGER, utcnow()) is None


# --------------------------------------------------------------------------- answers


def _asked(conversation_id: str = "r-1", **kwargs: str) -> int:
    callback_id = resolve_ticket(chat_ticket(conversation_id, **kwargs))
    assert callback_id is not None
    with session_scope() as session:
        assert desk.claim_for_chat(session, callback_id, utcnow() + timedelta(days=10)) is not None
    return callback_id


def test_a_happy_answer_is_stored_once_with_its_rating(database_url: str) -> None:
    callback_id = _asked()
    with session_scope() as session:
        assert desk.answer(session, callback_id, "someone-else", resolved=True, level="满意", remark="", now=utcnow()) is desk.Refusal.NOT_FOUND
        assert desk.answer(session, callback_id, "r-1", resolved=True, level="还行", remark="", now=utcnow()) is desk.Refusal.BAD_INPUT
        assert desk.answer(session, callback_id, "r-1", resolved="yes", level="满意", remark="", now=utcnow()) is desk.Refusal.BAD_INPUT
        done = desk.answer(session, callback_id, "r-1", resolved=True, level="满意", remark="师傅很耐心", now=utcnow())
        assert isinstance(done, desk.Completed) and not done.unhappy
    with session_scope() as session:
        assert desk.answer(session, callback_id, "r-1", resolved=True, level="满意", remark="", now=utcnow()) is desk.Refusal.ALREADY_DONE
        rating = session.execute(sa.select(SatisfactionRating).where(SatisfactionRating.callback_id == callback_id)).scalar_one()
    row = callback_row(callback_id)
    assert (row.status, row.method, row.done_by, row.resolved, row.level, row.score, row.remark) == ("done", "chat", "resident", True, "满意", 4, "师傅很耐心")
    assert (rating.area, rating.item, rating.score, rating.source, rating.conversation_id) == ("投诉受理", "处理结果", 4, "callback", "r-1")


def test_an_unhappy_answer_reopens_and_schedules_the_managers_phone_callback(database_url: str, clock: ShiftedClock) -> None:
    callback_id = _asked()
    number = ticket_row_of(callback_id)
    with session_scope() as session:
        done = desk.answer(session, callback_id, "r-1", resolved=False, level="很不满意", remark="噪音还在", now=utcnow())
    assert isinstance(done, desk.Completed) and done.unhappy and done.follow_up is not None
    assert done.follow_up.reopened and done.follow_up.ticket_number == number
    ticket = ticket_row(number)
    assert ticket.status == "in_progress" and "回访" in ticket.events[-1].note
    follow = callback_row(done.follow_up.next_callback_id or 0)
    assert (follow.attempt, follow.assignee_role, follow.channel, follow.previous_id, follow.status) == (2, "manager", "phone", callback_id, "scheduled")
    # Resolved again: the waiting follow-up is re-timed from the new resolution, not duplicated.
    clock.advance(timedelta(days=2))
    assert resolve_ticket(number) == follow.id
    assert callback_row(follow.id).due_from > follow.due_from


def test_an_unhappy_answer_on_a_closed_ticket_opens_a_follow_up_ticket(database_url: str) -> None:
    callback_id = _asked(category="repair", description="卧室窗户关不严")
    number = ticket_row_of(callback_id)
    with session_scope() as session:
        ticket = session.execute(sa.select(Ticket).where(Ticket.number == number)).scalar_one()
        ticket.status = "closed"
    with session_scope() as session:
        done = desk.answer(session, callback_id, "r-1", resolved=True, level="不满意", remark="", now=utcnow())
    assert isinstance(done, desk.Completed) and done.follow_up is not None and not done.follow_up.reopened
    follow_ticket = ticket_row(done.follow_up.ticket_number)
    assert follow_ticket.number != number and follow_ticket.category == "repair" and number in follow_ticket.description
    assert callback_row(callback_id).follow_up_ticket_id == follow_ticket.id
    assert callback_row(done.follow_up.next_callback_id or 0).ticket_id == follow_ticket.id


def ticket_row_of(callback_id: int) -> str:
    with session_scope() as session:
        return session.execute(sa.select(Ticket.number).join(Callback, Callback.ticket_id == Ticket.id).where(Callback.id == callback_id)).scalar_one()


def test_an_agent_records_a_call(database_url: str, clock: ShiftedClock) -> None:
    callback_id = resolve_ticket(chat_ticket("", category="repair", description="卧室窗户关不严"))
    assert callback_id is not None
    clock.advance(timedelta(days=8))
    with session_scope() as session:
        assert desk.claim(session, callback_id, AGENT, utcnow()) is None
        item = desk.item(session, callback_id, AGENT, utcnow())
        other = desk.item(session, callback_id, OTHER, utcnow())
    assert item is not None and other is not None
    assert item["contact_phone"] == "13812345678" and other["contact_phone"] != "13812345678"  # whole only for the caller
    assert item["capabilities"] == {"claim": False, "record": True} and other["capabilities"] == {"claim": False, "record": False}
    with session_scope() as session:
        assert desk.record(session, callback_id, OTHER, method="phone", resolved=True, level="满意", remark="", now=utcnow()) is desk.Refusal.NOT_YOURS
        assert desk.record(session, callback_id, AGENT, method="chat", resolved=True, level="满意", remark="", now=utcnow()) is desk.Refusal.BAD_INPUT
        done = desk.record(session, callback_id, AGENT, method="visit", resolved=True, level="非常满意", remark="上门查看，窗户已修好", now=utcnow())
    assert isinstance(done, desk.Completed) and not done.unhappy
    row = callback_row(callback_id)
    assert (row.method, row.done_by, row.score) == ("visit", "客服甲", 5)


def test_an_unanswered_chat_callback_moves_to_the_phone_list(database_url: str, clock: ShiftedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLBACK_CHAT_TIMEOUT_HOURS", "24")
    callback_id = resolve_ticket(chat_ticket("r-1"))
    assert callback_id is not None
    clock.advance(timedelta(days=1))
    with session_scope() as session:
        assert desk.claim_for_chat(session, callback_id, utcnow()) is not None
    with session_scope() as session:
        assert desk.item(session, callback_id, AGENT, utcnow())["state"] == "awaiting"  # type: ignore[index]
    clock.advance(timedelta(hours=23))
    with session_scope() as session:
        assert desk.move_unanswered(session, utcnow()) == 0
    clock.advance(timedelta(hours=2))
    with session_scope() as session:
        assert desk.move_unanswered(session, utcnow()) == 1
        listed = desk.listing(session, AGENT, utcnow())
    assert [(i["id"], i["state"], i["channel"], i["capabilities"]["claim"]) for i in listed] == [(callback_id, "due", "phone", True)]
    # The question stays in the chat: the resident may still answer it there.
    with session_scope() as session:
        assert isinstance(desk.answer(session, callback_id, "r-1", resolved=True, level="满意", remark="", now=utcnow()), desk.Completed)
    assert callback_row(callback_id).status == Status.DONE


def test_the_list_shows_overdue_first_then_due_then_done(database_url: str, clock: ShiftedClock) -> None:
    late = resolve_ticket(chat_ticket("", description="垃圾桶没人清理"))
    clock.advance(timedelta(days=2))
    due = resolve_ticket(chat_ticket("", description="楼道灯坏了没人修"))
    clock.advance(timedelta(days=1, hours=12))
    with session_scope() as session:
        assert desk.claim(session, due or 0, AGENT, utcnow()) is None
    with session_scope() as session:
        assert isinstance(desk.record(session, due or 0, AGENT, method="phone", resolved=True, level="满意", remark="", now=utcnow()), desk.Completed)
    fresh = resolve_ticket(chat_ticket("", description="电梯里有广告"))
    clock.advance(timedelta(days=1, minutes=1))
    with session_scope() as session:
        listed = desk.listing(session, AGENT, utcnow())
    assert [(i["id"], i["state"]) for i in listed] == [(late, "overdue"), (fresh, "due"), (due, "done")]


def test_the_database_refuses_a_status_outside_the_lifecycle(database_url: str) -> None:
    callback_id = resolve_ticket(chat_ticket("r-1"))
    with pytest.raises(sa.exc.IntegrityError), session_scope() as session:
        session.execute(sa.update(Callback).where(Callback.id == callback_id).values(status="lost"))
