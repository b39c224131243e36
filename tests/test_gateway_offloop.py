"""The gateway's event loop keeps serving every socket while one of its transactions waits for
SQLite's write lock (bot/gateway/offloop.py): another process (Rasa's tracker store, the action
server) holds the lock, as it does many times a second under load.

- a resident's session request (it creates the conversation and binds its community) waits for the
  lock, and meanwhile the same gateway process answers ``/healthz`` at once — on the event loop
  the request stood still the whole hold, and every socket with it;
- the presence sweep writes the consoles' presence while the lock is held, and the loop ticks on.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.gateway.agents import LoggedIn, create_agent, open_session
from bot.gateway.config import GatewayConfig
from bot.gateway.offloop import write_promptly
from bot.gateway.presence import _Presence
from bot.gateway.rasa_client import RasaClient
from bot.gateway.state import Gateway
from bot.gateway.transcript import store
from bot.roles import Role
from bot.storage import session_scope, upgrade
from bot.storage.models import AgentSession, Message
from tests.gateway_support import running_gateway
from tests.loop_support import HOLD_SECONDS, MAX_STALL, longest_stall
from tests.standin_rasa import unreachable_url
from tests.test_urgent import hold_the_write_lock, lock_tries, sqlite_file


def test_a_session_request_waiting_for_the_lock_does_not_stall_the_gateway(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gw.db'}"
    upgrade(url)
    with running_gateway(url, unreachable_url(), tmp_path / "gw.log") as base:
        taken = threading.Event()
        holder = hold_the_write_lock(sqlite_file(url), HOLD_SECONDS, taken)
        assert taken.wait(10)
        opened: dict[str, float] = {}

        def open_session() -> None:
            started = time.monotonic()
            reply = httpx.post(f"{base}/api/resident/session", json={"token": None}, timeout=30)
            assert reply.status_code == 200, reply.text
            opened["after"] = time.monotonic() - started

        resident = threading.Thread(target=open_session)
        resident.start()
        time.sleep(0.3)  # the request is in, waiting for the lock
        started = time.monotonic()
        health = httpx.get(f"{base}/healthz", timeout=30)
        answered_after = time.monotonic() - started
        resident.join()
        holder.join()
    assert health.status_code in (200, 503) and answered_after < MAX_STALL  # the loop served it meanwhile
    assert opened["after"] > HOLD_SECONDS - 0.5  # the session itself did wait for the lock, then opened


def test_the_presence_sweep_writes_off_the_loop(db: str) -> None:
    with session_scope() as session:
        agent = create_agent(session, "zhang", "correct-horse-1")
        open_session(session, agent, hours=8)  # a logged-in console: its session row is marked present
        agent_id = agent.id
    gateway = Gateway(GatewayConfig(port=0, rasa_url=unreachable_url(), secret=b"test"), RasaClient(unreachable_url()))
    gateway.hub.agents[object()] = LoggedIn(agent_id, "zhang", "csrf", Role.AGENT)
    taken = threading.Event()
    holder = hold_the_write_lock(sqlite_file(db), HOLD_SECONDS, taken)
    assert taken.wait(10)
    marked_from = utcnow()
    try:
        _, stall, ticks = asyncio.run(longest_stall(_Presence()(gateway)))
    finally:
        holder.join()
    assert stall < MAX_STALL and ticks > 1  # the loop went on while the write waited …
    with session_scope() as session:
        seen = session.execute(sa.select(AgentSession.seen_at).where(AgentSession.agent_id == agent_id)).scalar_one()
    assert seen is not None and seen.replace(tzinfo=marked_from.tzinfo) >= marked_from  # … and then it was written


def test_a_turns_own_transaction_waits_for_the_lock_without_stalling_the_loop_or_a_thread(database_url: str) -> None:
    """``write_promptly`` (a resident turn's two transactions): on a SQLite file on the loop itself
    (no worker thread's hand-over), giving the loop way while another process holds the lock; on
    PostgreSQL in a worker thread (its round trips and row locks would stall the loop)."""
    sqlite = database_url.startswith("sqlite")
    holder = None
    if sqlite:
        taken = threading.Event()
        holder = hold_the_write_lock(sqlite_file(database_url), HOLD_SECONDS, taken)
        assert taken.wait(10)
    threads: list[str] = []

    def work(session: Session) -> int:
        threads.append(threading.current_thread().name)
        return store(session, "r-1", "resident", "水管漏了")["id"]

    try:
        with lock_tries(database_url) as begun:
            _, stall, ticks = asyncio.run(longest_stall(write_promptly(work)))
    finally:
        if holder is not None:
            holder.join()
    assert stall < MAX_STALL and ticks >= 1
    assert len(threads) == 1 and (threads[0] == threading.main_thread().name) is sqlite
    assert (len(begun) > 1) is sqlite  # on SQLite it tried for the lock while it was held, then wrote
    with session_scope() as session:
        assert session.execute(sa.select(Message.text).where(Message.conversation_id == "r-1")).scalars().all() == ["水管漏了"]
