"""bot.conversations on SQLite and PostgreSQL: the transitions and their events, the queue's order,
the claim race (tested here only: real threads, each in its own transaction), capabilities for every
role, the queue SLA, and the CHECK constraints of migration 0004."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import ShiftedClock
from bot.conversations.capabilities import NOTHING, Capabilities, View, capabilities
from bot.conversations.events import Claimed, HandedBack, Queued, Reopened, Resolved, Withdrawn
from bot.conversations.lifecycle import (
    claim,
    conversation_status,
    enter_queue,
    hand_back,
    may_withdraw,
    pending_queue,
    request_handoff,
    resolve,
    status_for_new_message,
    withdraw,
)
from bot.conversations.sla import respond_by
from bot.conversations.status import Priority, Status
from bot.gateway.agents import LoggedIn
from bot.roles import Role
from bot.storage import session_scope
from bot.storage.database import get_engine
from bot.storage.migrate import downgrade, upgrade
from bot.storage.models import Agent, Conversation, HandoffRequest
from bot.tickets.rules import EMERGENCY_DEADLINES, INQUIRY_DEADLINES
from tests.sql_support import statements_of


def account(name: str, role: Role) -> LoggedIn:
    return LoggedIn(1, name, "csrf", role)


# --------------------------------------------------------------------------- transitions and events


def test_each_transition_returns_its_event_or_none(database_url: str) -> None:
    with session_scope() as session:
        queued = request_handoff(session, "c1", "request_human", Priority.NORMAL, summary="想找人工")
    assert isinstance(queued, Queued)
    assert (queued.conversation_id, queued.reason, queued.priority, queued.status) == ("c1", "request_human", Priority.NORMAL, Status.PENDING)
    with session_scope() as session:
        assert claim(session, "c1", "甲") == Claimed("c1", "甲")
        assert claim(session, "c1", "乙") is None
    with session_scope() as session:
        assert hand_back(session, "c1", "甲") == HandedBack("c1", "甲")
        assert hand_back(session, "c1", "甲") is None
        assert resolve(session, "c1", "甲") is None
    with session_scope() as session:
        request_handoff(session, "c1", "request_human", Priority.NORMAL)
    with session_scope() as session:
        assert resolve(session, "c1", "乙") == Resolved("c1", "乙")
    with session_scope() as session:
        assert status_for_new_message(session, "c1") == (Status.BOT, Reopened("c1"))
        assert status_for_new_message(session, "c1") == (Status.BOT, None)


def test_queueing_a_known_idle_conversation_is_one_update(database_url: str) -> None:
    """A live emergency's transaction queues the conversation its message just found: no second look."""
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with session_scope() as session:
        status_for_new_message(session, "q1")
    assert statements_of(lambda session: enter_queue(session, "q1", Priority.EMERGENCY, now)) == ["UPDATE"]
    assert statements_of(lambda session: enter_queue(session, "q2", Priority.EMERGENCY, now))[-1] == "UPDATE"  # created, then queued
    with session_scope() as session:
        assert (conversation_status(session, "q1"), conversation_status(session, "q2")) == (Status.PENDING, Status.PENDING)
        assert enter_queue(session, "q2", Priority.NORMAL, now) == (Status.PENDING, False)


def test_a_request_while_an_agent_has_the_conversation_keeps_it_assigned(database_url: str) -> None:
    with session_scope() as session:
        request_handoff(session, "c2", "request_human", Priority.NORMAL)
        assert claim(session, "c2", "甲")
    with session_scope() as session:
        queued = request_handoff(session, "c2", "complaint", Priority.HIGH)
    assert queued.status is Status.ASSIGNED
    with session_scope() as session:
        conversation = session.get(Conversation, "c2")
        assert (conversation.status, conversation.priority, conversation.assigned_agent) == ("assigned", Priority.HIGH, "甲")


