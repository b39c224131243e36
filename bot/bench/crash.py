"""``python -m bot bench crash``: the time from a Rasa crash (``kill -9``) to the bot answering again.

For each configuration (``--rasa-servers 1,2``: one Rasa server, then two) a cluster of its own
(:mod:`bot.bench.cluster`, supervised as ``serve`` runs it), a few residents chatting meanwhile,
and ``repeats`` crashes of the first Rasa server. Each crash is timed for three residents whose
conversations live on that server (rendezvous hashing, :func:`bot.gateway.rasa_client.rank`):

- **idle**: between two messages when the server dies; it writes again at once, and every second
  after that until the assistant answers — the time residents wait in general;
- **cut**: its turn was running on the server when it died (the action server is SIGSTOPped, so
  the turn waits inside Rasa, in its action call, holding the conversation's lock; then the server
  is killed and the action server continued): the gateway tells it "busy", and it writes again as
  the idle one does — the worst case, which waits also for Rasa's lock on that conversation, held
  by the dead server until its ticket expires (``TICKET_LOCK_LIFETIME``, 60 s by default, when the
  lock store is in Redis; an in-memory lock dies with its server);
- **server back**: until supervisord has restarted the server and its model is loaded (``/status``).

With one server, residents wait for the restart; with two, the gateway moves the conversations to
the other server at once (``bot.gateway.rasa_client``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.bench.cluster import Cluster, running_cluster
from bot.bench.load import CONVERSATIONS, UNLIMITED
from bot.bench.residents import Resident, Sent
from bot.gateway.rasa_client import rank
from bot.processes import wait_for_http

GIVE_UP = 300.0  # seconds a resident keeps writing before the crash counts as "not answered"


async def _living_on(gateways: list[str], http: aiohttp.ClientSession, servers: list[str], server: str) -> Resident:
    """A resident whose conversation ranks ``server`` first, having had one answer from it."""
    while True:
        resident = await Resident(gateways, http).start()
        if rank(servers, resident.resident_id)[0] == server:
            await resident.say("你好", answer_timeout=60)
            return resident
        await resident.close()


async def _until_answered(resident: Resident, since: float) -> float | None:
    """Write every second until the assistant answers one of the messages; seconds from ``since``."""
    said: list[Sent] = []
    while time.monotonic() - since < GIVE_UP:
        said.append(await resident.send("请问物业电话多少"))
        await resident.answered(said[-1], 3)
        answered = [s.answered_at for s in said if resident.answer_to(s) is not None and s.answered_at is not None]
        if answered:
            return min(answered) - since
        await asyncio.sleep(1)
    return None


async def _chatter(resident: Resident, index: int, stop: asyncio.Event) -> None:
    script, turn = CONVERSATIONS[index % len(CONVERSATIONS)], 0
    while not stop.is_set():
        await resident.say(script[turn % len(script)], answer_timeout=30)
        turn += 1
        await asyncio.sleep(2)


async def _server_back(cluster: Cluster, name: str, killed_pid: int, url: str, killed: float) -> float:
    """Seconds until supervisord restarted the server and its model is loaded."""
    await asyncio.to_thread(cluster.pid, name, killed_pid, GIVE_UP)
    await asyncio.to_thread(wait_for_http, f"{url}/status", GIVE_UP)
    return time.monotonic() - killed


async def _cut_answered(resident: Resident, in_flight: Sent, killed: float) -> tuple[bool, float | None]:
    told = await resident.refused(in_flight, 30)  # the gateway's reply to the cut turn
    return told, await _until_answered(resident, killed)


async def _one_crash(cluster: Cluster, http: aiohttp.ClientSession) -> dict[str, Any]:
    gateways, servers, victim = cluster.gateway_urls, cluster.rasa_urls, cluster.stack.rasa_names[0]
    idle = await _living_on(gateways, http, servers, servers[0])
    cut = await _living_on(gateways, http, servers, servers[0])
    pid, actions = await asyncio.to_thread(cluster.pid, victim), await asyncio.to_thread(cluster.pid, "actions")
    os.kill(actions, signal.SIGSTOP)  # the cut turn will wait inside Rasa, in its action call, holding its lock
    try:
        in_flight = await cut.send("停车场一个月多少钱")
        await cut.echoed(in_flight, 30)
        await asyncio.sleep(1.5)
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
    finally:
        os.kill(actions, signal.SIGCONT)
    idle_s, (told, cut_s), back_s = await asyncio.gather(
        _until_answered(idle, killed), _cut_answered(cut, in_flight, killed), _server_back(cluster, victim, pid, servers[0], killed)
    )
    for resident in (idle, cut):
        await resident.close()
    return {"idle_answered_s": idle_s, "cut_answered_s": cut_s, "cut_told_busy": told, "server_back_s": back_s}


async def crashes(cluster: Cluster, repeats: int, chatters: int) -> list[dict[str, Any]]:
    results = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        stop = asyncio.Event()
        people = [await Resident(cluster.gateway_urls, http).start() for _ in range(chatters)]
        load = [asyncio.create_task(_chatter(r, i, stop)) for i, r in enumerate(people)]
        try:
            for _ in range(repeats):
                results.append(await _one_crash(cluster, http))
                await asyncio.sleep(3)  # the gateway's probe takes the server back into rotation
        finally:
            stop.set()
            await asyncio.gather(*load, return_exceptions=True)
            for resident in people:
                await resident.close()
    return results


def run(
    model: Path, *, rasa_servers: list[int], repeats: int = 1, chatters: int = 4, database_url: str | None, redis_url: str, keep: Path | None = None,
) -> dict[str, Any]:
    configurations = {}
    for count in rasa_servers:
        folder = None if keep is None else keep / f"rasa-{count}"
        with running_cluster(model, rasa_servers=count, gateways=1, database_url=database_url, redis_url=redis_url, keep=folder, env=UNLIMITED) as cluster:
            configurations[str(count)] = asyncio.run(crashes(cluster, repeats, chatters))
    return {"repeats": repeats, "chatters": chatters, "lock_store": "redis" if redis_url else "in-memory", "rasa_servers": configurations}


def _s(value: float | None) -> str:
    return "not answered" if value is None else f"{value:.1f}"


def table(results: dict[str, Any]) -> str:
    rows = [
        f"Rasa crash (kill -9 of the first Rasa server, {results['repeats']} time(s) per configuration, {results['chatters']} residents chatting meanwhile)",
        "| Rasa servers | crash | idle conversation answered again s | cut conversation answered again s | cut told busy | server back s |",
        "|---|---|---|---|---|---|",
    ]
    for count, crashes_ in results["rasa_servers"].items():
        for index, crash in enumerate(crashes_, start=1):
            rows.append(
                f"| {count} | {index} | {_s(crash['idle_answered_s'])} | {_s(crash['cut_answered_s'])} | "
                f"{'yes' if crash['cut_told_busy'] else 'no'} | {_s(crash['server_back_s'])} |"
            )
    return "\n".join(rows)
