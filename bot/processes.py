"""Starting and stopping the product's processes (Rasa servers, action server, web gateways).

Commands and their environment come from :mod:`bot.rasa_commands`; which model Rasa runs is the
caller's choice (:mod:`bot.serving`).

Several Rasa servers (a cluster, ``serve --rasa-servers N``) share the tracker store (the product's
database, ``DATABASE_URL``) and must share Rasa's lock store, which serialises one conversation's
turns: Rasa's default lock store is in memory, one per server, and Rasa's documentation says it
must not be used with more than one server. With ``REDIS_URL`` set, the endpoints file every Rasa
server here gets names Rasa's own ``RedisLockStore`` on that Redis (:func:`rasa_endpoints`);
several servers without it are refused.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from bot import rasa_commands, settings
from bot.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout: float = 180.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status < 500:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


def lock_store_endpoint(redis_url: str, prefix: str) -> dict[str, Any]:
    """Rasa's ``lock_store`` section for ``RedisLockStore`` on ``redis_url`` (``redis://`` or
    ``rediss://``, user, password, port and database number as in the URL). Its keys are
    ``<prefix>:lock:<conversation>``, beside the gateway's own (Rasa wants an alphanumeric prefix)."""
    parts = urlsplit(redis_url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"Rasa's lock store needs a redis:// or rediss:// URL, not {parts.scheme or redis_url!r}")
    database = parts.path.strip("/")
    endpoint: dict[str, Any] = {
        "type": "redis",
        "url": parts.hostname or "localhost",
        "port": parts.port or 6379,
        "db": int(database) if database.isdigit() else 0,  # redis-py's default for a URL without one
        "key_prefix": "".join(c for c in prefix if c.isalnum()) or "wuye",
    }
    if parts.username:
        endpoint["username"] = unquote(parts.username)
    if parts.password:
        endpoint["password"] = unquote(parts.password)
    if parts.scheme == "rediss":
        endpoint["use_ssl"] = True
    return endpoint


def rasa_endpoints(base: Path, actions_port: int, redis_url: str = "", redis_prefix: str = "wuye") -> str:
    """``base`` (``endpoints.yml``: the action server, the tracker store on ``DATABASE_URL``) for a
    stack: its action server's port and, with Redis, Rasa's ``RedisLockStore``."""
    endpoints = yaml.safe_load(base.read_text(encoding="utf-8")) or {}
    action = dict(endpoints.get("action_endpoint") or {})
    action["url"] = f"http://localhost:{actions_port}/webhook"
    endpoints["action_endpoint"] = action
    if redis_url:
        endpoints["lock_store"] = lock_store_endpoint(redis_url, redis_prefix)
    header = f"# Generated from {base.name} by bot/processes.py for this stack: edit that, not this file.\n"
    return header + yaml.safe_dump(endpoints, allow_unicode=True, sort_keys=False)


def without_lock_store(rasa_servers: int, redis_url: str) -> str | None:
    """Why ``rasa_servers`` Rasa servers cannot run without Redis, or None when they can."""
    if rasa_servers > 1 and not redis_url:
        return (
            f"{rasa_servers} Rasa servers need REDIS_URL: they must share Rasa's lock store "
            "(its in-memory default must not be used with more than one Rasa server)"
        )
    return None


def names(base: str, count: int) -> list[str]:
    """Process names: ``base`` for one, ``base-1`` … ``base-N`` for several."""
    return [base] if count == 1 else [f"{base}-{i}" for i in range(1, count + 1)]