def test_claim_hand_back_and_resolve_close_the_open_requests(database_url: str) -> None:
    """A request an agent dealt with is closed, so it is never announced late."""
    for close in (lambda s: claim(s, "c3", "甲"), lambda s: hand_back(s, "c3"), lambda s: resolve(s, "c3")):
        with session_scope() as session:
            request_handoff(session, "c3", "request_human", Priority.NORMAL)
        with session_scope() as session:
            assert close(session)
            if session.get(Conversation, "c3").status == Status.ASSIGNED:
                assert resolve(session, "c3")
        with session_scope() as session:
            assert session.execute(sa.select(sa.func.count()).where(HandoffRequest.handled_at.is_(None))).scalar_one() == 0


# --------------------------------------------------------------------------- the queue, the transitions, the claim race


def status_of(conversation_id: str) -> str:
    with session_scope() as session:
        return conversation_status(session, conversation_id)


def test_queue_orders_emergencies_first_then_longest_waiting(database_url: str, clock: ShiftedClock) -> None:
    clock.advance(-timedelta(minutes=30))  # they asked half an hour ago, one second apart
    with session_scope() as session:
        for conversation_id, reason, priority in (
            ("normal-early", "request_human", Priority.NORMAL),
            ("emergency-late", "emergency", Priority.EMERGENCY),
            ("high", "complaint", Priority.HIGH),
            ("normal-late", "request_human", Priority.NORMAL),
            ("emergency-later", "emergency", Priority.EMERGENCY),
            ("not-waiting", "request_human", Priority.NORMAL),
        ):
            request_handoff(session, conversation_id, reason, priority)
            clock.advance(timedelta(seconds=1))
    with session_scope() as session:
        assert claim(session, "not-waiting", "agent-x")
    with session_scope() as session:
        order = [c.id for c in pending_queue(session)]
    assert order == ["emergency-late", "emergency-later", "high", "normal-early", "normal-late"]

    # A waiting conversation that turns into an emergency keeps its place in time, at emergency priority.
    with session_scope() as session:
        request_handoff(session, "normal-late", "emergency", Priority.EMERGENCY)
        # A lower-priority request never lowers a conversation's priority.
        request_handoff(session, "emergency-late", "request_human", Priority.NORMAL)
    with session_scope() as session:
        order = [c.id for c in pending_queue(session)]
        requests = session.execute(sa.select(sa.func.count()).select_from(HandoffRequest)).scalar_one()
    assert order == ["emergency-late", "normal-late", "emergency-later", "high", "normal-early"]
    assert requests == 8


def test_claim_hand_back_and_resolve_transitions(database_url: str) -> None:
    assert status_of("c1") == "bot"
    with session_scope() as session:
        request_handoff(session, "c1", "request_human", Priority.NORMAL, summary="想找人工")
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
        request_handoff(session, "c1", "emergency", Priority.EMERGENCY)
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
        request_handoff(session, "c1", "request_human", Priority.NORMAL)
    with session_scope() as session:
        conversation = session.get(Conversation, "c1")
        assert conversation is not None
        assert (conversation.status, conversation.priority, conversation.assigned_agent) == ("pending", Priority.NORMAL, None)
        # A pending conversation may be resolved or handed back without an agent.
        assert resolve(session, "c1")


def test_pending_conversation_can_be_handed_back(database_url: str) -> None:
    with session_scope() as session:
        request_handoff(session, "c2", "request_human", Priority.NORMAL)
    with session_scope() as session:
        assert hand_back(session, "c2")
    assert status_of("c2") == "bot"


def test_a_resident_takes_back_an_unclaimed_request_but_never_an_emergency(database_url: str) -> None:
    with session_scope() as session:
        request_handoff(session, "asked", "request_human", Priority.NORMAL)
        request_handoff(session, "danger", "emergency", Priority.EMERGENCY)
        request_handoff(session, "taken", "request_human", Priority.NORMAL)
    with session_scope() as session:
        assert claim(session, "taken", "zhang")
    with session_scope() as session:
        assert [may_withdraw(session, c) for c in ("asked", "danger", "taken")] == [True, False, False]
        assert withdraw(session, "asked") == Withdrawn("asked")
        assert withdraw(session, "asked") is None  # once
        assert withdraw(session, "danger") is None and withdraw(session, "taken") is None
    assert [status_of(c) for c in ("asked", "danger", "taken")] == ["bot", "pending", "assigned"]
    with session_scope() as session:
        [request] = session.execute(sa.select(HandoffRequest).where(HandoffRequest.conversation_id == "asked")).scalars()
        assert request.handled_at is not None
        assert "asked" not in [c.id for c in pending_queue(session)]


