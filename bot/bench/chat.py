"""``python -m bot bench chat``: simulated residents over WebSockets, and the same workload on Rasa's REST channel.

Each resident opens a session, connects ``/ws/resident`` and plays one scripted conversation; the time
from sending a text to the first bot frame of that turn is its reply latency. An agent console on
``/ws/agent`` records when each emergency's ``alert`` arrives. The same scripts are then sent straight
to ``/webhooks/rest/webhook`` with the same concurrency; the ratio of the latency percentiles is the
gateway's overhead.

Residents type: before each message a resident pauses for ``think`` seconds on average (uniformly
0.5–1.5 times it), the same pauses on both paths. Residents arrive spread over the first ``think``
seconds: a widget resident opens its session and WebSocket on arrival and sends its first message. ``--think 0`` is a saturation test: every resident fires its next message the
moment the last answer arrives.

Fairness: an untimed warm-up (one conversation of each script on each path) comes first, so neither
path pays for Rasa's first calls; then ``rounds`` rounds alternate the two paths (REST, gateway, REST,
…), each resident playing a new conversation per round, so slow drift (a growing database, a busy
neighbour) falls on both. The REST comparison uses aiohttp, the same client the gateway uses for Rasa.

``--segments``: the processes also write per-turn timings (``WUYE_TIMINGS_DIR``, :mod:`bot.timings`)
and every timed turn is split into where its time went (:mod:`bot.bench.segments`), on both paths —
what explains the gateway/direct p95 ratio.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import websockets

from bot import timings
from bot.bench import segments
from bot.bench.cluster import private_database
from bot.gateway.agents import create_agent
from bot.processes import Stack, free_port
from bot.serving import model_for_data
from bot.settings import CACHE_MODELS_DIR, DEFAULT_RASA_URL, MODELS_DIR
from bot.storage import session_scope

# Conversations written for the bench (not taken from any evaluation set). An emergency ends its
# script: the conversation is then paused for a human and the bot stays silent.
SCRIPTS: list[list[str]] = [
    ["你好", "物业费怎么交", "停车场一个月多少钱", "谢谢"],
    ["厨房水龙头漏水了", "3栋2单元102室", "13812345678", "明天上午", "确认"],
    ["楼上装修太吵了，晚上十点还在砸墙", "5栋1单元301", "13900001111"],
    ["快递可以放在物业吗", "门禁卡丢了怎么补办"],
    ["2号楼电梯坏了", "2号楼电梯", "13700002222", "今天下午", "确认"],
    ["家里燃气味道很重，好像泄漏了"],
    ["楼道着火了，有很浓的烟"],
]
EMERGENCY_SCRIPTS = {5, 6}


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float | int | None]:
    return {"n": len(values), "p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95), "p99_ms": percentile(values, 99)}


@dataclass
class Run:
    latencies_ms: list[float] = field(default_factory=list)
    messages: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    turns: list[tuple[str, float, float]] = field(default_factory=list)  # (sender, sent, received) on time.monotonic

    def add(self, other: Run) -> None:
        self.latencies_ms += other.latencies_ms
        self.messages += other.messages
        self.errors += other.errors
        self.seconds += other.seconds
        self.turns += other.turns


def pause(index: int, turn: int, think: float, round_: int = 0) -> float:
    """Seconds a resident waits before sending turn ``turn`` (reproducible per round, resident and turn)."""
    if think <= 0:
        return 0.0
    rng = random.Random(round_ * 1_000_000 + index * 1000 + turn)
    return rng.uniform(0.0, think) if turn == 0 else rng.uniform(0.5 * think, 1.5 * think)


def script_for(index: int) -> list[str]:
    return SCRIPTS[index % len(SCRIPTS)]


async def _recv(socket: Any, timeout: float) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


async def resident(
    client: aiohttp.ClientSession, base: str, index: int, run: Run, sent_emergency: dict[str, float], timeout: float, think: float = 0.0, round_: int = 0
) -> None:
    await asyncio.sleep(pause(index, 0, think, round_))  # arrives: opens the chat, then types
    async with client.post(f"{base}/api/resident/session", json={"token": None}) as reply:
        session = await reply.json()
    rid = session["resident_id"]
    ws = base.replace("http://", "ws://").replace("https://", "wss://")
    script = script_for(index + round_)
    async with websockets.connect(f"{ws}/ws/resident?token={session['token']}", max_size=2**20) as socket:
        for turn, text in enumerate(script):
            if turn:
                await asyncio.sleep(pause(index, turn, think, round_))
            emergency = (index + round_) % len(SCRIPTS) in EMERGENCY_SCRIPTS and turn == len(script) - 1
            started, sent_at = time.perf_counter(), time.monotonic()
            if emergency:
                sent_emergency[rid] = sent_at
            await socket.send(json.dumps({"text": text}, ensure_ascii=False))
            run.messages += 1
            echoed = False
            while True:  # this turn's echo, then its first bot frame
                frame = await _recv(socket, timeout)
                if frame.get("type") == "notice":
                    run.errors.append(f"{rid}: notice {frame.get('text')}")
                    break
                message = frame.get("message") or {}
                if not echoed:
                    echoed = message.get("role") == "resident" and message.get("text") == text
                    continue
                if message.get("role") == "bot":
                    run.latencies_ms.append((time.perf_counter() - started) * 1000)
                    run.turns.append((rid, sent_at, time.monotonic()))
                    break


async def agent_console(base: str, cookie: str, seen: dict[str, float], stop: asyncio.Event, ready: asyncio.Event) -> None:
    ws = base.replace("http://", "ws://").replace("https://", "wss://")
    async with websockets.connect(f"{ws}/ws/agent", extra_headers={"Cookie": cookie}, max_size=2**24) as socket:
        ready.set()
        while not stop.is_set():
            try:
                frame = json.loads(await asyncio.wait_for(socket.recv(), 0.5))
            except asyncio.TimeoutError:
                continue
            if frame.get("type") == "alert":
                seen.setdefault(frame["conversation_id"], time.monotonic())


async def log_in(base: str, agent: tuple[str, str], timeout: float) -> str:
    """The console's session cookie (logged in once per bench, as an agent logs in once a shift)."""
    async with httpx.AsyncClient(base_url=base, timeout=timeout) as client:
        login = await client.post("/api/agent/login", json={"name": agent[0], "password": agent[1]})
        login.raise_for_status()
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


