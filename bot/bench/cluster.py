"""A cluster on one machine for the benchmarks (and the fault-injection test): N Rasa servers, M
gateways and one action server under supervisord, exactly as ``serve`` runs them (the same
:class:`~bot.processes.Stack` commands, the same :mod:`bot.supervision` config), on a database and
a Redis key space of its own.

- **Database**: on PostgreSQL (the cluster's store) a schema of its own, ``bench_<random>``, made
  and migrated for the run and dropped afterwards (``?options=-csearch_path=…`` on the URL, so the
  product tables and Rasa's tracker store land there); a SQLite URL, or none, gives a temporary
  SQLite file (one machine only).
- **Redis**: the given server with a prefix of its own (``bench<random>``): the gateways' frames
  channel, rate limit and Rasa's lock store keys never meet another run's.

A crash is ``kill -9`` of a supervised process; supervisord restarts it with its back-off, as in
service.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

from bot.processes import Stack, wait_for_http
from bot.storage import upgrade
from bot.storage.database import engine_for
from bot.supervision import Supervision, for_stack


def consecutive_free_ports(count: int, tries: int = 200) -> int:
    """The first of ``count`` consecutive local ports that are free now."""
    for _ in range(tries):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = int(probe.getsockname()[1])
        if first + count > 65535:
            continue
        sockets: list[socket.socket] = []
        try:
            for port in range(first, first + count):
                held = socket.socket()
                sockets.append(held)
                held.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for held in sockets:
                held.close()
    raise RuntimeError(f"no {count} consecutive free ports found")


@contextlib.contextmanager
def private_database(url: str | None, folder: Path) -> Iterator[str]:
    """A migrated database of this run's own: a fresh schema on PostgreSQL, else a SQLite file."""
    if not url or not url.startswith("postgresql"):
        private = f"sqlite:///{folder / 'bench.db'}"
        upgrade(private)
        yield private
        engine_for(private).dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, future=True)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    private = f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={schema}')}"
    try:
        upgrade(private)
        yield private
    finally:
        engine_for(private).dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@dataclass
class Cluster:
    """A supervised stack; ``start`` returns once every process answers."""

    stack: Stack
    folder: Path
    supervision: Supervision = field(init=False)
    process: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.supervision = for_stack(self.stack, self.folder / "run", self.folder / "logs")

    @classmethod
    def build(
        cls, model: Path, folder: Path, *, database_url: str, redis_url: str = "", rasa_servers: int = 1, gateways: int = 1,
        env: dict[str, str] | None = None,
    ) -> Cluster:
        settings = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": f"bench{secrets.token_hex(4)}",
            "GATEWAY_SECRET": secrets.token_hex(16),
            **(env or {}),
        }
        first = consecutive_free_ports(rasa_servers + 1 + gateways)  # Rasa servers, the actions, the gateways
        stack = Stack(
            model, rasa_port=first, actions_port=first + rasa_servers, gateway_port=first + rasa_servers + 1,
            env=settings, rasa_servers=rasa_servers, gateways=gateways,
        )
        return cls(stack, folder)

    @property
    def gateway_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.stack.gateway_ports]

    @property
    def rasa_urls(self) -> list[str]:
        return self.stack.rasa_urls

    def start(self, timeout: float = 600.0) -> Cluster:
        if self.process is not None:  # started already (``with cluster.start():`` enters once)
            return self
        self.supervision.write()
        with open(self.folder / "supervisord.out", "ab") as out:  # its own session: Ctrl-C of the bench is ours
            self.process = self.supervision.supervisord().start(stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for_http(f"http://127.0.0.1:{self.stack.actions_port}/health", timeout, self.process)
            for url in self.rasa_urls:
                wait_for_http(f"{url}/status", timeout, self.process)
            for url in self.gateway_urls:
                wait_for_http(f"{url}/readyz", timeout, self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def pid(self, name: str, other_than: int = 0, timeout: float = 120.0) -> int:
        """The program's pid once it runs (other than a killed one), from supervisorctl."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.supervision.control("pid", name).run(capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
            value = result.stdout.strip()
            if value.isdigit() and int(value) not in (0, other_than):
                return int(value)
            time.sleep(0.2)
        raise TimeoutError(f"{name} is not running")

    def kill(self, name: str) -> int:
        """``kill -9`` the program's process; its pid."""
        pid = self.pid(name)
        os.kill(pid, signal.SIGKILL)
        return pid

    def log(self, name: str) -> str:
        path = self.folder / "logs" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM to supervisord (which stops the gateways first, then Rasa, then the actions);
        anything left after that is killed."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def temporary_folder(prefix: str, keep: Path | None = None) -> Iterator[Path]:
    """A scratch folder for a run (logs, config, SQLite), or ``keep`` when given (left in place)."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield Path(folder)


@contextlib.contextmanager
def running_cluster(
    model: Path, *, rasa_servers: int, gateways: int, database_url: str | None, redis_url: str, keep: Path | None = None,
    env: dict[str, str] | None = None, timeout: float = 900.0,
) -> Iterator[Cluster]:
    """A started cluster on a private database (and Redis prefix), stopped and cleaned up after."""
    with temporary_folder("bench-cluster-", keep) as folder, private_database(database_url, folder) as url:
        cluster = Cluster.build(model, folder, database_url=url, redis_url=redis_url, rasa_servers=rasa_servers, gateways=gateways, env=env)
        with cluster.start(timeout=timeout):
            yield cluster


def _status_fields(pid: int) -> dict[str, int]:
    """``VmRSS``, ``VmHWM`` … of ``/proc/<pid>/status`` in KiB."""
    fields: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[name] = int(value.split()[0])
    return fields


def memory_mb(pid: int) -> dict[str, float | None]:
    """Resident memory now (RSS), its peak (HWM) and the proportional share (PSS: shared pages
    divided among the processes sharing them — what one more replica really costs), in MiB."""
    status = _status_fields(pid)
    pss = None
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    return {
        "rss_mb": status["VmRSS"] / 1024 if "VmRSS" in status else None,
        "peak_mb": status["VmHWM"] / 1024 if "VmHWM" in status else None,
        "pss_mb": pss,
    }


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time the process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