def peak_memory_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a live process, in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class Stack:
    """Rasa servers and the action server (and the gateways, given the first one's port), started
    together and stopped together: what the tests and the benchmarks run. ``serve`` runs the same
    commands under supervisord instead (:mod:`bot.supervision`), which restarts whichever crashes.

    ``rasa_servers`` Rasa servers listen on consecutive ports from ``rasa_port``, ``gateways``
    gateways on consecutive ports from ``gateway_port``; every gateway talks to every Rasa server."""

    model: Path
    rasa_port: int = 5005
    actions_port: int = 5055
    endpoints: Path = PROJECT_ROOT / "endpoints.yml"
    log_dir: Path | None = None
    gateway_port: int | None = None
    env: dict[str, str] = field(default_factory=dict)  # settings for every process, e.g. DATABASE_URL
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    rasa_servers: int = 1
    gateways: int = 1
    # ``serve`` without ``--model``: a Rasa server (re)started loads the registry's active model
    # (bot.serving), not necessarily ``model``, which was active when the stack was made.
    follow_registry: bool = False

    def __post_init__(self) -> None:
        # Rasa's lock lifetime, given to every process of the stack (so to supervisord and its
        # children): a value in ``env`` wins over this process's setting.
        self.env = {"TICKET_LOCK_LIFETIME": str(settings.ticket_lock_lifetime()), **self.env}
        if self.rasa_servers < 1 or self.gateways < 1:
            raise ValueError("a stack runs at least one Rasa server and one gateway")
        refusal = without_lock_store(self.rasa_servers, self.redis_url)
        if refusal:
            raise ValueError(refusal)

    @property
    def redis_url(self) -> str:
        """The stack's Redis (``REDIS_URL`` passed in ``env``, else this process's)."""
        return self.env.get("REDIS_URL", settings.redis_url()).strip()

    @property
    def redis_prefix(self) -> str:
        return self.env.get("REDIS_PREFIX", settings.redis_prefix()).strip() or "wuye"

    @property
    def rasa_ports(self) -> list[int]:
        return [self.rasa_port + i for i in range(self.rasa_servers)]

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.rasa_ports]

    @property
    def rasa_names(self) -> list[str]:
        """``rasa`` for one server, ``rasa-1`` … ``rasa-N`` for several (supervisord's program names)."""
        return names("rasa", self.rasa_servers)

    @property
    def gateway_ports(self) -> list[int]:
        return [] if self.gateway_port is None else [self.gateway_port + i for i in range(self.gateways)]

    @property
    def gateway_names(self) -> list[str]:
        return names("gateway", self.gateways) if self.gateway_port is not None else []

    def _spawn(self, name: str, command: rasa_commands.Command) -> subprocess.Popen:
        out = None
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed by the process
        process = command.start(stdout=out, stderr=subprocess.STDOUT if out else None)
        self.processes[name] = process
        return process

    def endpoints_file(self, folder: Path | None = None) -> Path:
        """``endpoints.yml``, or a copy in ``folder`` for this stack: its action server's port and,
        with Redis, Rasa's ``RedisLockStore`` (mode 0600: a Redis password may be in it)."""
        if self.actions_port == 5055 and not self.redis_url:
            return self.endpoints
        text = rasa_endpoints(self.endpoints, self.actions_port, self.redis_url, self.redis_prefix)
        target = (folder or self.log_dir or Path("/tmp")) / f"endpoints-{self.actions_port}.yml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch(mode=0o600)
        target.chmod(0o600)
        target.write_text(text, encoding="utf-8")
        return target

    def actions_command(self) -> rasa_commands.Command:
        """The action server, which asks this stack's Rasa servers to read a clause on its own (a
        question beside a case: actions.common.parse_alone)."""
        return rasa_commands.run_actions(self.actions_port, env=self.env | {"RASA_URL": self.rasa_urls[0], "RASA_URLS": ",".join(self.rasa_urls)})

    def rasa_command(self, endpoints: Path | None = None, port: int | None = None) -> rasa_commands.Command:
        """Rasa on ``port`` (the first server's by default)."""
        return rasa_commands.run_server(
            self.model, port or self.rasa_port, endpoints or self.endpoints_file(), PROJECT_ROOT / "credentials.yml", env=self.env,
            follow_registry=self.follow_registry,
        )

    def gateway_command(self, port: int | None = None, rasa_urls: list[str] | None = None) -> rasa_commands.Command:
        """A web gateway (``python -m bot.gateway``) on ``port`` (the first one's by default) in
        front of this stack's Rasa servers (or ``rasa_urls``) and action server."""
        assert self.gateway_port is not None, "a stack without a gateway port has no gateway"
        urls = rasa_urls or self.rasa_urls
        return rasa_commands.module("bot.gateway", env=self.env | {
            "PORT": str(port or self.gateway_port),
            "RASA_URL": urls[0],
            "RASA_URLS": ",".join(urls),
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.actions_port}",
        })

    def start(self, timeout: float = 240.0) -> Stack:
        """Start everything and wait until each answers; on a failure, stop what started."""
        try:
            endpoints = self.endpoints_file()
            actions = self._spawn("actions", self.actions_command())
            servers = [self._spawn(name, self.rasa_command(endpoints, port)) for name, port in zip(self.rasa_names, self.rasa_ports, strict=True)]
            wait_for_http(f"http://127.0.0.1:{self.actions_port}/health", timeout, actions)
            for port, server in zip(self.rasa_ports, servers, strict=True):
                wait_for_http(f"http://127.0.0.1:{port}/status", timeout, server)
            for index in range(len(self.gateway_ports)):
                self.start_gateway(timeout, index)
        except BaseException:
            self.stop()
            raise
        return self

    def start_rasa(self, index: int = 0, timeout: float = 240.0) -> subprocess.Popen:
        """(Re)start one Rasa server and wait until its model is loaded."""
        port = self.rasa_ports[index]
        server = self._spawn(self.rasa_names[index], self.rasa_command(self.endpoints_file(), port))
        wait_for_http(f"http://127.0.0.1:{port}/status", timeout, server)
        return server

    def start_gateway(self, timeout: float = 60.0, index: int = 0) -> subprocess.Popen:
        port = self.gateway_ports[index]
        gateway = self._spawn(self.gateway_names[index], self.gateway_command(port))
        wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout, gateway)
        return gateway

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