async def gateway_run(base: str, n: int, cookie: str, timeout: float, think: float = 0.0, round_: int = 0) -> tuple[Run, list[float], int]:
    run, sent, seen = Run(), {}, {}
    stop, ready = asyncio.Event(), asyncio.Event()
    console = asyncio.create_task(agent_console(base, cookie, seen, stop, ready))
    await asyncio.wait_for(ready.wait(), timeout)
    started = time.perf_counter()
    # One HTTP client for every resident's session request: a client each (with its own TLS context)
    # would spend the bench process's CPU in the middle of other residents' timed turns.
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as client:
        residents = (resident(client, base, i, run, sent, timeout, think, round_) for i in range(n))
        outcomes = await asyncio.gather(*residents, return_exceptions=True)
    run.seconds = time.perf_counter() - started
    run.errors += [repr(o) for o in outcomes if isinstance(o, BaseException)]
    deadline = time.monotonic() + 5
    while set(sent) - set(seen) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    stop.set()
    await console
    emergency_ms = [(seen[rid] - at) * 1000 for rid, at in sent.items() if rid in seen]
    return run, emergency_ms, len(set(sent) - set(seen))


async def rest_resident(client: aiohttp.ClientSession, rasa_url: str, index: int, run: Run, think: float = 0.0, round_: int = 0) -> None:
    sender = f"bench-rest-{uuid.uuid4().hex[:12]}"
    for turn, text in enumerate(script_for(index + round_)):
        await asyncio.sleep(pause(index, turn, think, round_))
        started, sent_at = time.perf_counter(), time.monotonic()
        async with client.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as reply:
            reply.raise_for_status()
            await reply.read()
        run.latencies_ms.append((time.perf_counter() - started) * 1000)
        run.turns.append((sender, sent_at, time.monotonic()))
        run.messages += 1


async def rest_run(rasa_url: str, n: int, timeout: float, think: float = 0.0, round_: int = 0) -> Run:
    run = Run()
    connector = aiohttp.TCPConnector(limit=n)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as client:
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(rest_resident(client, rasa_url, i, run, think, round_) for i in range(n)), return_exceptions=True)
        run.seconds = time.perf_counter() - started
    run.errors += [repr(o) for o in outcomes if isinstance(o, BaseException)]
    return run


async def warm_up(base: str, rasa_url: str, cookie: str, timeout: float) -> None:
    """One conversation of each script on each path, untimed: Rasa's and the gateway's first calls."""
    await rest_run(rasa_url, len(SCRIPTS), timeout)
    await gateway_run(base, len(SCRIPTS), cookie, timeout)


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


async def measure(
    base: str, rasa_url: str, n: int, agent: tuple[str, str], timeout: float = 60.0, think: float = 0.0, rounds: int = 1,
    timings_dir: Path | None = None,
) -> dict[str, Any]:
    cookie = await log_in(base, agent, timeout)
    await warm_up(base, rasa_url, cookie, timeout)
    rest, gateway, emergency_ms, emergency_missing = Run(), Run(), [], 0
    for round_ in range(rounds):
        rest.add(await rest_run(rasa_url, n, timeout, think, round_))
        through_gateway, alerts, missing = await gateway_run(base, n, cookie, timeout, think, round_)
        gateway.add(through_gateway)
        emergency_ms += alerts
        emergency_missing += missing
    through, direct = summary(gateway.latencies_ms), summary(rest.latencies_ms)
    explained = segments.explain(gateway.turns, rest.turns, timings.read(timings_dir)) if timings_dir is not None else None
    return {
        "residents": n,
        "think_seconds": think,
        "rounds": rounds,
        "gateway": {**through, "messages": gateway.messages, "seconds": gateway.seconds,
                    "messages_per_second": gateway.messages / gateway.seconds if gateway.seconds else None, "errors": gateway.errors[:10]},
        "rasa_rest": {**direct, "messages": rest.messages, "seconds": rest.seconds,
                      "messages_per_second": rest.messages / rest.seconds if rest.seconds else None, "errors": rest.errors[:10]},
        "emergency_to_console": {**summary(emergency_ms), "max_ms": max(emergency_ms) if emergency_ms else None, "missing": emergency_missing},
        "overhead": {"p50_ratio": _ratio(through["p50_ms"], direct["p50_ms"]), "p95_ratio": _ratio(through["p95_ms"], direct["p95_ms"])},
        "targets": {"reply_p95_ms": 300, "emergency_ms": 1000, "overhead_ratio": 1.2},
        **({"segments": explained} if explained is not None else {}),
    }


