"""``python -m bot bench typhoon``: a burst of residents on the cluster, a third of them emergencies.

A property company's worst hour (issue 11): ``residents`` residents (300 by default) arrive within
``arrival`` seconds (60), evenly spread, alternating between the gateways, on a cluster of two
gateways, two Rasa servers, one action server, Redis and the database (PostgreSQL for the real
run). Every third resident reports a live emergency as its first message (one of
:data:`~bot.bench.load.EMERGENCIES`), then adds a line for the agents; the others play one of the
chat bench's conversations, pausing ``think`` seconds on average before each message. An agent's
console listens on each gateway.

Reported: the emergency's alert time (sent → the first ``alert`` frame for that conversation on any
console; p50/p95/p99/max, and how many never arrived), the residents' reply time (sent → the
assistant's answer; turns the gateway answered "busy" or not at all are counted apart), and messages
lost: every message a resident sent (its client id) is looked up in the database — lost is sent
and not stored, duplicated is stored twice (the target for both is 0).
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa

from bot.bench.chat import make_bench_agent
from bot.bench.cluster import running_cluster
from bot.bench.load import CONVERSATIONS, EMERGENCIES, UNLIMITED, latency, ms, replies
from bot.bench.residents import AgentConsole, Resident, log_in
from bot.storage import session_scope
from bot.storage.models import Message


async def _emergency(resident: Resident, index: int, sent_at: dict[str, float]) -> None:
    said = await resident.send(EMERGENCIES[index % len(EMERGENCIES)])
    sent_at[resident.resident_id] = said.sent_at
    await resident.echoed(said, 120)
    await resident.answered(said, 60)
    await resident.say("我们在家里等，请快点派人来", answer_timeout=5)  # to the agents: the bot is paused


async def _conversation(resident: Resident, index: int, think: float, rng: random.Random) -> None:
    for turn, text in enumerate(CONVERSATIONS[index % len(CONVERSATIONS)]):
        if turn:
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
        await resident.say(text, answer_timeout=60)


async def burst(gateways: list[str], agents: list[tuple[str, str]], residents: int, arrival: float, think: float) -> dict[str, Any]:
    rng = random.Random(11)
    sent_at: dict[str, float] = {}
    people: list[Resident] = []
    emergencies: set[str] = set()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120), connector=aiohttp.TCPConnector(limit=0)) as http:
        cookies = [(await log_in(http, base, *agent))[0] for base, agent in zip(gateways, agents, strict=True)]
        consoles = [await AgentConsole(gateways, cookie, home=i).start() for i, cookie in enumerate(cookies)]
        started = time.monotonic()

        async def arrive(index: int) -> None:
            await asyncio.sleep(index * arrival / residents)
            resident = await Resident(gateways, http, home=index).start(timeout=120)
            people.append(resident)
            if index % 3 == 0:
                emergencies.add(resident.resident_id)
                await _emergency(resident, index // 3, sent_at)
            else:
                await _conversation(resident, index, think, rng)

        outcomes = await asyncio.gather(*(arrive(i) for i in range(residents)), return_exceptions=True)
        for resident in people:  # every outbox emptied, or what is left is lost
            for sent in resident.sent:
                await resident.echoed(sent, 30)
        await asyncio.sleep(2)  # the last alerts
        seconds = time.monotonic() - started
        for item in (*people, *consoles):
            await item.close()

    first_alert: dict[str, float] = {}
    for console in consoles:
        for conversation, at in console.alerts:
            first_alert[conversation] = min(at, first_alert.get(conversation, at))
    alert_ms = [(first_alert[c] - t) * 1000 for c, t in sent_at.items() if c in first_alert]
    turns = [s for r in people if r.resident_id not in emergencies for s in r.sent]
    return {
        "residents": residents, "arrival_seconds": arrival, "think_seconds": think, "seconds": seconds,
        "emergencies": len(sent_at),
        "emergency_alert": {**latency(alert_ms), "missing": sum(1 for c in sent_at if c not in first_alert)},
        "replies": replies(turns),
        "messages": sum(len(r.sent) for r in people),
        "errors": [repr(o) for o in outcomes if isinstance(o, BaseException)][:10],
        "_sent": {r.resident_id: [s.client_id for s in r.sent] for r in people},
    }


def lost_and_duplicated(database_url: str, sent: dict[str, list[str]]) -> tuple[int, int]:
    """Messages sent but never stored, and stored more than once (by conversation and client id)."""
    with session_scope(database_url) as session:
        rows = session.execute(
            sa.select(Message.conversation_id, Message.client_id, sa.func.count())
            .where(Message.role == "resident", Message.conversation_id.in_(list(sent)))
            .group_by(Message.conversation_id, Message.client_id)
        ).all()
    stored = {(conversation, client_id): count for conversation, client_id, count in rows}
    expected = [(conversation, client_id) for conversation, ids in sent.items() for client_id in ids]
    return sum(1 for key in expected if key not in stored), sum(count - 1 for count in stored.values() if count > 1)


def run(
    model: Path, *, residents: int = 300, arrival: float = 60.0, think: float = 3.0, database_url: str | None, redis_url: str,
    keep: Path | None = None,
) -> dict[str, Any]:
    with running_cluster(model, rasa_servers=2, gateways=2, database_url=database_url, redis_url=redis_url, keep=keep, env=UNLIMITED) as cluster:
        url = cluster.stack.env["DATABASE_URL"]
        agents = [make_bench_agent(url), make_bench_agent(url)]
        result = asyncio.run(burst(cluster.gateway_urls, agents, residents, arrival, think))
        lost, duplicated = lost_and_duplicated(url, result.pop("_sent"))
    return result | {"lost": lost, "duplicated": duplicated, "store": "postgresql" if (database_url or "").startswith("postgresql") else "sqlite"}


def table(results: dict[str, Any]) -> str:
    alert, reply = results["emergency_alert"], results["replies"]
    rows = [
        f"typhoon: {results['residents']} residents within {results['arrival_seconds']:g} s ({results['emergencies']} emergencies), "
        f"think {results['think_seconds']:g} s, 2 gateways, 2 Rasa servers, store {results['store']}; {results['seconds']:.0f} s in all",
        "| measure | n | p50 ms | p95 ms | p99 ms | max ms | not there |",
        "|---|---|---|---|---|---|---|",
        f"| emergency → console alert | {alert['n']} | {ms(alert['p50_ms'])} | {ms(alert['p95_ms'])} | {ms(alert['p99_ms'])} | {ms(alert['max_ms'])} | {alert['missing']} missing |",
        f"| reply | {reply['n']} | {ms(reply['p50_ms'])} | {ms(reply['p95_ms'])} | {ms(reply['p99_ms'])} | {ms(reply['max_ms'])} | "
        f"{reply['unanswered']} unanswered, {reply['told_busy']} told busy |",
        f"messages: {results['messages']} sent, {results['lost']} lost, {results['duplicated']} stored twice",
    ]
    if results["errors"]:
        rows.append("errors: " + "; ".join(results["errors"]))
    return "\n".join(rows)
