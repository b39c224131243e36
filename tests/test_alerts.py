"""bot.conversations.alerts on SQLite and PostgreSQL: whichever path sees a live emergency first,
the gateway's early alert or the emergency action, there is one handoff request and it is announced
to the consoles once — also when both run at the same moment, and with several gateway processes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from bot.conversations.alerts import EARLY_TAG, AlertSource, claim_alerts, raise_alert, raise_early_alert
from bot.conversations.events import Queued
from bot.conversations.lifecycle import claim, conversation_status, hand_back, request_handoff
from bot.conversations.status import Priority, Status
from bot.intake.emergency import handle_emergency
from bot.storage import session_scope
from bot.storage.models import Conversation, HandoffRequest, Ticket

FIRE = "厨房着火了 好大的烟 快来人"


def requests_of(conversation_id: str) -> list[HandoffRequest]:
    with session_scope() as session:
        query = sa.select(HandoffRequest).where(HandoffRequest.conversation_id == conversation_id).order_by(HandoffRequest.id)
        return list(session.execute(query).scalars())


def gateway_early_alert(conversation_id: str, text: str = FIRE) -> list[Queued]:
    """What the relay does before Rasa answers: queue, and what to announce."""
    with session_scope() as session:
        return raise_early_alert(session, conversation_id, kind="fire", text=text)


def gateway_after_turn(conversation_id: str) -> list[Queued]:
    with session_scope() as session:
        return claim_alerts(session, conversation_id)


def ticket_of(conversation_id: str) -> Ticket:
    with session_scope() as session:
        return session.execute(sa.select(Ticket).where(Ticket.conversation_id == conversation_id)).scalar_one()


def test_gateway_first_then_the_action_one_request_one_alert(database_url: str) -> None:
    announced = gateway_early_alert("g1")
    outcome = handle_emergency("g1", FIRE, None, None)  # Rasa's turn: the emergency action
    announced += gateway_after_turn("g1")
    [request] = requests_of("g1")
    assert [(a.conversation_id, a.request_id, a.status) for a in announced] == [("g1", request.id, Status.PENDING)]
    assert (request.reason, request.priority) == ("emergency", Priority.EMERGENCY)
    assert request.ticket_id == ticket_of("g1").id and ticket_of("g1").number == outcome.ticket_number  # the action's ticket joined
    assert request.summary == "火警" + EARLY_TAG + "：" + FIRE
    with session_scope() as session:
        conversation = session.get(Conversation, "g1")
        assert (conversation.status, conversation.priority) == (Status.PENDING, Priority.EMERGENCY)


def test_the_action_first_then_the_gateway_one_request_one_alert(database_url: str) -> None:
    """The REST channel, or an emergency the gateway's rules missed: the action queues it, the
    gateway announces it after the turn; a later early alert of the gateway joins it."""
    handle_emergency("a1", FIRE, "3-2-102", None)
    announced = gateway_after_turn("a1")
    with session_scope() as session:
        assert raise_alert(session, "a1", kind="fire", text=FIRE, source=AlertSource.GATEWAY) is None
    announced += gateway_after_turn("a1") + gateway_early_alert("a1")
    [request] = requests_of("a1")
    assert [a.request_id for a in announced] == [request.id]
    assert request.ticket_id == ticket_of("a1").id and request.summary == "火警：" + FIRE


def test_an_emergency_after_hand_back_is_a_new_request(database_url: str) -> None:
    assert len(gateway_early_alert("h1")) == 1
    with session_scope() as session:
        assert claim(session, "h1", "甲") and hand_back(session, "h1", "甲")
    assert len(gateway_early_alert("h1")) == 1
    assert len(requests_of("h1")) == 2
    with session_scope() as session:
        assert conversation_status(session, "h1") is Status.PENDING


def test_an_emergency_while_waiting_for_a_human_is_raised_and_announced(database_url: str) -> None:
    with session_scope() as session:
        request_handoff(session, "w1", "request_human", Priority.NORMAL, summary="要人工")
    assert [a.reason for a in gateway_after_turn("w1")] == ["request_human"]
    assert [a.reason for a in gateway_early_alert("w1")] == ["emergency"]
    handle_emergency("w1", FIRE, None, None)  # joins the emergency request, not the human one
    assert gateway_after_turn("w1") == []
    requests = requests_of("w1")
    assert [(r.reason, r.ticket_id is not None) for r in requests] == [("request_human", False), ("emergency", True)]
    with session_scope() as session:
        assert session.get(Conversation, "w1").priority == Priority.EMERGENCY


def at_once(work: Callable[[int], Any], n: int = 2) -> list[Any]:
    """Run ``work(i)`` in ``n`` threads released together; their results."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_the_two_paths_at_the_same_moment_still_make_one_request(database_url: str) -> None:
    for round_ in range(3):
        conversation_id = f"race-{round_}"

        def path(i: int, conversation_id: str = conversation_id) -> None:
            if i == 0:
                gateway_early_alert(conversation_id)
            else:
                handle_emergency(conversation_id, FIRE, None, None)

        at_once(path)
        [request] = requests_of(conversation_id)
        assert request.ticket_id == ticket_of(conversation_id).id


def test_several_gateway_processes_announce_a_request_once(database_url: str) -> None:
    handle_emergency("multi", FIRE, None, None)
    announced = at_once(lambda _: gateway_after_turn("multi"), n=4)
    assert sorted(len(a) for a in announced) == [0, 0, 0, 1]


def test_the_gateways_request_is_announced_by_the_gateway_alone(database_url: str) -> None:
    """Inserted as announced: no other process (nor the same one after Rasa's turn) alerts again."""
    [queued] = gateway_early_alert("once")
    assert [a.request_id for a in at_once(lambda _: gateway_after_turn("once"), n=3) if a] == []
    [request] = requests_of("once")
    assert queued.request_id == request.id and request.alerted_at is not None


def test_a_request_nobody_announced_is_announced_by_the_joining_gateway(database_url: str) -> None:
    """The action queued it and its gateway died before announcing: the next early alert does."""
    handle_emergency("orphan", FIRE, None, None)
    assert [a.reason for a in gateway_early_alert("orphan")] == ["emergency"]
    assert gateway_early_alert("orphan") == [] and len(requests_of("orphan")) == 1
