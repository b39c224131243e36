"""``bench chat`` end to end against a real gateway process and the stand-in Rasa (quick)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.bench import chat
from bot.handoff.queue import PRIORITY_EMERGENCY, request_handoff
from bot.storage import session_scope, upgrade
from bot.storage.models import Conversation
from tests.gateway_support import make_agent, running_gateway
from tests.test_gateway_relay import FakeRasa

EMERGENCY_TEXTS = {chat.SCRIPTS[i][-1] for i in chat.EMERGENCY_SCRIPTS}


class EmergencyRasa(FakeRasa):
    """Answers every text; an emergency text queues the conversation as the real action does."""

    def answer(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        sender, text = body["sender"], body["message"]
        if text in EMERGENCY_TEXTS:
            with session_scope(self.database_url) as session:
                if session.get(Conversation, sender) is not None:  # the REST comparison has no conversation row
                    request_handoff(session, sender, reason="emergency", priority=PRIORITY_EMERGENCY, summary=text)
            return [{"recipient_id": sender, "text": "请立即撤离并拨打119"}]
        return [{"recipient_id": sender, "text": f"收到：{text}"}]


def test_bench_chat_measures_every_turn_and_every_emergency_of_every_round(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    upgrade(url)
    make_agent(url, "bench-test", "correct-horse-1")
    fake = EmergencyRasa(url)
    n = len(chat.SCRIPTS)  # one of each script, the two emergencies included
    try:
        with running_gateway(url, fake.url, tmp_path / "gw.log") as base:
            results = asyncio.run(chat.measure(base, fake.url, n, ("bench-test", "correct-horse-1"), timeout=20, rounds=2))
    finally:
        fake.server.shutdown()
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
