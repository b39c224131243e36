"""The cluster benchmarks' parts that run without Rasa: the simulated widget resident
(``bot/bench/residents.py``) across a gateway's death, the private database and ports of a bench
cluster (``bot/bench/cluster.py``), the process readings, the commands' refusal without Redis."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import aiohttp
import sqlalchemy as sa

from bot import rasa_commands
from bot.bench.cluster import consecutive_free_ports, cpu_seconds, memory_mb, private_database
from bot.bench.residents import NOT_AN_ANSWER, Resident
from bot.storage import session_scope
from bot.storage.models import Message
from tests.gateway_support import start_gateway
from tests.service_support import POSTGRES_SERVER_URL, require_postgres
from tests.standin_rasa import StandInRasa


def test_a_resident_moves_to_the_next_gateway_and_its_outbox_is_stored_once(db: str, tmp_path: Path) -> None:
    with StandInRasa(database_url=db) as rasa:
        first, first_url = start_gateway(db, rasa.url, tmp_path / "gw1.log")
        second, second_url = start_gateway(db, rasa.url, tmp_path / "gw2.log")
        try:

            async def scenario() -> tuple[Resident, list]:
                async with aiohttp.ClientSession() as http:
                    resident = await Resident([first_url, second_url], http).start()
                    before = await resident.say("你好", answer_timeout=10)
                    first.kill()  # kill -9: the socket drops
                    first.wait(timeout=10)
                    during = await resident.say("还在吗", answer_timeout=20)  # waits in the outbox, sent to the next
                    again = await resident.send("还在吗")  # the same text again: a message of its own
                    await resident.answered(again, 20)
                    await resident.close()
                    return resident, [before, during, again]

            resident, said = asyncio.run(scenario())
        finally:
            for process in (first, second):
                process.kill()
                process.wait(timeout=10)
    assert [s.answer for s in said] == ["收到：你好", "收到：还在吗", "收到：还在吗"]
    assert resident.drops == 1 and [base for _, base in resident.visits] == [first_url, second_url]
    with session_scope(db) as session:
        stored = session.execute(sa.select(Message.client_id).where(Message.role == "resident").order_by(Message.id)).scalars().all()
    assert stored == [s.client_id for s in said] and [s.message_id for s in said] == sorted(s.message_id for s in said)
    assert "收到：你好" not in NOT_AN_ANSWER


def test_the_gateways_busy_reply_is_not_an_answer(db: str, tmp_path: Path) -> None:
    with StandInRasa(database_url=db) as rasa:
        process, base = start_gateway(db, rasa.url, tmp_path / "gw.log")
        try:
            rasa.go_down()

            async def scenario() -> tuple[bool, object]:
                async with aiohttp.ClientSession() as http:
                    resident = await Resident([base], http).start()
                    sent = await resident.send("你好")
                    told = await resident.refused(sent, 20)
                    await resident.close()
                    return told, sent

            told, sent = asyncio.run(scenario())
        finally:
            process.kill()
            process.wait(timeout=10)
    assert told and sent.answered_at is None and sent.not_answered  # type: ignore[attr-defined]


def test_consecutive_ports_are_free() -> None:
    first = consecutive_free_ports(4)
    held = []
    try:
        for port in range(first, first + 4):
            probe = socket.socket()
            held.append(probe)
            probe.bind(("127.0.0.1", port))
    finally:
        for probe in held:
            probe.close()


def test_a_private_database_is_made_and_dropped(tmp_path: Path) -> None:
    with private_database(None, tmp_path) as url:
        assert url == f"sqlite:///{tmp_path / 'bench.db'}"
        with session_scope(url) as session:
            assert session.execute(sa.select(sa.func.count()).select_from(Message)).scalar() == 0
    require_postgres()
    admin = sa.create_engine(POSTGRES_SERVER_URL, future=True)
    try:
        with private_database(POSTGRES_SERVER_URL, tmp_path) as url:
            schema = url.rsplit("search_path%3D", 1)[1]
            with session_scope(url) as session:
                session.execute(sa.insert(Message).values(conversation_id="c", role="resident", text="你好"))
            with admin.connect() as connection:
                count = connection.execute(sa.text(f'SELECT count(*) FROM "{schema}".messages')).scalar()
            assert count == 1, "the tables are in the run's own schema"
        with admin.connect() as connection:
            assert connection.execute(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}).first() is None
    finally:
        admin.dispose()


def test_process_readings() -> None:
    used = memory_mb(os.getpid())
    assert used["rss_mb"] and used["peak_mb"] and used["peak_mb"] >= used["rss_mb"] * 0.5
    assert (cpu_seconds(os.getpid()) or 0) > 0
    assert memory_mb(2**22 + 12345) == {"rss_mb": None, "peak_mb": None, "pss_mb": None} and cpu_seconds(2**22 + 12345) is None


def test_cluster_benchmarks_refuse_several_rasa_servers_without_redis(tmp_path: Path) -> None:
    for args in (("typhoon",), ("saturation",), ("crash", "--rasa-servers", "1,2"), ("memory", "--rasa-servers", "2")):
        result = rasa_commands.module("bot", "bench", *args, env={"REDIS_URL": ""}).run(capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and "REDIS_URL" in result.stderr, (args, result.stderr)
