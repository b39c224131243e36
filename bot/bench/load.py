"""What the cluster benchmarks share: the model they run, the conversations residents play, the
percentiles, and CPU and memory of the supervised processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.bench.chat import EMERGENCY_SCRIPTS, SCRIPTS, percentile
from bot.bench.cluster import Cluster, cpu_seconds, memory_mb
from bot.bench.residents import Sent
from bot.serving import model_for_data
from bot.settings import CACHE_MODELS_DIR, MODELS_DIR

# The chat bench's conversations without its emergencies: an emergency pauses the bot, so a
# resident who sent one gets no more answers and would stop counting towards throughput.
CONVERSATIONS = [script for index, script in enumerate(SCRIPTS) if index not in EMERGENCY_SCRIPTS]
# Live emergencies of a typhoon night (DOMAIN.md §1: fire, gas, flooding with electricity, people
# trapped or hurt), each recognised by the gateway's own rules (bot.nlu.emergency).
EMERGENCIES = [
    "楼道里的电线泡水了在冒火花",
    "窗户被风吹碎了，有人被玻璃划伤流了很多血",
    "电梯停在两层中间，里面有人被困",
    "家里燃气味道很重，好像泄漏了",
    "地下车库水淹了，水越来越深",
    "屋顶漏水，水流到电闸上冒烟了",
]
# A benchmark's residents write faster than the resident rate limit allows one person.
UNLIMITED = {"GATEWAY_RATE_LIMIT": "1000000"}


def bench_model(model: str | None) -> Path:
    """The given model file, or the model for the current data (models/ or the test suite's cache)."""
    if model:
        path = Path(model).resolve()
        if not path.is_file():
            raise ValueError(f"no model at {path}")
        return path
    return model_for_data(MODELS_DIR, also_in=(CACHE_MODELS_DIR,))


def latency(values: list[float]) -> dict[str, float | int | None]:
    return {
        "n": len(values), "p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95), "p99_ms": percentile(values, 99),
        "max_ms": max(values) if values else None,
    }


def replies(sent: list[Sent]) -> dict[str, Any]:
    """Reply latency of the answered turns, and how many were not answered or got "busy"."""
    return {
        **latency([s.reply_ms for s in sent if s.reply_ms is not None]),
        "unanswered": sum(1 for s in sent if s.answered_at is None),
        "told_busy": sum(1 for s in sent if s.not_answered),
    }


def programs(cluster: Cluster) -> dict[str, int]:
    """Every supervised process of the cluster and its pid."""
    names = ["actions", *cluster.stack.rasa_names, *cluster.stack.gateway_names]
    return {name: cluster.pid(name) for name in names}


def cpu(pids: dict[str, int]) -> dict[str, float | None]:
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


def cpu_used(before: dict[str, float | None], after: dict[str, float | None]) -> dict[str, float | None]:
    return {name: None if before.get(name) is None or after.get(name) is None else after[name] - before[name] for name in after}  # type: ignore[operator]


def memory(pids: dict[str, int]) -> dict[str, dict[str, float | None]]:
    return {name: memory_mb(pid) for name, pid in pids.items()}


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"
