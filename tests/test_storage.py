"""Storage on SQLite and PostgreSQL: migrations, tickets (DOMAIN §2–§5) and the agent queue."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from bot.clock import LOCAL_TZ, as_utc
from bot.handoff import queue
from bot.handoff.queue import (
    PRIORITY_EMERGENCY,
    PRIORITY_HIGH,
    PRIORITY_NORMAL,
    claim,
    conversation_status,
    hand_back,
    pending_queue,
    request_handoff,
    resolve,
    status_for_new_message,
)
from bot.intake.complaint import ComplaintRequest, create_complaint_ticket
from bot.intake.emergency import handle_emergency
from bot.intake.inquiry import create_inquiry_ticket
from bot.intake.repair import RepairRequest, create_repair_ticket
from bot.storage import session_scope
from bot.storage.database import get_engine
from bot.storage.migrate import alembic_config, downgrade, upgrade
from bot.storage.models import Base, Conversation, HandoffRequest, Ticket
from bot.tickets import service
from bot.tickets.rules import (
    COMPLAINT_DEADLINES,
    EMERGENCY_DEADLINES,
    INQUIRY_DEADLINES,
    REPAIR_DEADLINES,
    Deadlines,
    complaint_class,
    repair_priority,
)
from bot.tickets.service import (
    NewTicket,
    create_ticket,
    get_ticket,
    is_overdue,
    list_tickets,
    ticket_number,
    ticket_to_dict,
    tickets_for_phone,
    update_status,
)

PRODUCT_TABLES = {"tickets", "ticket_events", "conversations", "handoff_requests", "messages", "satisfaction_ratings"}
MODEL_TABLES = set(Base.metadata.tables)
PHONE = "13812345678"


# --------------------------------------------------------------------------- helpers


def new_ticket(
    category: str = "repair",
    priority: str = "一般",
    deadlines: Deadlines = REPAIR_DEADLINES["一般"],
    phone: str = PHONE,
    description: str = "卧室窗户关不严",
    conversation_id: str = "conv-1",
) -> NewTicket:
    return NewTicket(
        category=category,
        subcategory="test",
        priority=priority,
        description=description,
        department="工程部",
        deadlines=deadlines,
        address="3-2-102",
        contact_phone=phone,
        contact_name="王先生",
        conversation_id=conversation_id,
    )


def make_ticket(**kwargs: object) -> str:
    """Create a ticket in its own transaction and return its number."""
    with session_scope() as session:
        return create_ticket(session, new_ticket(**kwargs)).number  # type: ignore[arg-type]


def load(number: str) -> Ticket:
    with session_scope() as session:
        ticket = get_ticket(session, number)
        assert ticket is not None, number
        return ticket


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


class FakeClock:
    """A controllable ``utcnow`` that moves forward a little on every call."""

    def __init__(self, start: datetime, step: timedelta = timedelta(seconds=1)) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[datetime], FakeClock]]:
    def install(start: datetime) -> FakeClock:
        clock = FakeClock(start)
        monkeypatch.setattr(queue, "utcnow", clock)
        monkeypatch.setattr(service, "utcnow", clock)
        return clock

    yield install


# --------------------------------------------------------------------------- migrations


def table_names(url: str) -> set[str]:
    return set(sa.inspect(get_engine(url)).get_table_names())


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(url: str) -> str | None:
    with get_engine(url).connect() as connection:
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def test_migrations_create_exactly_the_model_tables(database_url: str) -> None:
    assert PRODUCT_TABLES <= MODEL_TABLES
    assert table_names(database_url) == MODEL_TABLES | {"alembic_version"}
    assert current_revision(database_url) == head_revision()


def test_migrations_upgrade_downgrade_upgrade(database_url: str) -> None:
    make_ticket()

    downgrade()
    assert table_names(database_url) & MODEL_TABLES == set()
    assert current_revision(database_url) is None

    upgrade()
    assert table_names(database_url) == MODEL_TABLES | {"alembic_version"}
    with session_scope() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Ticket)).scalar_one() == 0
    # The schema works again after the round trip.
    number = make_ticket()
    assert load(number).status == "new"


def test_migrations_step_down_and_up_one_revision_at_a_time(database_url: str) -> None:
    number = make_ticket()
    downgrade(revision="0001")
    assert current_revision(database_url) == "0001"
    assert table_names(database_url) >= PRODUCT_TABLES
    assert load(number).number == number  # data in the core tables survives
    upgrade()
    assert current_revision(database_url) == head_revision()
    upgrade()  # idempotent at head
    assert current_revision(database_url) == head_revision()


def test_fixture_points_the_product_at_the_test_database(database_url: str) -> None:
    from bot.settings import database_url as configured

    assert configured() == database_url
    dialect = get_engine().dialect.name
    assert dialect == ("sqlite" if database_url.startswith("sqlite") else "postgresql")
    if dialect == "postgresql":
        with get_engine().connect() as connection:
            schema = connection.execute(sa.text("SELECT current_schema()")).scalar_one()
        assert schema.startswith("t_") and schema in database_url


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


# --------------------------------------------------------------------------- each category


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
    reply = create_repair_ticket(RepairRequest(problem, "3-2-102", PHONE, "明天上午", sender, "王", "先生"))
    ticket = only_ticket_of(sender)
    assert ticket.category == "repair"
    assert ticket.priority == priority == repair_priority(problem)
    assert ticket.department == "工程部"
    assert ticket.visit_time == "明天上午"
    assert ticket.contact_name == "王先生"
    assert_deadlines(ticket, respond, resolve_within)
    assert ticket.number in reply and priority in reply
    assert reply.startswith("王先生，")


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
    reply = create_complaint_ticket(ComplaintRequest(detail, "其他", "5-1-301", PHONE, sender))
    ticket = only_ticket_of(sender)
    assert complaint_class(f"其他 {detail}") == level
    assert ticket.category == "complaint"
    assert ticket.priority == level
    assert ticket.description == f"【其他】{detail}"
    assert ticket.respond_by is not None
    assert as_utc(ticket.respond_by) - as_utc(ticket.created_at) == timedelta(minutes=10)
    assert ticket.resolve_by is not None
    assert as_utc(ticket.resolve_by) - as_utc(ticket.created_at) <= COMPLAINT_DEADLINES[level].resolve_within
    assert ticket.number in reply and f"等级：{level}" in reply


def test_minor_complaint_gets_three_days_and_service_complaint_the_same_day(database_url: str) -> None:
    create_complaint_ticket(ComplaintRequest("楼下邻居家小孩晚上拍球很吵", "邻里噪音或占道", "", PHONE, "minor"))
    minor = only_ticket_of("minor")
    assert minor.priority == "一般"
    assert_deadlines(minor, timedelta(minutes=10), timedelta(days=3))

    reply = create_complaint_ticket(ComplaintRequest("门岗保安说话很冲", "工作人员服务", "", PHONE, "service"))
    service_complaint = only_ticket_of("service")
    assert service_complaint.department == "秩序维护部"
    assert "今天之内" in reply
    assert service_complaint.resolve_by is not None
    resolve_local = as_utc(service_complaint.resolve_by).astimezone(LOCAL_TZ)
    created_local = as_utc(service_complaint.created_at).astimezone(LOCAL_TZ)
    # Same day, or at most 4 hours for a complaint made late in the evening.
    assert resolve_local.date() == created_local.date() or resolve_local - created_local <= timedelta(hours=4, minutes=1)


def test_inquiry_ticket_for_staff(database_url: str) -> None:
    reply = create_inquiry_ticket("小区能不能装充电桩？", PHONE, "inq", "李", "女士")
    ticket = only_ticket_of("inq")
    assert (ticket.category, ticket.subcategory, ticket.priority) == ("inquiry", "handover", "一般")
    assert_deadlines(ticket, INQUIRY_DEADLINES.respond_within, INQUIRY_DEADLINES.resolve_within)
    assert reply.startswith("李女士，") and ticket.number in reply


def test_emergency_ticket_handoff_and_queue(database_url: str) -> None:
    outcome = handle_emergency("emg", "救命，8栋厨房着火了，烟很大", "8-1-101", PHONE)
    ticket = only_ticket_of("emg")
    assert outcome.kind == "fire" and outcome.ticket_number == ticket.number
    assert (ticket.category, ticket.subcategory, ticket.priority) == ("emergency", "fire", "紧急")
    assert ticket.address == "8-1-101" and ticket.contact_phone == PHONE
    assert_deadlines(ticket, EMERGENCY_DEADLINES.respond_within, EMERGENCY_DEADLINES.resolve_within)
    with session_scope() as session:
        requests = list(session.execute(sa.select(HandoffRequest).where(HandoffRequest.conversation_id == "emg")).scalars())
        assert [(r.reason, r.priority, r.ticket_id) for r in requests] == [("emergency", PRIORITY_EMERGENCY, ticket.id)]
        assert conversation_status(session, "emg") == "pending"
    assert "119" in outcome.reply


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


def test_list_filters_by_category_priority_status_and_overdue(database_url: str, fake_clock: Callable[[datetime], FakeClock]) -> None:
    now = datetime.now(timezone.utc)
    # Four days ago: a general repair (72 h) now overdue, and one already resolved.
    fake_clock(now - timedelta(days=4))
    late = make_ticket(description="阳台门关不上")
    done_late = make_ticket(description="厨房柜门掉了")
    with session_scope() as session:
        ticket = get_ticket(session, done_late)
        assert ticket is not None
        update_status(session, ticket, "resolved", actor="worker")
    # Now: fresh tickets of each category.
    fake_clock(now)
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


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("0571-86612345", "057****2345"), ("12345", "***45"), ("", ""), ("12", "**")],
)
def test_mask_phone_formats(phone: str, masked: str) -> None:
    from bot.tickets.masking import mask_phone

    assert mask_phone(phone) == masked


def test_tickets_for_phone_newest_first_and_only_that_phone(database_url: str, fake_clock: Callable[[datetime], FakeClock]) -> None:
    now = datetime.now(timezone.utc)
    fake_clock(now - timedelta(hours=3))
    first = make_ticket(phone=PHONE)
    fake_clock(now - timedelta(hours=2))
    other = make_ticket(phone="13700001111")
    fake_clock(now - timedelta(hours=1))
    second = make_ticket(phone=PHONE, category="complaint", priority="一般", deadlines=COMPLAINT_DEADLINES["一般"])
    with session_scope() as session:
        assert [t.number for t in tickets_for_phone(session, PHONE)] == [second, first]
        assert [t.number for t in tickets_for_phone(session, PHONE, limit=1)] == [second]
        assert [t.number for t in tickets_for_phone(session, "13700001111")] == [other]
        assert tickets_for_phone(session, "13600000000") == []


# --------------------------------------------------------------------------- the agent queue


def status_of(conversation_id: str) -> str:
    with session_scope() as session:
        return conversation_status(session, conversation_id)


def test_queue_orders_emergencies_first_then_longest_waiting(database_url: str, fake_clock: Callable[[datetime], FakeClock]) -> None:
    fake_clock(datetime.now(timezone.utc) - timedelta(minutes=30))
    with session_scope() as session:
        request_handoff(session, "normal-early", "request_human", PRIORITY_NORMAL)
        request_handoff(session, "emergency-late", "emergency", PRIORITY_EMERGENCY)
        request_handoff(session, "high", "complaint", PRIORITY_HIGH)
        request_handoff(session, "normal-late", "request_human", PRIORITY_NORMAL)
        request_handoff(session, "emergency-later", "emergency", PRIORITY_EMERGENCY)
        request_handoff(session, "not-waiting", "request_human", PRIORITY_NORMAL)
    with session_scope() as session:
        assert claim(session, "not-waiting", "agent-x")
    with session_scope() as session:
        order = [c.id for c in pending_queue(session)]
    assert order == ["emergency-late", "emergency-later", "high", "normal-early", "normal-late"]

    # A waiting conversation that turns into an emergency keeps its place in time, at emergency priority.
    with session_scope() as session:
        request_handoff(session, "normal-late", "emergency", PRIORITY_EMERGENCY)
        # A lower-priority request never lowers a conversation's priority.
        request_handoff(session, "emergency-late", "request_human", PRIORITY_NORMAL)
    with session_scope() as session:
        order = [c.id for c in pending_queue(session)]
        requests = session.execute(sa.select(sa.func.count()).select_from(HandoffRequest)).scalar_one()
    assert order == ["emergency-late", "normal-late", "emergency-later", "high", "normal-early"]
    assert requests == 8


def test_claim_hand_back_and_resolve_transitions(database_url: str) -> None:
    assert status_of("c1") == "bot"
    with session_scope() as session:
        request_handoff(session, "c1", "request_human", PRIORITY_NORMAL, summary="想找人工")
    assert status_of("c1") == "pending"

    with session_scope() as session:
        assert not claim(session, "nobody", "agent-a")
        assert claim(session, "c1", "agent-a")
    with session_scope() as session:
        conversation = session.get(Conversation, "c1")
        assert conversation is not None
        assert (conversation.status, conversation.assigned_agent) == ("assigned", "agent-a")
        handled = session.execute(sa.select(HandoffRequest.handled_at).where(HandoffRequest.conversation_id == "c1")).scalars().all()
        assert handled and all(h is not None for h in handled)
        assert pending_queue(session) == []
        # Already assigned: a second agent cannot take it.
        assert not claim(session, "c1", "agent-b")

    with session_scope() as session:
        assert hand_back(session, "c1")
    with session_scope() as session:
        conversation = session.get(Conversation, "c1")
        assert conversation is not None
        assert (conversation.status, conversation.assigned_agent, conversation.waiting_since) == ("bot", None, None)
        # Back with the bot: nothing to hand back, resolve or claim.
        assert not hand_back(session, "c1")
        assert not resolve(session, "c1")
        assert not claim(session, "c1", "agent-b")

    with session_scope() as session:
        request_handoff(session, "c1", "emergency", PRIORITY_EMERGENCY)
    with session_scope() as session:
        assert claim(session, "c1", "agent-b")
    with session_scope() as session:
        assert resolve(session, "c1")
    assert status_of("c1") == "resolved"
    with session_scope() as session:
        assert not resolve(session, "c1")
        assert not hand_back(session, "c1")

    # A resolved conversation that asks again is waiting again.
    with session_scope() as session:
        request_handoff(session, "c1", "request_human", PRIORITY_NORMAL)
    with session_scope() as session:
        conversation = session.get(Conversation, "c1")
        assert conversation is not None
        assert (conversation.status, conversation.priority, conversation.assigned_agent) == ("pending", PRIORITY_NORMAL, None)
        # A pending conversation may be resolved or handed back without an agent.
        assert resolve(session, "c1")


def test_pending_conversation_can_be_handed_back(database_url: str) -> None:
    with session_scope() as session:
        request_handoff(session, "c2", "request_human", PRIORITY_NORMAL)
    with session_scope() as session:
        assert hand_back(session, "c2")
    assert status_of("c2") == "bot"


def test_a_new_message_creates_the_conversation_or_reopens_a_resolved_one(database_url: str) -> None:
    with session_scope() as session:
        assert status_for_new_message(session, "fresh") == ("bot", False)  # created with the bot
    assert status_of("fresh") == "bot"
    with session_scope() as session:
        assert status_for_new_message(session, "fresh") == ("bot", False)
        request_handoff(session, "fresh", "request_human", PRIORITY_NORMAL)
    with session_scope() as session:
        assert status_for_new_message(session, "fresh") == ("pending", False)  # waiting stays waiting
        assert claim(session, "fresh", "agent-a")
    with session_scope() as session:
        assert status_for_new_message(session, "fresh") == ("assigned", False)
        assert resolve(session, "fresh")
    with session_scope() as session:
        assert status_for_new_message(session, "fresh") == ("bot", True)  # resolved: back to the bot
    with session_scope() as session:
        conversation = session.get(Conversation, "fresh")
        assert conversation is not None
        assert (conversation.status, conversation.assigned_agent, conversation.waiting_since) == ("bot", None, None)
        assert session.execute(sa.select(sa.func.count()).select_from(Conversation)).scalar_one() == 1


def race_to_claim(conversation_id: str, agents: tuple[str, ...] = ("agent-a", "agent-b")) -> dict[str, bool]:
    """Agents claim the same conversation at the same moment, each in its own transaction."""
    barrier = threading.Barrier(len(agents))
    results: dict[str, bool] = {}
    errors: list[BaseException] = []

    def agent(name: str) -> None:
        try:
            with session_scope() as session:
                barrier.wait(timeout=10)
                results[name] = claim(session, conversation_id, name)
        except BaseException as error:  # reported below, in the main thread
            errors.append(error)

    threads = [threading.Thread(target=agent, args=(name,)) for name in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_claim_is_atomic_under_a_race(database_url: str) -> None:
    rounds = 5
    with session_scope() as session:
        for i in range(rounds):
            request_handoff(session, f"race-{i}", "emergency", PRIORITY_EMERGENCY)

    for i in range(rounds):
        conversation_id = f"race-{i}"
        results = race_to_claim(conversation_id)
        assert sorted(results.values()) == [False, True], results
        winner = next(name for name, won in results.items() if won)
        with session_scope() as session:
            conversation = session.get(Conversation, conversation_id)
            assert conversation is not None
            assert (conversation.status, conversation.assigned_agent) == ("assigned", winner)
    with session_scope() as session:
        assert pending_queue(session) == []


def test_only_one_of_many_agents_wins(database_url: str) -> None:
    with session_scope() as session:
        request_handoff(session, "crowded", "emergency", PRIORITY_EMERGENCY)
    results = race_to_claim("crowded", tuple(f"agent-{n}" for n in range(6)))
    assert sum(results.values()) == 1 and len(results) == 6
