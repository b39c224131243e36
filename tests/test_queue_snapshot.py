"""The console's queue snapshot, on SQLite and PostgreSQL: order, latest request, last resident
text and SLA deadline per conversation, built in a fixed number of queries however long the queue."""

from __future__ import annotations

import asyncio
from datetime import datetime

import sqlalchemy as sa

from bot.clock import as_utc
from bot.conversations.lifecycle import claim, request_handoff
from bot.conversations.status import Priority
from bot.gateway.queueview import snapshot
from bot.gateway.transcript import store
from bot.storage import session_scope
from bot.storage.database import engine_for
from bot.tickets.rules import EMERGENCY_DEADLINES, INQUIRY_DEADLINES
from bot.tickets.service import NewTicket, create_ticket


def _seed(url: str) -> datetime:
    with session_scope(url) as session:
        store(session, "human", "resident", "我要找人工")
        request_handoff(session, "human", reason="request_human", priority=2, summary="要求人工")
        store(session, "fire", "resident", "楼道着火了")
        store(session, "fire", "bot", "请立即拨打119")
        store(session, "fire", "resident", "烟越来越大了")
        request_handoff(session, "fire", reason="request_human", priority=2, summary="先要人工")
        ticket = create_ticket(session, NewTicket("emergency", "fire", "紧急", "楼道着火", "值班室", EMERGENCY_DEADLINES, conversation_id="fire"))
        request_handoff(session, "fire", reason="emergency", priority=Priority.EMERGENCY, summary="火情：楼道着火了", ticket_id=ticket.id)
        store(session, "taken", "resident", "电梯困人了吗")
        request_handoff(session, "taken", reason="emergency", priority=Priority.EMERGENCY, summary="电梯")
        respond_by = as_utc(ticket.respond_by)
    with session_scope(url) as session:
        assert claim(session, "taken", "甲")
    return respond_by


def test_queue_lists_urgent_first_with_each_conversations_latest_request(database_url: str) -> None:
    respond_by = _seed(database_url)
    with session_scope(database_url) as session:
        queue = snapshot(session)
    assert [i["id"] for i in queue["pending"]] == ["fire", "human"]
    fire, human = queue["pending"]
    assert fire["emergency"] and fire["reason"] == "紧急情况" and fire["summary"] == "火情：楼道着火了"
    assert fire["last_text"] == "烟越来越大了"  # the resident's latest words, not the bot's
    assert datetime.fromisoformat(fire["respond_by"]) == respond_by  # the ticket's deadline
    assert not human["emergency"] and human["reason"] == "要求人工" and human["last_text"] == "我要找人工"
    waited = datetime.fromisoformat(human["waiting_since"]) + INQUIRY_DEADLINES.respond_within
    assert datetime.fromisoformat(human["respond_by"]) == waited  # no ticket: waiting_since + the rule
    (taken,) = queue["assigned"]
    assert taken["id"] == "taken" and taken["assigned_agent"] == "甲" and taken["summary"] == "电梯"


def test_queue_snapshot_takes_the_same_number_of_queries_for_a_long_queue(database_url: str) -> None:
    _seed(database_url)
    statements: list[str] = []
    engine = engine_for(database_url)

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def queries() -> int:
        statements.clear()
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            with session_scope(database_url) as session:
                snapshot(session)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    short = queries()
    with session_scope(database_url) as session:
        for n in range(30):
            store(session, f"r{n}", "resident", f"第{n}位住户要人工")
            request_handoff(session, f"r{n}", reason="request_human", priority=2)
    with session_scope(database_url) as session:
        assert len(snapshot(session)["pending"]) == 32
    assert queries() == short


def test_queue_refreshes_coalesce_and_each_caller_waits_for_one_that_covers_it() -> None:
    """Changes during a snapshot share the next one; none is sent older than one sent before it."""
    from bot.gateway.notifier import QueueRefresh

    sent: list[int] = []
    changes = 0
    release = asyncio.Event()

    async def send() -> None:
        seen = changes  # what the snapshot reads
        if not sent:
            await release.wait()  # the first snapshot is slow
        sent.append(seen)

    refresh = QueueRefresh(send)

    async def change() -> None:
        nonlocal changes
        changes += 1
        await refresh.run()

    async def scenario() -> None:
        first = asyncio.create_task(change())
        await asyncio.sleep(0)
        later = [asyncio.create_task(change()) for _ in range(5)]
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(first, *later)
        assert sent == [1, 6]  # one for the first change, one for the five that came meanwhile
        await change()
        assert sent == [1, 6, 7]

    asyncio.run(scenario())
