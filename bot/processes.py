"""Starting and stopping the product's processes (Rasa server, action server)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot.modeling import quiet_env
from bot.settings import PROJECT_ROOT


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


def peak_memory_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a live process, in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def serving_model(models_dir: Path) -> Path:
    """The model ``serve`` starts Rasa with: the registry's active version (so a promotion or a
    rollback survives a restart), else the model for the current data and config, which is then
    registered as the active baseline (evaluated when a trainer first compares against it)."""
    from bot.modeling import ensure_model
    from bot.storage import session_scope
    from bot.trainer import registry

    with session_scope() as session:
        active = registry.active_version(session)
        if active is None:  # the first start with a registry: what runs now is the trainers' baseline
            path = ensure_model(models_dir)
            registry.register_baseline(session, path)
            return path
        if Path(active.path).is_file():
            return Path(active.path)
    return ensure_model(models_dir)  # the active model's file is gone: the model for the current data


@dataclass
class Stack:
    """Rasa server and action server, started together and stopped together."""

    model: Path
    rasa_port: int = 5005
    actions_port: int = 5055
    endpoints: Path = PROJECT_ROOT / "endpoints.yml"
    log_dir: Path | None = None
    gateway_port: int | None = None
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def _spawn(self, name: str, args: list[str], module: str = "rasa", env: dict[str, str] | None = None) -> subprocess.Popen:
        out = None
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed by the process
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args], cwd=PROJECT_ROOT, env={**quiet_env(), **(env or {})}, stdout=out, stderr=subprocess.STDOUT if out else None
        )
        self.processes[name] = process
        return process

    def endpoints_file(self) -> Path:
        if self.actions_port == 5055:
            return self.endpoints
        text = self.endpoints.read_text().replace("localhost:5055", f"localhost:{self.actions_port}")
        target = (self.log_dir or Path("/tmp")) / f"endpoints-{self.actions_port}.yml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    def start(self, timeout: float = 240.0) -> Stack:
        actions = self._spawn("actions", ["run", "actions", "--actions", "actions", "--port", str(self.actions_port)])
        rasa = self._spawn(
            "rasa",
            [
                "run", "--enable-api", "--model", str(self.model), "--port", str(self.rasa_port),
                "--endpoints", str(self.endpoints_file()), "--credentials", str(PROJECT_ROOT / "credentials.yml"),
                "--interface", "127.0.0.1",
            ],
        )
        wait_for_http(f"http://127.0.0.1:{self.actions_port}/health", timeout, actions)
        wait_for_http(f"http://127.0.0.1:{self.rasa_port}/status", timeout, rasa)
        if self.gateway_port is not None:
            self.start_gateway(timeout)
        return self

    def start_gateway(self, timeout: float = 60.0) -> subprocess.Popen:
        """The web gateway (``python -m bot.gateway``) in front of this stack's Rasa."""
        env = {"PORT": str(self.gateway_port), "RASA_URL": f"http://127.0.0.1:{self.rasa_port}"}
        gateway = self._spawn("gateway", [], module="bot.gateway", env=env)
        wait_for_http(f"http://127.0.0.1:{self.gateway_port}/healthz", timeout, gateway)
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
