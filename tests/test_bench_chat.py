"""``bench chat`` end to end against a real gateway process and the stand-in Rasa (quick)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.bench import chat
from bot.storage import upgrade
from tests.gateway_support import make_agent, running_gateway
from tests.standin_rasa import StandInRasa

EMERGENCY_TEXTS = {chat.SCRIPTS[i][-1] for i in chat.EMERGENCY_SCRIPTS}


def test_bench_chat_measures_every_turn_and_every_emergency_of_every_round(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    upgrade(url)
    make_agent(url, "bench-test", "correct-horse-1")
    n = len(chat.SCRIPTS)  # one of each script, the two emergencies included
    # Every text is answered; an emergency text goes through the real intake, as the emergency action does.
    rasa = StandInRasa(database_url=url, emergencies=EMERGENCY_TEXTS)
    with rasa, running_gateway(url, rasa.url, tmp_path / "gw.log") as base:
        results = asyncio.run(chat.measure(base, rasa.url, n, ("bench-test", "correct-horse-1"), timeout=20, rounds=2))
    turns = 2 * sum(len(s) for s in chat.SCRIPTS)  # the warm-up's turns are not counted
    assert results["gateway"]["errors"] == [] and results["rasa_rest"]["errors"] == []
    assert results["gateway"]["n"] == turns == results["rasa_rest"]["n"] and results["rounds"] == 2
    assert results["emergency_to_console"]["n"] == 2 * len(chat.EMERGENCY_SCRIPTS)
    assert results["emergency_to_console"]["missing"] == 0
    assert results["overhead"]["p95_ratio"] is not None
    assert "Rasa REST direct" in chat.table(results)


def test_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert chat.percentile(values, 50) == 51
    assert chat.percentile(values, 99) == 99
    assert chat.percentile([], 95) is None
