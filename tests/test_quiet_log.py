"""A quiet log (issue 12 §6): a gateway process started as an operator starts it (no
``PYTHONWARNINGS``), residents and an agent opening and closing their sockets the ways browsers do —
a tab closed normally (a close frame), a connection dropped (no close frame), a health probe that
gives up — then a normal stop. Its log has no deprecation warning, no ERROR and no traceback; before
``bot.logs`` and ``bot.gateway.web.receive`` it showed 46 deprecation warnings and an
``asyncio ERROR Task was destroyed but it is pending!`` for every closed tab."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from pathlib import Path

import httpx
import pytest
import websockets

from bot.processes import Stack
from bot.storage import upgrade
from tests.gateway_support import cookie_header, login, make_agent, resident_session, start_gateway, ws_url
from tests.standin_rasa import StandInRasa

NOISE = re.compile(r"ERROR|CRITICAL|Traceback|Warning:|Task was destroyed|Exception")


async def browsers(base: str, token: str, cookie: str) -> None:
    async with websockets.connect(ws_url(base, f"/ws/resident?token={token}&features=typing")) as tab:
        await tab.send(json.dumps({"type": "message", "text": "你好，请问物业费怎么交"}, ensure_ascii=False))
        frames = [json.loads(await asyncio.wait_for(tab.recv(), 30)) for _ in range(2)]
        assert frames[0]["type"] == "message"
    # a tab closed while the assistant is still answering
    async with websockets.connect(ws_url(base, f"/ws/resident?token={token}")) as tab:
        await tab.send(json.dumps({"type": "message", "text": "还有一个问题"}, ensure_ascii=False))
    # a connection that drops without a close frame (a phone losing its network)
    dropped = await websockets.connect(ws_url(base, f"/ws/resident?token={token}"))
    dropped.transport.abort()
    # the agent's console, opened and closed
    async with websockets.connect(ws_url(base, "/ws/agent"), extra_headers={"Cookie": cookie}) as console:
        assert json.loads(await asyncio.wait_for(console.recv(), 30))["type"] == "queue"
    await asyncio.sleep(2)


def test_normal_disconnects_and_a_normal_stop_leave_no_warning_or_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    url = f"sqlite:///{tmp_path / 'gw.db'}"
    upgrade(url)
    make_agent(url, "zhang")
    log = tmp_path / "gateway.log"
    with StandInRasa() as rasa:
        process, base = start_gateway(url, rasa.url, log)
        try:
            with pytest.raises(httpx.TimeoutException):  # a health probe that gives up before the answer
                httpx.get(f"{base}/healthz", timeout=0.001)
            resident = resident_session(base)
            client, _ = login(base, "zhang")
            asyncio.run(browsers(base, resident["token"], cookie_header(client)))
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
    text = log.read_text(encoding="utf-8")
    assert "connection open" in text and "drained" in text  # the log is the gateway's, and it stopped normally
    assert text.count("Goin' Fast") == 1, "Sanic's lines are printed once, in the product's format"
    noisy = [line for line in text.splitlines() if NOISE.search(line)]
    assert noisy == [], "\n".join(noisy)


@pytest.mark.rasa
def test_rasa_and_the_action_server_start_without_library_warnings(rasa_stack: Stack) -> None:
    """Started as ``serve`` starts them (``bot.rasa_commands``), the Rasa server and the action
    server log no library's warning: before ``bot.action_server`` and the filter applied again after
    Rasa configures its own, a start printed sanic_cors' ``LooseVersion`` deprecation twice and
    matplotlib's pyparsing deprecations three times."""
    assert rasa_stack.log_dir is not None
    for name in ("rasa", "actions"):
        text = (rasa_stack.log_dir / f"{name}.log").read_text(encoding="utf-8", errors="replace")
        assert text.strip(), f"{name} logged nothing: not the log of the running stack"
        warned = [line for line in text.splitlines() if re.search(r"Warning\b|warnings\.warn", line)]
        assert warned == [], f"{name}:\n" + "\n".join(warned)