def new_message(session: Session, conversation_id: str) -> tuple[str, bool]:
    """The status a resident's new message finds, and whether it reopened the conversation."""
    status, reopened = status_for_new_message(session, conversation_id)
    return status, reopened is not None


def test_a_new_message_creates_the_conversation_or_reopens_a_resolved_one(database_url: str) -> None:
    with session_scope() as session:
        assert new_message(session, "fresh") == ("bot", False)  # created with the bot
    assert status_of("fresh") == "bot"
    with session_scope() as session:
        assert new_message(session, "fresh") == ("bot", False)
        request_handoff(session, "fresh", "request_human", Priority.NORMAL)
    with session_scope() as session:
        assert new_message(session, "fresh") == ("pending", False)  # waiting stays waiting
        assert claim(session, "fresh", "agent-a")
    with session_scope() as session:
        assert new_message(session, "fresh") == ("assigned", False)
        assert resolve(session, "fresh")
    with session_scope() as session:
        assert new_message(session, "fresh") == ("bot", True)  # resolved: back to the bot
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
                results[name] = claim(session, conversation_id, name) is not None
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
            request_handoff(session, f"race-{i}", "emergency", Priority.EMERGENCY)

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
        request_handoff(session, "crowded", "emergency", Priority.EMERGENCY)
    results = race_to_claim("crowded", tuple(f"agent-{n}" for n in range(6)))
    assert sum(results.values()) == 1 and len(results) == 6


# --------------------------------------------------------------------------- capabilities


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER])
def test_console_roles_may_act_as_the_status_allows(role: Role) -> None:
    me = account("甲", role)
    assert capabilities(View(Status.PENDING), me) == Capabilities(claim=True, reply=False, hand_back=True, resolve=True)
    assert capabilities(View(Status.ASSIGNED, "甲"), me) == Capabilities(claim=False, reply=True, hand_back=True, resolve=True)
    assert capabilities(View(Status.ASSIGNED, "乙"), me) == NOTHING  # another agent's conversation
    assert capabilities(View(Status.BOT), me) == NOTHING
    assert capabilities(View(Status.RESOLVED), me) == NOTHING
    assert capabilities(None, me) == NOTHING


def test_a_trainer_gets_no_capability() -> None:
    trainer = account("甲", Role.TRAINER)
    for state in (View(Status.PENDING), View(Status.ASSIGNED, "甲"), View(Status.BOT), View(Status.RESOLVED)):
        assert capabilities(state, trainer) == NOTHING
    assert NOTHING.as_dict() == {"claim": False, "reply": False, "hand_back": False, "resolve": False}


def test_capabilities_read_a_stored_conversation(database_url: str) -> None:
    with session_scope() as session:
        request_handoff(session, "c4", "request_human", Priority.NORMAL)
        claim(session, "c4", "甲")
    with session_scope() as session:
        stored = session.get(Conversation, "c4")
        assert capabilities(stored, account("甲", Role.AGENT)).reply
        assert not capabilities(stored, account("乙", Role.MANAGER)).reply


# --------------------------------------------------------------------------- the queue's SLA


def test_respond_by_is_the_tickets_else_the_rule_of_the_priority() -> None:
    since = datetime(2026, 6, 15, 2, 0, tzinfo=timezone.utc)
    ticket = since + timedelta(minutes=3)
    assert respond_by(Priority.NORMAL, since, ticket) == ticket
    assert respond_by(Priority.EMERGENCY, since, None) == since + EMERGENCY_DEADLINES.respond_within
    assert respond_by(Priority.NORMAL, since, None) == since + INQUIRY_DEADLINES.respond_within == since + timedelta(minutes=5)
    assert respond_by(Priority.NORMAL, None, None) is None


