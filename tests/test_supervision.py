"""Supervision (``bot/supervision.py``): the supervisord config ``serve`` writes, read back by
supervisord's own parser; real children under a real supervisord — a killed child is restarted with
back-off and logged while the others and a resident's socket stay up, and Ctrl-C stops them all;
and ``python -m bot serve`` itself with a real Rasa killed -9 under a resident's open socket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from supervisor.options import ServerOptions

from bot import rasa_commands, texts
from bot.conversations.status import Status
from bot.gateway.aftercare import alerted_while_busy_text
from bot.processes import Stack, free_port, wait_for_http
from bot.settings import PROJECT_ROOT
from bot.storage import session_scope, upgrade
from bot.storage.models import Conversation
from bot.supervision import STARTRETRIES, Supervision, for_stack, stack_programs
from tests.gateway_support import SECRET, resident_session, ws_url

RASA_DOWN_REPLY = texts.render("message.assistant_busy")


def parsed(config: Path) -> dict[str, Any]:
    """The programs as supervisord itself reads ``config``."""
    options = ServerOptions()
    options.realize(["--configuration", str(config)])
    return {p.name: p for group in options.process_group_configs for p in group.process_configs}


def test_serve_config_is_what_supervisord_reads(tmp_path: Path) -> None:
    stack = Stack(tmp_path / "model 1%.tar.gz", rasa_port=5105, actions_port=5155, gateway_port=8100, env={"DATABASE_URL": "sqlite:////tmp/a%b.db"})
    supervision = for_stack(stack, tmp_path / "run")
    config = supervision.write()
    assert config.stat().st_mode & 0o777 == 0o600
    programs = parsed(config)
    assert sorted(programs, key=lambda name: programs[name].priority) == ["actions", "rasa", "gateway"]  # the gateway stops first
    for name, command in (("actions", stack.actions_command()), ("rasa", stack.rasa_command(stack.endpoints_file(tmp_path / "run"))), ("gateway", stack.gateway_command())):
        program = programs[name]
        assert program.command == " ".join(shlex.quote(a) for a in command.argv), "a path with a space and % survives"
        assert program.directory == str(PROJECT_ROOT)
        assert program.autorestart and program.startretries == STARTRETRIES
        assert program.stopsignal == signal.SIGTERM and program.stopasgroup and program.killasgroup
    assert programs["gateway"].environment == {
        "PORT": "8100", "RASA_URL": "http://127.0.0.1:5105", "RASA_URLS": "http://127.0.0.1:5105", "ACTION_SERVER_URL": "http://127.0.0.1:5155",
    }
    assert not programs["rasa"].environment  # it inherits supervisord's
    # the action server asks Rasa to read a clause alone (actions.common.parse_alone): this stack's Rasa
    assert programs["actions"].environment == {"RASA_URL": "http://127.0.0.1:5105", "RASA_URLS": "http://127.0.0.1:5105"}
    assert supervision.supervisord().env["DATABASE_URL"] == "sqlite:////tmp/a%b.db"
    assert "--endpoints " + str(tmp_path / "run" / "endpoints-5155.yml") in programs["rasa"].command
    assert programs["gateway"].stopwaitsecs > 20, "longer than the gateway's drain"


def test_several_rasa_servers_share_rasas_redis_lock_store(tmp_path: Path) -> None:
    """``serve --rasa-servers 3``: three supervised Rasa servers on consecutive ports, one endpoints
    file naming Rasa's own RedisLockStore (read back by Rasa itself), every one behind the gateway."""
    from rasa.core.lock_store import LockStore, RedisLockStore
    from rasa.core.utils import read_endpoints_from_path

    env = {"DATABASE_URL": "postgresql://wuye@db.internal/wuye", "REDIS_URL": "redis://:s%40cret@redis.internal:6390/3", "REDIS_PREFIX": "wuye-b"}
    stack = Stack(tmp_path / "m.tar.gz", rasa_port=5105, actions_port=5155, gateway_port=8100, env=env, rasa_servers=3)
    supervision = for_stack(stack, tmp_path / "run")
    programs = parsed(supervision.write())
    assert sorted(programs, key=lambda name: (programs[name].priority, name)) == ["actions", "rasa-1", "rasa-2", "rasa-3", "gateway"]
    endpoints = tmp_path / "run" / "endpoints-5155.yml"
    for index, port in enumerate((5105, 5106, 5107), start=1):
        assert f"--port {port} " in programs[f"rasa-{index}"].command and f"--endpoints {endpoints} " in programs[f"rasa-{index}"].command
    urls = "http://127.0.0.1:5105,http://127.0.0.1:5106,http://127.0.0.1:5107"
    assert programs["gateway"].environment["RASA_URLS"] == urls
    assert programs["actions"].environment["RASA_URLS"] == urls  # any of them reads a clause alone
    assert endpoints.stat().st_mode & 0o777 == 0o600, "the Redis password is in it"
    config = read_endpoints_from_path(endpoints)
    assert config.action.url == "http://localhost:5155/webhook"
    assert config.tracker_store.type == "bot.storage.tracker_store.DatabaseUrlTrackerStore", "the tracker store stays the product's own"
    lock_store = LockStore.create(config.lock_store)  # redis-py connects on first use: nothing listens here
    assert isinstance(lock_store, RedisLockStore) and lock_store.key_prefix == "wuyeb:lock:"
    connection = lock_store.red.connection_pool.connection_kwargs
    assert (connection["host"], connection["port"], connection["db"], connection["password"]) == ("redis.internal", 6390, 3, "s@cret")


