"""Helpers for gateway tests: a real gateway process on a free port, logged-in agents, a resident."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import websockets

from bot.gateway.agents import create_agent
from bot.processes import free_port, wait_for_http
from bot.settings import PROJECT_ROOT
from bot.storage import session_scope

SECRET = "test-secret-for-gateway"


def start_gateway(database_url: str, rasa_url: str, log: Path, **env: str) -> tuple[subprocess.Popen, str]:
    """A gateway process on a free port, answering; the process (to signal) and its base URL."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GATEWAY_SECRET": SECRET,
        "PORT": str(port),
        "RASA_URL": rasa_url,
        "RASA_TELEMETRY_ENABLED": "false",
        **env,
    }
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "bot.gateway"], cwd=PROJECT_ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", 60, process)
    except BaseException:
        process.kill()
        raise
    return process, f"http://127.0.0.1:{port}"


@contextmanager
def running_gateway(database_url: str, rasa_url: str, log: Path, **env: str) -> Iterator[str]:
    process, base = start_gateway(database_url, rasa_url, log, **env)
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def make_agent(database_url: str, name: str, password: str = "correct-horse-1") -> None:
    with session_scope(database_url) as session:
        create_agent(session, name, password)


def login(base: str, name: str, password: str = "correct-horse-1") -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=30)
    reply = client.post("/api/agent/login", json={"name": name, "password": password})
    assert reply.status_code == 200, reply.text
    return client, reply.json()["csrf"]


def cookie_header(client: httpx.Client) -> str:
    """The logged-in client's cookies as a ``Cookie`` header, for the console's WebSocket."""
    return "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)


def resident_session(base: str, token: str | None = None) -> dict[str, str]:
    return httpx.post(f"{base}/api/resident/session", json={"token": token}, timeout=30).json()


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://") + path


async def frames_until(socket: Any, done: Any, timeout: float = 20) -> list[dict[str, Any]]:
    """A socket's frames up to and including the first for which ``done(frame)`` holds."""
    frames: list[dict[str, Any]] = []
    while not frames or not done(frames[-1]):
        frames.append(json.loads(await asyncio.wait_for(socket.recv(), timeout)))
    return frames


async def exchange(base: str, token: str, frames: list[Any], wait_for: int, timeout: float = 30) -> list[dict[str, Any]]:
    """Send frames (str sent raw, others as JSON) and collect ``wait_for`` frames back."""
    received: list[dict[str, Any]] = []
    async with websockets.connect(ws_url(base, f"/ws/resident?token={token}")) as socket:
        for frame in frames:
            await socket.send(frame if isinstance(frame, str) else json.dumps(frame, ensure_ascii=False))
        while len(received) < wait_for:
            received.append(json.loads(await asyncio.wait_for(socket.recv(), timeout)))
    return received


class ClockFile:
    """The clock of every process given ``WUYE_CLOCK_FILE=<path>`` (bot.clock): the test writes the
    seconds to add, the processes re-read the file. ``env`` is what a gateway process needs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds = 0.0
        self._write()

    @property
    def env(self) -> dict[str, str]:
        return {"WUYE_CLOCK_FILE": str(self.path)}

    def advance(self, delta: timedelta) -> None:
        self.seconds += delta.total_seconds()
        self._write()

    def _write(self) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(str(self.seconds), encoding="utf-8")
        os.replace(temporary, self.path)  # a new inode: readers see the change at once


@contextmanager
def shared_clock(path: Path) -> Iterator[ClockFile]:
    """A clock file, read by this process's product clock too (on top of the suite's calendar)."""
    from bot.clock import ShiftedClock, clock_in_use, system_utcnow, utcnow

    clock_file = ClockFile(path)
    with clock_in_use(ShiftedClock(utcnow() - system_utcnow(), path)):
        yield clock_file
