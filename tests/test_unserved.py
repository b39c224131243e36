"""bot.conversations.unserved on SQLite and PostgreSQL: who may see a conversation, presence, and
an emergency of a community with nobody logged in opened to everyone once (issue 13 §5–§6)."""

from __future__ import annotations

from datetime import timedelta

from bot import communities
from bot.clock import utcnow
from bot.conversations.alerts import AlertSource, raise_alert
from bot.conversations.unserved import PRESENCE_SECONDS, Scope, can_see, conversation_scope, due, mark_present, open_to_everyone, served_now
from bot.gateway.agents import create_agent, open_session
from bot.storage import session_scope


def test_who_sees_what() -> None:
    theirs = Scope(community_id=2, assigned_agent=None, everyone=False)
    assert not can_see(theirs, "ax", frozenset({1}))
    assert can_see(theirs, "ay", frozenset({2}))
    assert can_see(theirs, "boss", None)  # a manager: every community
    assert can_see(Scope(2, "ax", False), "ax", frozenset({1}))  # assigned to them
    assert can_see(Scope(2, None, True), "ax", frozenset({1}))  # opened to everyone


def test_an_unserved_emergency_is_opened_to_everyone_once(database_url: str) -> None:
    now = utcnow()
    with session_scope() as session:
        first = communities.default_community(session)
        other = communities.save_community(session, communities.CommunityFacts(slug="lanting", name="兰亭苑"), by="admin")
        ax = create_agent(session, "ax", "password-1", communities=[first.id])
        create_agent(session, "ay", "password-1", communities=[other.id])
        open_session(session, ax, hours=1)
        communities.bind_conversation(session, "x-1", first.id)
        communities.bind_conversation(session, "y-1", other.id)
        raise_alert(session, "x-1", kind="fire", text="冒烟了", source=AlertSource.GATEWAY)
        raise_alert(session, "y-1", kind="lift", text="困在电梯里", source=AlertSource.GATEWAY)
    with session_scope() as session:
        assert served_now(session, now) == frozenset()  # logged in, but no console seen yet
        mark_present(session, [ax.id], now)
    with session_scope() as session:
        assert served_now(session, now) == frozenset({first.id})
        assert served_now(session, now + timedelta(seconds=PRESENCE_SECONDS + 1)) == frozenset()  # the console went away
        assert due(session, now, timedelta(seconds=20)) == []  # not waited long enough
        [waiting] = due(session, now + timedelta(seconds=21), timedelta(seconds=20))  # 锦华花园's agent is there
        assert waiting.conversation_id == "y-1" and waiting.community_id == other.id
        assert not conversation_scope(session, "y-1").everyone
    later = now + timedelta(seconds=21)
    with session_scope() as session:
        event = open_to_everyone(session, waiting, later)
        assert event is not None and event.waited_seconds >= 20 and event.kind == "lift"
    with session_scope() as session:
        assert open_to_everyone(session, waiting, later) is None  # another process: nothing
        assert conversation_scope(session, "y-1").everyone
        assert due(session, later, timedelta(seconds=20)) == []