def test_several_rasa_servers_without_redis_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="REDIS_URL"):
        Stack(tmp_path / "m.tar.gz", rasa_servers=2, env={"REDIS_URL": ""})
    refused = rasa_commands.module("bot", "serve", "--rasa-servers", "2", "--run-dir", str(tmp_path / "run"), env={"REDIS_URL": ""}).run(
        capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 2 and "lock store" in refused.stderr
    assert not (tmp_path / "run").exists(), "refused before anything was written or migrated"


def test_one_rasa_server_with_redis_gets_the_lock_store_too(tmp_path: Path) -> None:
    stack = Stack(tmp_path / "m.tar.gz", env={"REDIS_URL": "redis://127.0.0.1:6379/0"})
    endpoints = stack.endpoints_file(tmp_path)
    assert endpoints != stack.endpoints and "type: redis" in endpoints.read_text()
    assert Stack(tmp_path / "m.tar.gz", env={"REDIS_URL": ""}).endpoints_file(tmp_path) == stack.endpoints, "no Redis, no copy"


def test_a_setting_supervisord_cannot_carry_is_refused(tmp_path: Path) -> None:
    stack = Stack(tmp_path / "m.tar.gz", gateway_port=8100)
    program = stack_programs(stack, tmp_path)[-1]
    odd = type(program)(program.name, rasa_commands.module("bot.gateway", env={"ODD": 'say "hi"'}), 300, 5, 30)
    with pytest.raises(ValueError, match="ODD"):
        Supervision((odd,), tmp_path / "run").render()


# ------------------------------------------------------------------ real children, real supervisord


def alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" not in status.read_text()
    except OSError:
        return False


class Supervised:
    """A running supervisord (in its own session, as a terminal would run it) and its children."""

    def __init__(self, command: rasa_commands.Command, control: Supervision, log: Path) -> None:
        self.control, self.log = control, log
        with open(log, "ab") as out:
            self.process = command.start(stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.seen: set[int] = set()

    def pid(self, name: str, other_than: int = 0, timeout: float = 60) -> int:
        """The child's pid once it runs (supervisorctl answers 0 while it is down), other than a killed one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.control.control("pid", name).run(capture_output=True, text=True)
            if result.stdout.strip().isdigit() and int(result.stdout) not in (0, other_than):
                self.seen.add(int(result.stdout))
                return int(result.stdout)
            time.sleep(0.2)
        raise TimeoutError(f"{name} is not running: {self.log.read_text(errors='replace')[-3000:]}")

    def lines(self, pattern: str) -> list[str]:
        return [line for line in self.log.read_text(errors="replace").splitlines() if re.search(pattern, line)]

    def interrupt(self, timeout: float = 90) -> int:
        """Ctrl-C: SIGINT to the terminal's process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def children(self) -> set[int]:
        found: set[int] = set()
        for task in Path(f"/proc/{self.process.pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                found.update(int(pid) for pid in (task / "children").read_text().split())
        return found

    def cleanup(self) -> None:
        """After a failed test too: supervisord stops its children; anything left is killed."""
        if self.process.poll() is None:
            self.seen |= self.children()
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=90)
        for pid in [self.process.pid, *self.seen]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'supervised.db'}"
    upgrade(url)
    return url


def test_a_killed_child_is_restarted_with_back_off_and_the_others_stay_up(database: str, tmp_path: Path) -> None:
    """The action server and the gateway under supervisord (no Rasa: the gateway answers politely)."""
    stack = Stack(tmp_path / "unused.tar.gz", rasa_port=free_port(), actions_port=free_port(), gateway_port=free_port(),
                  env={"DATABASE_URL": database, "GATEWAY_SECRET": SECRET})
    programs = tuple(p for p in stack_programs(stack, tmp_path) if p.name != "rasa")
    supervision = Supervision(programs, tmp_path / "run", env=stack.env)
    supervision.write()
    running = Supervised(supervision.supervisord(), supervision, tmp_path / "supervisord.out")
    base = f"http://127.0.0.1:{stack.gateway_port}"
    try:
        wait_for_http(f"{base}/healthz", 60, running.process)
        wait_for_http(f"http://127.0.0.1:{stack.actions_port}/health", 120, running.process)
        gateway, actions = running.pid("gateway"), running.pid("actions")
        resident = resident_session(base)

        async def across_an_action_server_crash() -> list[dict[str, Any]]:
            async with websockets.connect(ws_url(base, f"/ws/resident?token={resident['token']}")) as socket:
                os.kill(actions, signal.SIGKILL)
                await asyncio.to_thread(wait_gone, actions)
                await asyncio.to_thread(wait_for_http, f"http://127.0.0.1:{stack.actions_port}/health", 120)
                await socket.send(json.dumps({"text": "电梯坏了"}))
                return [json.loads(await asyncio.wait_for(socket.recv(), 30)) for _ in range(2)]

        frames = asyncio.run(across_an_action_server_crash())
        restarted = running.pid("actions", other_than=actions)
        assert [f["message"]["text"] for f in frames] == ["电梯坏了", RASA_DOWN_REPLY]  # the same socket, still served
        assert running.pid("gateway") == gateway
        assert running.lines(r"WARN exited: actions \(terminated by SIGKILL; not expected\)")
        health = httpx.get(f"{base}/healthz").json()
        assert health["parts"]["actions"]["ok"] is True

        # The gateway killed twice in a row: restarted at once after a long run, then in back-off.
        os.kill(gateway, signal.SIGKILL)
        again = running.pid("gateway", other_than=gateway)
        os.kill(again, signal.SIGKILL)
        third = running.pid("gateway", other_than=again)
        wait_for_http(f"{base}/healthz", 60, running.process)
        exits = running.lines(r"WARN exited: gateway \(terminated by SIGKILL; not expected\)")
        spawns = running.lines(r"INFO spawned: 'gateway' with pid")
        assert len(exits) == 2 and len(spawns) == 3

        def stamp(line: str) -> float:
            clock = re.match(r"\S+ (\d+):(\d+):(\d+),(\d+)", line)
            assert clock is not None, line
            h, m, s, ms = map(int, clock.groups())
            return h * 3600 + m * 60 + s + ms / 1000

        assert stamp(spawns[2]) - stamp(exits[1]) >= 0.9, "a second quick failure waits (back-off)"
        assert running.pid("actions") == restarted, "the gateway's crashes left the action server alone"

        assert supervision.running()
        second = rasa_commands.module("bot", "serve", "--run-dir", str(supervision.run_dir), env=stack.env).run(capture_output=True, text=True, timeout=120)
        assert second.returncode == 1 and "already running" in second.stderr, "a second serve on the same run folder is refused"
        assert running.pid("gateway") == third

        children = [running.pid("gateway"), running.pid("actions")]
        assert running.interrupt() == 0
        assert not supervision.running()
        assert not any(alive(pid) for pid in children), "Ctrl-C leaves no child behind"
        assert running.lines(r"stopped: gateway") and running.lines(r"stopped: actions")
    finally:
        running.cleanup()


# ------------------------------------------------------------------ python -m bot serve, real Rasa


@pytest.fixture
def serve(trained_model: Path, database: str, tmp_path: Path) -> Iterator[tuple[Supervised, dict[str, int]]]:
    ports = {"gateway": free_port(), "rasa": free_port(), "actions": free_port()}
    command = rasa_commands.module(
        "bot", "serve", "--model", str(trained_model), "--port", str(ports["gateway"]), "--rasa-port", str(ports["rasa"]),
        "--actions-port", str(ports["actions"]), "--run-dir", str(tmp_path / "run"),
        env={"DATABASE_URL": database, "GATEWAY_SECRET": SECRET},
    )
    control = Supervision((), tmp_path / "run")  # supervisorctl reads serve's config
    running = Supervised(command, control, tmp_path / "serve.out")
    try:
        yield running, ports
    finally:
        running.cleanup()


@pytest.mark.rasa
def test_serve_restarts_a_killed_rasa_while_residents_stay_connected(serve: tuple[Supervised, dict[str, int]], database: str) -> None:
    running, ports = serve
    base, rasa = f"http://127.0.0.1:{ports['gateway']}", f"http://127.0.0.1:{ports['rasa']}"
    wait_for_http(f"{base}/healthz", 120, running.process)
    wait_for_http(f"{rasa}/status", 300, running.process)
    pids = {name: running.pid(name) for name in ("gateway", "actions", "rasa")}
    resident, neighbour = resident_session(base), resident_session(base)

    async def conversation() -> tuple[list[str], list[str], list[str], dict[str, Any]]:
        async with websockets.connect(ws_url(base, f"/ws/resident?token={resident['token']}")) as socket:

            async def say(text: str) -> list[str]:
                await socket.send(json.dumps({"text": text}))
                texts = []
                while True:  # the echo, then the bot's replies until a quiet second
                    try:
                        frame = json.loads(await asyncio.wait_for(socket.recv(), 60 if not texts[1:] else 1))
                    except asyncio.TimeoutError:
                        return texts
                    if frame["type"] == "message":
                        texts.append(frame["message"]["text"])

            before = await say("你好")
            os.kill(pids["rasa"], signal.SIGKILL)
            await asyncio.to_thread(wait_gone, pids["rasa"])
            during = await say("你们物业电话多少")
            health = httpx.get(f"{base}/healthz", timeout=10)
            async with websockets.connect(ws_url(base, f"/ws/resident?token={neighbour['token']}")) as other:
                await other.send(json.dumps({"text": "厨房着火了"}))  # a live emergency while Rasa is down
                alarm = [json.loads(await asyncio.wait_for(other.recv(), 30))["message"]["text"] for _ in range(2)]
                assert alarm == ["厨房着火了", alerted_while_busy_text("fire")]  # what to do now, not the generic apology
            await asyncio.to_thread(wait_for_http, f"{rasa}/status", 300)
            after = await say("你好")
            return before, during, after, {"http": health.status_code, **health.json()}

    before, during, after, health = asyncio.run(conversation())
    assert before[0] == "你好" and len(before) > 1 and RASA_DOWN_REPLY not in before
    assert during == ["你们物业电话多少", RASA_DOWN_REPLY]  # stored, answered politely, the socket stays open
    assert health["http"] == 200 and health["status"] == "degraded" and health["ok"] is True and health["ready"] is True
    assert health["parts"]["rasa"][0]["ok"] is False and health["degraded"] == [f"rasa {rasa}"]
    assert health["parts"]["database"]["ok"] and health["parts"]["actions"]["ok"]
    assert after[0] == "你好" and len(after) > 1 and RASA_DOWN_REPLY not in after  # Rasa is back on the same socket
    running.pid("rasa", other_than=pids["rasa"])
    assert {name: running.pid(name) for name in ("gateway", "actions")} == {n: pids[n] for n in ("gateway", "actions")}
    assert running.lines(r"WARN exited: rasa \(terminated by SIGKILL; not expected\)")
    with session_scope(database) as session:  # the gateway's own rules queued it for the agents
        assert session.get(Conversation, neighbour["resident_id"]).status == Status.PENDING
    assert httpx.get(f"{base}/healthz", timeout=10).json()["degraded"] == []

    children = [running.pid(name) for name in ("gateway", "actions", "rasa")]
    running.process.send_signal(signal.SIGTERM)  # serve became supervisord: the signal is its own
    assert running.process.wait(timeout=120) == 0
    assert not any(alive(pid) for pid in children), "SIGTERM leaves no child behind"


def wait_gone(pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
