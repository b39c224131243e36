"""``bench chat --segments``: timing lines (``bot/timings.py``) from the gateway's Rasa client and the
Rasa server, joined per turn with the bench's own stamps (``bot/bench/segments.py``)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot import timings
from bot.bench import chat, segments
from bot.storage import upgrade
from tests.gateway_support import make_agent, running_gateway
from tests.standin_rasa import StandInRasa


@pytest.fixture
def timings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "timings"
    monkeypatch.setenv("WUYE_TIMINGS_DIR", str(folder))
    monkeypatch.setattr(timings, "_recorders", {})
    return folder


def test_off_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WUYE_TIMINGS_DIR", raising=False)
    monkeypatch.setattr(timings, "_recorders", {})
    assert timings.recorder("gateway") is None


def test_lines_are_read_back_with_their_role(timings_dir: Path) -> None:
    recorder = timings.recorder("gateway")
    assert recorder is not None and timings.recorder("gateway") is recorder
    recorder.write(sender="r1", sent=1.0, replied=1.2)
    (timings_dir / "rasa-1.jsonl").write_text('{"sender": "r1", "started": 1.05, "finished": 1.15}\n{"sender": "r1", "sta')
    rows = timings.read(timings_dir)
    assert {"role": "gateway", "sender": "r1", "sent": 1.0, "replied": 1.2} in rows
    assert {"role": "rasa", "sender": "r1", "started": 1.05, "finished": 1.15} in rows and len(rows) == 2, "a half-written line is skipped"


def test_the_rasa_server_records_each_turn_with_its_lock_wait_and_action_calls(timings_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.lock_store import LockStore

    from bot import rasa_server

    async def acquire(self: Any, *args: Any) -> None:
        await asyncio.sleep(0.02)

    async def run(self: Any, *args: Any) -> list:
        await asyncio.sleep(0.03)
        return []

    async def handle_message(self: Any, message: Any) -> list:
        await LockStore._acquire_lock(self)
        await RemoteAction.run(self)
        await RemoteAction.run(self)
        return [{"text": "好的"}]

    monkeypatch.setattr(Agent, "handle_message", handle_message)
    monkeypatch.setattr(RemoteAction, "run", run)
    monkeypatch.setattr(LockStore, "_acquire_lock", acquire)
    rasa_server.install_timings()

    class Message:
        sender_id = "r-7"

    assert asyncio.run(Agent.handle_message(object(), Message())) == [{"text": "好的"}]
    [row] = timings.read(timings_dir)
    assert row["role"] == "rasa" and row["sender"] == "r-7"
    assert 15 <= row["lock_ms"] < 2000 and 50 <= row["actions_ms"] < 4000  # slept 20 and 2×30 ms; not a speed claim
    assert (row["finished"] - row["started"]) * 1000 >= row["lock_ms"] + row["actions_ms"]


def test_turns_are_split_into_segments() -> None:
    rows = [
        {"role": "gateway", "sender": "a", "sent": 10.010, "replied": 10.110},
        {"role": "rasa", "sender": "a", "started": 10.020, "finished": 10.100, "lock_ms": 5.0, "actions_ms": 30.0},
        {"role": "rasa", "sender": "b", "started": 20.005, "finished": 20.095, "lock_ms": 0.0, "actions_ms": 10.0},
        {"role": "rasa", "sender": "a", "started": 99.0, "finished": 99.1},  # another turn of the same sender
    ]
    [through] = segments.join([("a", 10.0, 10.130)], rows, through_gateway=True)
    assert through == pytest.approx({
        "total": 130.0, "gateway in": 10.0, "to Rasa": 10.0, "Rasa turn": 80.0, "from Rasa": 10.0, "gateway out": 20.0,
        "lock wait": 5.0, "action calls": 30.0, "Rasa own": 45.0,
    })
    [direct] = segments.join([("b", 20.0, 20.1)], rows, through_gateway=False)
    assert direct == pytest.approx({"total": 100.0, "to Rasa": 5.0, "Rasa turn": 90.0, "from Rasa": 5.0, "lock wait": 0.0, "action calls": 10.0, "Rasa own": 80.0})
    assert segments.join([("c", 1.0, 2.0), ("a", 50.0, 51.0)], rows, through_gateway=False) == [], "no rows of its own: left out"
    described = segments.describe([through], segments.GATEWAY)
    assert described["turns"] == 1 and described["segments"]["gateway out"]["tail_mean_ms"] == pytest.approx(20.0)
    assert "gateway in" in segments.table({"gateway": described, "direct": segments.describe([direct], segments.DIRECT)})


def test_a_real_gateway_writes_the_rasa_client_side_of_every_turn(tmp_path: Path) -> None:
    """``bench chat`` against a gateway started with ``WUYE_TIMINGS_DIR``: every timed turn has the
    gateway's line (the stand-in Rasa writes none, so no turn is fully joined)."""
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    upgrade(url)
    make_agent(url, "bench-test", "correct-horse-1")
    folder = tmp_path / "timings"
    with StandInRasa(database_url=url) as rasa, running_gateway(url, rasa.url, tmp_path / "gw.log", WUYE_TIMINGS_DIR=str(folder)) as base:
        results = asyncio.run(chat.measure(base, rasa.url, 2, ("bench-test", "correct-horse-1"), timeout=20, timings_dir=folder))
    lines = [json.loads(line) for path in folder.glob("gateway-*.jsonl") for line in path.read_text().splitlines()]
    assert len(lines) >= results["gateway"]["n"] > 0
    assert all(line["server"] == rasa.url and line["replied"] >= line["sent"] for line in lines)
    assert results["segments"]["gateway"]["turns"] == 0 and "segments" in chat.table(results)
