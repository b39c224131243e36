"""Starting and stopping the product's processes (Rasa server, action server)."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.modeling import quiet_env
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


def peak_memory_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a live process, in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def developer_inputs_changed_since(moment: datetime, root: Path = PROJECT_ROOT) -> bool:
    """Whether config, domain or training data were edited after ``moment``.

    ``nlu_data/annotated.yml`` is left out: it is written by the trainers' export, and what it holds
    goes into service only through ``trainer train`` and ``trainer promote`` (the guardrail).
    """
    from bot.modeling import training_files
    from bot.trainer.export import ANNOTATED_FILE

    annotated = (root / "nlu_data" / ANNOTATED_FILE).resolve()
    stamps = [p.stat().st_mtime for p in training_files(root) if p.resolve() != annotated]
    return bool(stamps) and max(stamps) > moment.timestamp()


def serving_model(models_dir: Path) -> Path:
    """The model ``serve`` starts Rasa with.

    The registry's active version, so a promotion or a rollback survives a restart — unless the
    config, domain or training data were edited after it became active: then, as for a model that
    is missing, the model for the current data and config is trained (when not cached) and becomes
    the active baseline. The first start with a registry registers what runs as the baseline too.
    """
    from bot.modeling import ensure_model
    from bot.storage import session_scope
    from bot.trainer import registry

    with session_scope() as session:
        active = registry.active_version(session)
        if active is not None and Path(active.path).is_file():
            since = active.promoted_at or active.created_at
            if not developer_inputs_changed_since(since):
                return Path(active.path)
            logger.info("training data or config changed since model %s became active", active.name)
        path = ensure_model(models_dir)
        if active is None or Path(active.path).resolve() != path.resolve():
            if active is not None:
                active.status = registry.RETIRED
            registry.register_baseline(session, path)
        return path


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
            module="bot.rasa_server",  # ``rasa`` itself, with the action-reply check compiled once
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
