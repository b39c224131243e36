"""bot.conversations.turns on SQLite and PostgreSQL: a resident message's turn state and its lease
(migration 0006) — begun by the storing process, finished only by its holder, released, renewed;
orphans and stale turns found oldest first; the claim of an orphan won by exactly one of racing
processes (real threads, each in its own transaction); waiting turns flagged to the agents once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.clock import ShiftedClock, utcnow
from bot.conversations import turns
from bot.conversations.lifecycle import claim as claim_conversation
from bot.conversations.lifecycle import ensure_conversation, request_handoff
from bot.conversations.status import Priority, Status
from bot.conversations.turns import UNANSWERED, Lease, TurnState
from bot.gateway.transcript import store
from bot.storage import session_scope
from bot.storage.models import Conversation, HandoffRequest, Message

A, B = Lease("gateway-a", 30), Lease("gateway-b", 30)


def pending(conversation_id: str, text: str, lease: Lease = A, command: str | None = None) -> int:
    """A resident message stored while the bot steers, its turn held by ``lease``."""
    with session_scope() as session:
        ensure_conversation(session, conversation_id)
        payload = {"command": command} if command else None
        return store(session, conversation_id, "resident", text, payload, turn=turns.begun(lease, utcnow()))["id"]


def state(message_id: int) -> tuple[str | None, str | None]:
    with session_scope() as session:
        row = session.execute(sa.select(Message.turn_state, Message.turn_owner).where(Message.id == message_id)).one()
        return row.turn_state, row.turn_owner


def test_a_turn_is_finished_only_by_its_holder(database_url: str) -> None:
    first = pending("c1", "楼道灯不亮")
    assert state(first) == ("pending", "gateway-a")
    with session_scope() as session:
        assert turns.finish(session, first, B.owner) is False, "another process never finishes A's turn"
        assert turns.finish(session, first, A.owner) is True
        assert turns.finish(session, first, A.owner) is False, "done once"
    assert state(first) == ("done", None)


def test_a_held_turn_is_claimed_only_after_its_lease_lapses(database_url: str, clock: ShiftedClock) -> None:
    message = pending("c1", "楼道灯不亮")
    with session_scope() as session:
        assert turns.orphaned(session, utcnow()) == [], "held alive by A"
        assert turns.claim(session, message, B, utcnow()) is False
        assert turns.claim(session, message, A, utcnow()) is True, "its holder may claim it again"
    clock.advance(timedelta(seconds=20))
    with session_scope() as session:
        assert turns.renew(session, [message], A, utcnow()) == 1
        assert turns.renew(session, [message], B, utcnow()) == 0, "only the holder renews"
    clock.advance(timedelta(seconds=20))  # 40 s after the start, 20 s after the renewal
    with session_scope() as session:
        assert turns.claim(session, message, B, utcnow()) is False
    clock.advance(timedelta(seconds=11))  # A died: nothing renewed its lease
    with session_scope() as session:
        assert turns.orphaned(session, utcnow()) == ["c1"]
        assert turns.claim(session, message, B, utcnow()) is True
        assert turns.finish(session, message, A.owner) is False, "A lost it: its late answer is not stored"
    assert state(message) == ("pending", "gateway-b")


def test_released_turns_wait_in_order_and_a_back_off_delays_them(database_url: str, clock: ShiftedClock) -> None:
    first, second = pending("c1", "第一条"), pending("c1", "第二条", command="/affirm")
    other = pending("c2", "别人的")
    with session_scope() as session:
        assert turns.waiting_before(session, "c1", second) and not turns.waiting_before(session, "c1", first)
        assert turns.release(session, "c1", A.owner) == 2
        assert turns.release(session, "c2", A.owner, retry_at=utcnow() + timedelta(seconds=30)) == 1
    with session_scope() as session:
        assert turns.orphaned(session, utcnow()) == ["c1"], "c2 backs off"
        waiting = turns.pending_turns(session, "c1")
        assert [(t.message_id, t.text, t.command) for t in waiting] == [(first, "第一条", None), (second, "第二条", "/affirm")]
        assert turns.next_turn(session, "c1") == waiting[0]
    clock.advance(timedelta(seconds=31))
    with session_scope() as session:
        assert turns.orphaned(session, utcnow()) == ["c1", "c2"], "longest waiting first"
        assert turns.is_pending(session, other)


def test_a_conversation_is_orphaned_only_when_its_oldest_turn_is_free(database_url: str) -> None:
    """A later turn never overtakes one a living process runs."""
    pending("c1", "第一条", lease=A)
    later = pending("c1", "第二条", lease=B)
    with session_scope() as session:
        turns.release(session, "c1", B.owner)
        assert turns.is_pending(session, later)
        assert turns.orphaned(session, utcnow()) == []


def test_overdue_conversations(database_url: str, clock: ShiftedClock) -> None:
    pending("old", "十分钟前的消息")
    clock.advance(timedelta(minutes=10))
    pending("new", "刚发的消息")
    with session_scope() as session:
        assert turns.overdue(session, utcnow() - timedelta(minutes=5)) == ["old"]


def test_waiting_turns_flagged_to_the_agents_once(database_url: str, clock: ShiftedClock) -> None:
    first, second = pending("c1", "厨房水龙头漏水"), pending("c1", "请问什么时候能来修")
    clock.advance(timedelta(seconds=31))  # A died holding them
    with session_scope() as session:
        flagged = turns.flag_unanswered(session, "c1", B, utcnow())
    assert flagged is not None and [t.message_id for t in flagged.turns] == [first, second]
    assert flagged.queued is not None and flagged.queued.reason == UNANSWERED
    with session_scope() as session:
        assert turns.flag_unanswered(session, "c1", B, utcnow()) is None, "nothing left to flag"
        conversation = session.get(Conversation, "c1")
        assert (conversation.status, conversation.priority) == (Status.PENDING.value, Priority.NORMAL)
        requests = session.execute(sa.select(HandoffRequest)).scalars().all()
        assert [(r.reason, r.summary) for r in requests] == [(UNANSWERED, "智能助手未能及时回复的2条消息：厨房水龙头漏水；请问什么时候能来修")]
    assert state(first) == state(second) == ("flagged", None)


def test_flagging_leaves_a_living_holders_turns_and_adds_no_request_for_agents(database_url: str) -> None:
    pending("c1", "第一条", lease=A)
    with session_scope() as session:
        assert turns.flag_unanswered(session, "c1", B, utcnow()) is None, "A answers it"
    with session_scope() as session:  # an agent has the conversation already: no second request
        request_handoff(session, "c1", "request_human", Priority.NORMAL)
        claim_conversation(session, "c1", "甲")
    with session_scope() as session:
        flagged = turns.flag_unanswered(session, "c1", A, utcnow())
    assert flagged is not None and flagged.queued is None
    with session_scope() as session:
        assert [r.reason for r in session.execute(sa.select(HandoffRequest)).scalars()] == ["request_human"]


def race(message_id: int, owners: list[str]) -> dict[str, bool]:
    """Each owner claims the orphaned turn at the same moment, in its own thread and transaction."""
    barrier = threading.Barrier(len(owners))
    results: dict[str, bool] = {}

    def claimant(owner: str) -> None:
        barrier.wait()
        with session_scope() as session:
            results[owner] = turns.claim(session, message_id, Lease(owner, 30), utcnow())

    threads = [threading.Thread(target=claimant, args=(owner,)) for owner in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_an_orphaned_turn_is_claimed_by_exactly_one_of_racing_processes(database_url: str) -> None:
    for round_ in range(5):
        message = pending(f"race-{round_}", "电梯坏了")
        with session_scope() as session:
            turns.release(session, f"race-{round_}", A.owner)
        results = race(message, [f"gateway-{n}" for n in range(4)])
        assert sum(results.values()) == 1, results
        winner = next(owner for owner, won in results.items() if won)
        assert state(message) == ("pending", winner)


def test_the_turn_state_is_kept_to_its_values(database_url: str) -> None:
    assert {s.value for s in TurnState} == {"pending", "done", "flagged", "agents"}
    with pytest.raises(IntegrityError), session_scope() as session:
        store(session, "c1", "resident", "你好", turn={"turn_state": "lost"})
