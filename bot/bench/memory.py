"""``python -m bot bench memory``: the model's size and each process's resident memory — the cost of
every Rasa replica.

A cluster (:mod:`bot.bench.cluster`: ``rasa_servers`` Rasa servers, one action server, the
gateways) is started and warmed up — every conversation of the chat bench played once through each
gateway, so each process has loaded what it loads on first use (the action server's spaCy and
jieba, Rasa's policies on a real turn) — then each supervised process's memory is read from
``/proc``: RSS now, its peak (VmHWM) and PSS (shared pages divided among the processes sharing
them: what one more replica adds). The model: the file's size and, unpacked, what it holds.
"""

from __future__ import annotations

import asyncio
import tarfile
from pathlib import Path
from typing import Any

import aiohttp

from bot.bench.cluster import running_cluster
from bot.bench.load import CONVERSATIONS, UNLIMITED, memory, programs
from bot.bench.residents import Resident


def model_size(model: Path) -> dict[str, Any]:
    """The model file's size and its unpacked size (all members), in MiB."""
    with tarfile.open(model) as archive:
        unpacked = sum(member.size for member in archive.getmembers() if member.isfile())
    return {"file": model.name, "file_mb": model.stat().st_size / 2**20, "unpacked_mb": unpacked / 2**20}


async def warm_up(gateways: list[str]) -> int:
    """Every conversation once through each gateway; the turns answered."""
    answered = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        for base in gateways:
            for script in CONVERSATIONS:
                resident = await Resident([base], http).start()
                for text in script:
                    answered += (await resident.say(text, answer_timeout=60)).answered_at is not None
                await resident.close()
    return answered


def run(model: Path, *, rasa_servers: int = 2, gateways: int = 1, database_url: str | None, redis_url: str, keep: Path | None = None) -> dict[str, Any]:
    with running_cluster(model, rasa_servers=rasa_servers, gateways=gateways, database_url=database_url, redis_url=redis_url, keep=keep, env=UNLIMITED) as cluster:
        answered = asyncio.run(warm_up(cluster.gateway_urls))
        processes = memory(programs(cluster))
    totals = {key: sum(p[key] or 0.0 for p in processes.values()) for key in ("rss_mb", "pss_mb")}
    return {"model": model_size(model), "rasa_servers": rasa_servers, "gateways": gateways, "warm_up_turns_answered": answered,
            "processes": processes, "total": totals}


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def table(results: dict[str, Any]) -> str:
    model = results["model"]
    rows = [
        f"model {model['file']}: {model['file_mb']:.1f} MiB on disk, {model['unpacked_mb']:.1f} MiB unpacked; "
        f"{results['rasa_servers']} Rasa server(s), {results['gateways']} gateway(s), after {results['warm_up_turns_answered']} warm-up turns",
        "| process | RSS MiB | peak MiB | PSS MiB |",
        "|---|---|---|---|",
    ]
    for name, used in results["processes"].items():
        rows.append(f"| {name} | {_mb(used['rss_mb'])} | {_mb(used['peak_mb'])} | {_mb(used['pss_mb'])} |")
    rows.append(f"| all | {_mb(results['total']['rss_mb'])} | | {_mb(results['total']['pss_mb'])} |")
    return "\n".join(rows)
