"""``python -m bot bench saturation``: messages per second at saturation through the gateway, with
one Rasa server and with two, side by side in one run.

One cluster on this machine (:mod:`bot.bench.cluster`): two Rasa servers sharing the tracker store
and Rasa's lock store in Redis, one action server, and two gateways on the same database — gateway
A sends every conversation to the first Rasa server only (``RASA_URLS`` of one), gateway B spreads
them over both. Phases alternate A, B, A, B … (``rounds`` of each), so slow drift falls on both.
In a phase ``residents`` widget residents (:mod:`bot.bench.residents`) each send their next message
the moment the previous one is answered (no think time), for ``seconds``; throughput is the turns
answered in the phase divided by its length. The CPU time each process used in each phase says
which one limits it (on two cores, two Rasa servers compete with the action server, the gateway
and the bench itself).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.bench.cluster import Cluster, consecutive_free_ports, running_cluster
from bot.bench.load import CONVERSATIONS, UNLIMITED, cpu, cpu_used, ms, programs, replies
from bot.bench.residents import Resident, Sent
from bot.processes import wait_for_http


async def phase(base: str, residents: int, seconds: float, pids: dict[str, int]) -> dict[str, Any]:
    """``residents`` residents chatting without pause through ``base`` for ``seconds``."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        people = [await Resident([base], http).start() for _ in range(residents)]
        sent: list[Sent] = []
        started = time.monotonic()
        ends = started + seconds
        before = cpu(pids)

        async def chat(resident: Resident, index: int) -> None:
            script, turn = CONVERSATIONS[index % len(CONVERSATIONS)], 0
            while time.monotonic() < ends:
                said = await resident.say(script[turn % len(script)], answer_timeout=60)
                if said.answered_at is not None and said.answered_at <= ends:
                    sent.append(said)
                turn += 1

        await asyncio.gather(*(chat(r, i) for i, r in enumerate(people)))
        used = cpu_used(before, cpu(pids))
        elapsed = time.monotonic() - started
        for resident in people:
            await resident.close()
    answered = [s for s in sent if s.answered_at is not None]
    return {"seconds": elapsed, "answered": len(answered), "messages_per_second": len(answered) / seconds, **replies(sent), "cpu_seconds": used}


def run(
    model: Path, *, residents: int = 50, seconds: float = 60.0, rounds: int = 1, database_url: str | None, redis_url: str, keep: Path | None = None,
) -> dict[str, Any]:
    with running_cluster(model, rasa_servers=2, gateways=1, database_url=database_url, redis_url=redis_url, keep=keep, env=UNLIMITED) as cluster:
        one = _gateway_to_first_rasa(cluster)
        try:
            bases = {1: f"http://127.0.0.1:{one[0]}", 2: cluster.gateway_urls[0]}
            pids = programs(cluster) | {"gateway (1 Rasa)": one[1].pid}
            asyncio.run(_warm_up(list(bases.values())))
            phases: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
            for _ in range(rounds):
                for servers in (1, 2):
                    phases[servers].append(asyncio.run(phase(bases[servers], residents, seconds, pids)))
        finally:
            one[1].terminate()
            one[1].wait(timeout=60)
    summary = {servers: _combine(results) for servers, results in phases.items()}
    rate = {servers: summary[servers]["messages_per_second"] for servers in summary}
    return {
        "residents": residents, "seconds_per_phase": seconds, "rounds": rounds,
        "one_rasa": summary[1], "two_rasa": summary[2],
        "ratio": rate[2] / rate[1] if rate[1] else None,
        "store": "postgresql" if (database_url or "").startswith("postgresql") else "sqlite",
    }


def _gateway_to_first_rasa(cluster: Cluster) -> tuple[int, subprocess.Popen]:
    """A gateway beside the cluster's, talking to its first Rasa server only."""
    port = consecutive_free_ports(1)
    command = cluster.stack.gateway_command(port, [cluster.rasa_urls[0]])
    with open(cluster.folder / "gateway-one-rasa.log", "ab") as out:
        process = command.start(stdout=out, stderr=subprocess.STDOUT)
    wait_for_http(f"http://127.0.0.1:{port}/readyz", 120, process)
    return port, process


async def _warm_up(bases: list[str]) -> None:
    """One conversation of each kind through each gateway, untimed (Rasa's first calls)."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        for base in bases:
            for script in CONVERSATIONS:
                resident = await Resident([base], http).start()
                for text in script:
                    await resident.say(text, answer_timeout=60)
                await resident.close()


def _combine(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Phases of one configuration: throughput averaged, the last phase's percentiles and CPU kept per phase."""
    return {
        "messages_per_second": sum(r["messages_per_second"] for r in results) / len(results),
        "phases": results,
    }


def table(results: dict[str, Any]) -> str:
    rows = [
        f"saturation: {results['residents']} residents without pause, {results['seconds_per_phase']:g} s per phase, "
        f"{results['rounds']} round(s), store {results['store']}",
        "| Rasa servers | phase | msg/s | reply p50 / p95 / p99 ms | unanswered | CPU s: rasa-1 / rasa-2 / actions / gateway |",
        "|---|---|---|---|---|---|",
    ]
    for label, key, gateway in (("1", "one_rasa", "gateway (1 Rasa)"), ("2", "two_rasa", "gateway")):
        for index, phase_result in enumerate(results[key]["phases"], start=1):
            used = phase_result["cpu_seconds"]
            cpu_text = " / ".join("—" if used.get(name) is None else f"{used[name]:.1f}" for name in ("rasa-1", "rasa-2", "actions", gateway))
            rows.append(
                f"| {label} | {index} | {phase_result['messages_per_second']:.1f} | {ms(phase_result['p50_ms'])} / {ms(phase_result['p95_ms'])} / "
                f"{ms(phase_result['p99_ms'])} | {phase_result['unanswered']} | {cpu_text} |"
            )
    ratio = results["ratio"]
    rows.append(f"two Rasa servers / one: {'—' if ratio is None else f'{ratio:.2f}x'} msg/s")
    return "\n".join(rows)
