"""The action server (bot.action_server): rasa_sdk's, with every synchronous action run in a worker
thread. An action waiting for the database (SQLite's write lock, held by the gateway or Rasa's
tracker store) no longer stops the action server's event loop, so other residents' actions go on;
before, one such wait held up every action call behind it (the chat benchmark's tail)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor

from bot.action_server import run_actions_in_threads
from tests.loop_support import HOLD_SECONDS, MAX_STALL, longest_stall


def test_synchronous_actions_run_in_worker_threads_and_the_loop_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ActionExecutor, "register_function", ActionExecutor.register_function)  # restored afterwards
    run_actions_in_threads()
    run_actions_in_threads()  # idempotent: registering wraps once
    executor = ActionExecutor()
    ran_in: list[int] = []

    def slow_action(dispatcher: Any, tracker: Any, domain: Any) -> list[dict[str, Any]]:
        ran_in.append(threading.get_ident())
        time.sleep(HOLD_SECONDS)  # a database wait
        dispatcher.utter_message(text="好的")
        return []

    async def quick_action(dispatcher: Any, tracker: Any, domain: Any) -> list[dict[str, Any]]:
        return []

    executor.register_function("action_slow", slow_action)
    executor.register_function("action_quick", quick_action)
    assert executor.actions["action_quick"] is quick_action  # coroutines are left as they are

    def call(name: str) -> dict[str, Any]:
        return {"next_action": name, "tracker": {"sender_id": "r1", "slots": {}, "latest_message": {}, "events": []}, "domain": {}}

    reply, stall, ticks = asyncio.run(longest_stall(executor.run(call("action_slow"))))
    assert reply is not None and reply["responses"][0]["text"] == "好的"
    assert ran_in and ran_in[0] != threading.get_ident()
    assert ticks > 20 and stall < MAX_STALL, f"the loop stopped for {stall:.2f} s"