# --------------------------------------------------------------------------- CHECK constraints (migration 0004)


def test_a_status_outside_the_lifecycle_is_refused_by_the_database(database_url: str) -> None:
    engine = get_engine()
    now = datetime(2026, 6, 15, tzinfo=timezone.utc)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(sa.insert(Conversation).values(id="bad", status="open", priority=2, created_at=now, updated_at=now))
    with engine.begin() as connection:
        connection.execute(sa.insert(Conversation).values(id="good", status=Status.PENDING, priority=2, created_at=now, updated_at=now))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(sa.update(Conversation).where(Conversation.id == "good").values(status="closed"))


def test_a_role_outside_the_three_is_refused_by_the_database(database_url: str) -> None:
    engine = get_engine()
    now = datetime(2026, 6, 15, tzinfo=timezone.utc)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(sa.insert(Agent).values(name="x", password_hash="h", role="admin", created_at=now))
    for role in Role:
        with engine.begin() as connection:
            connection.execute(sa.insert(Agent).values(name=f"a-{role.value}", password_hash="h", role=role, created_at=now))


def test_migration_0004_keeps_the_rows_and_marks_old_requests_announced(database_url: str) -> None:
    """Batch mode rebuilds ``conversations`` on SQLite although ``handoff_requests`` references it."""
    downgrade(revision="0003")
    now = datetime(2026, 6, 15, tzinfo=timezone.utc)
    with get_engine().begin() as connection:
        connection.execute(sa.insert(Conversation).values(id="old", status="pending", priority=0, created_at=now, updated_at=now))
        connection.execute(sa.insert(HandoffRequest).values(conversation_id="old", reason="emergency", priority=0, summary="火", created_at=now))
    upgrade()
    with session_scope() as session:
        assert session.get(Conversation, "old").status == "pending"
        request = session.execute(sa.select(HandoffRequest)).scalar_one()
        assert request.alerted_at == request.created_at
    downgrade(revision="0003")
    upgrade()
    with session_scope() as session:
        assert session.get(Conversation, "old").status == "pending"


def test_a_disabled_agents_conversation_goes_back_to_the_queue(database_url: str) -> None:
    """release(): only the agent who holds it, once; it waits again with its priority, and its new
    request is announced by the releaser (never a second time by claim_alerts)."""
    from bot.conversations.alerts import claim_alerts
    from bot.conversations.events import Released
    from bot.conversations.lifecycle import RELEASED, held_by, release

    with session_scope() as session:
        request_handoff(session, "c-held", "request_human", Priority.HIGH)
        request_handoff(session, "c-other", "request_human", Priority.NORMAL)
    with session_scope() as session:
        claim(session, "c-held", "甲", "张明")
        claim(session, "c-other", "乙")
        assert held_by(session, "甲") == ["c-held"]
        assert release(session, "c-held", "乙") is None  # not theirs
    with session_scope() as session:
        event = release(session, "c-held", "甲", "张明")
        assert isinstance(event, Released) and (event.conversation_id, event.shown_as) == ("c-held", "张明")
        assert release(session, "c-held", "甲") is None  # once
    with session_scope() as session:
        row = session.get(Conversation, "c-held")
        assert (row.status, row.assigned_agent, row.priority) == (Status.PENDING, None, Priority.HIGH)
        assert row.waiting_since is not None
        request = session.get(HandoffRequest, event.request_id)
        assert (request.reason, request.handled_at is None, request.alerted_at is not None) == (RELEASED, True, True)
        assert claim_alerts(session, "c-held") == []
        assert held_by(session, "甲") == [] and session.get(Conversation, "c-other").assigned_agent == "乙"
    with session_scope() as session:
        assert claim(session, "c-held", "丙") == Claimed("c-held", "丙")  # another agent takes it