def make_bench_agent(database_url: str | None = None) -> tuple[str, str]:
    name, password = f"bench-{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    with session_scope(database_url) as session:
        create_agent(session, name, password)
    return name, password


def run(
    n: int = 50,
    url: str | None = None,
    rasa_url: str = DEFAULT_RASA_URL,
    agent: tuple[str, str] | None = None,
    think: float = 0.0,
    rounds: int = 1,
    segments: bool = False,
    timings_dir: Path | None = None,
    database: str | None = None,
) -> dict[str, Any]:
    """Against ``url`` (a running gateway) or a stack of our own on free ports and a database of its
    own: a temporary SQLite file, or with ``database`` (a PostgreSQL URL) a fresh schema there,
    dropped afterwards (the production store: is a slow turn SQLite's one writer at a time?).
    ``segments``: split every turn into where its time went — the stack of our own writes
    its timings into a temporary folder; a running one must have been started with
    ``WUYE_TIMINGS_DIR`` set to ``timings_dir``."""
    if url:
        folder = timings_dir if segments else None
        if segments and folder is None:
            raise ValueError("--segments against a running gateway needs --timings-dir: the WUYE_TIMINGS_DIR its processes write to")
        return asyncio.run(measure(url.rstrip("/"), rasa_url.rstrip("/"), n, agent or make_bench_agent(), think=think, rounds=rounds, timings_dir=folder))
    # The model for the current data: the one in models/ or the test suite's cache, else trained into models/.
    model_file = model_for_data(MODELS_DIR, also_in=(CACHE_MODELS_DIR,))
    with tempfile.TemporaryDirectory(prefix="bench-chat-") as tmp, private_database(database, Path(tmp)) as database_url:
        bench_agent = agent or make_bench_agent(database_url)
        folder = Path(tmp) / "timings" if segments else None
        env = {"DATABASE_URL": database_url}  # Rasa's tracker store, the actions and the gateway: the bench's database
        if folder is not None:
            env["WUYE_TIMINGS_DIR"] = str(folder)
        stack = Stack(
            model_file, rasa_port=free_port(), actions_port=free_port(), gateway_port=free_port(), log_dir=Path(tmp) / "logs", env=env,
        )
        with stack:
            gateway_url, direct_url = f"http://127.0.0.1:{stack.gateway_port}", f"http://127.0.0.1:{stack.rasa_port}"
            return asyncio.run(measure(gateway_url, direct_url, n, bench_agent, think=think, rounds=rounds, timings_dir=folder))


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def table(results: dict[str, Any]) -> str:
    g, r, e, o = results["gateway"], results["rasa_rest"], results["emergency_to_console"], results["overhead"]
    rows = [
        f"residents: {results['residents']}, think time {results.get('think_seconds', 0):g} s, rounds {results.get('rounds', 1)}",
        "| path | turns | p50 ms | p95 ms | p99 ms | msg/s |",
        "|---|---|---|---|---|---|",
        f"| gateway (WebSocket) | {g['n']} | {_ms(g['p50_ms'])} | {_ms(g['p95_ms'])} | {_ms(g['p99_ms'])} | {g['messages_per_second'] or 0:.1f} |",
        f"| Rasa REST direct | {r['n']} | {_ms(r['p50_ms'])} | {_ms(r['p95_ms'])} | {_ms(r['p99_ms'])} | {r['messages_per_second'] or 0:.1f} |",
        f"emergency → console alert: n={e['n']} p50 {_ms(e['p50_ms'])} ms, p95 {_ms(e['p95_ms'])} ms, max {_ms(e['max_ms'])} ms, missing {e['missing']}",
        "overhead (gateway / direct): p50 "
        + ("—" if o["p50_ratio"] is None else f"{o['p50_ratio']:.2f}x")
        + ", p95 "
        + ("—" if o["p95_ratio"] is None else f"{o['p95_ratio']:.2f}x"),
    ]
    errors = g["errors"] + r["errors"]
    if errors:
        rows.append(f"errors ({len(errors)} shown): " + "; ".join(errors))
    if "segments" in results:
        rows.append(segments.table(results["segments"]))
    return "\n".join(rows)
