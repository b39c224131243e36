"""``python -m bot serve`` under supervisord: a crashed Rasa, action server or gateway is restarted,
the others stay up.

Why supervisord (the ``supervisor`` package) and not a loop of our own: the parts that are easy to
get wrong are done and field-tested there — each child in its own process group, so a stop reaches
Rasa's and the action server's own children too and Ctrl-C in the terminal reaches supervisord
alone (which then stops the children in order, none orphaned); SIGTERM, then SIGKILL after
``stopwaitsecs``; children reaped and every state change logged (``exited: rasa (terminated by
SIGKILL; not expected)``, ``spawned: 'rasa' with pid …``); ``supervisorctl`` for the operator
(``status``, ``pid rasa``, ``restart gateway``). The same program sections serve a production host.
What it does differently from a hand-written loop, and how that is set here:

- A child that dies after ``startsecs`` of running is restarted at once; one that dies sooner goes
  into back-off: the n-th quick failure in a row waits n seconds (1, 2, 3 … s), and supervisord
  gives up (state ``FATAL``, logged ``gave up: …``) after ``startretries`` of them. ``STARTRETRIES``
  is set high (about a week of retrying), so a child waiting for something outside (the database
  after an outage) comes back by itself; ``/healthz`` shows the part as down meanwhile.
- Order: programs start by ascending ``priority`` and stop in reverse, one group after the other.
  The gateway (highest) stops first and drains — running turns finish against a Rasa still up, new
  messages are stored and answered politely, sockets closed with 1012 — then Rasa, then the action
  server Rasa's last turns may call.

With ``serve --rasa-servers N`` the Rasa servers are programs ``rasa-1`` … ``rasa-N`` on
consecutive ports, one endpoints file for all (Rasa's lock store in Redis, :mod:`bot.processes`),
each restarted on its own; the gateway is given every one (``RASA_URLS``).

The generated config, supervisord's log, pid file and control socket live in ``data/run/`` (or the
``--run-dir`` given to ``serve``); the file is rewritten on every start. Children's output goes to
serve's own stdout, as before supervision, or to one rotated file each with ``--log-dir``.
"""

from __future__ import annotations

import getpass
import hashlib
import secrets
import shlex
import socket
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot import rasa_commands
from bot.processes import Stack
from bot.settings import gateway_drain_seconds

STARTRETRIES = 1000  # linear back-off: the n-th quick failure waits n s; 1000 of them take about 6 days
MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to 107 bytes on Linux


@dataclass(frozen=True)
class Program:
    """One supervised process and how supervisord treats it."""

    name: str
    command: rasa_commands.Command
    priority: int  # started in ascending order, stopped in descending order
    startsecs: int  # a child that dies sooner is in back-off; later, it is restarted at once
    stopwaitsecs: int  # after SIGTERM, how long before SIGKILL


def stack_programs(stack: Stack, run_dir: Path) -> list[Program]:
    """The stack's action server, Rasa servers (``rasa``, or ``rasa-1`` … ``rasa-N``) and (given
    its port) gateways, with the same commands :class:`~bot.processes.Stack` starts them with."""
    endpoints = stack.endpoints_file(run_dir)
    programs = [Program("actions", stack.actions_command(), priority=100, startsecs=10, stopwaitsecs=20)]
    # Rasa loads its model for 30–60 s before it answers; dying in that time counts as a failed start.
    programs += [
        Program(name, stack.rasa_command(endpoints, port), priority=200, startsecs=30, stopwaitsecs=30)
        for name, port in zip(stack.rasa_names, stack.rasa_ports, strict=True)
    ]
    # The drain (running turns) plus closing the sockets and Sanic's own shutdown.
    stop = int(gateway_drain_seconds()) + 25
    programs += [
        Program(name, stack.gateway_command(port), priority=300, startsecs=5, stopwaitsecs=stop)
        for name, port in zip(stack.gateway_names, stack.gateway_ports, strict=True)
    ]
    return programs


def _escape(value: str) -> str:
    """supervisord expands ``%(name)s`` in values: a literal ``%`` is written ``%%``."""
    return value.replace("%", "%%")


def _environment_line(env: Mapping[str, str]) -> str:
    """``KEY="value",…`` as supervisord parses it (no escaping of a double quote exists there)."""
    for key, value in env.items():
        if not key.isidentifier() or '"' in value or "\n" in value:
            raise ValueError(f"{key}: supervisord cannot pass this environment variable to a child; set it for serve itself")
    return ",".join(f'{key}="{_escape(value)}"' for key, value in sorted(env.items()))


def _user() -> str | None:
    """This process's user name: naming it keeps supervisord from warning when it runs as root."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a uid without a passwd entry (some containers)
        return None


@dataclass(frozen=True)
class Supervision:
    """supervisord's config for a set of programs, and the commands to run and control it."""

    programs: tuple[Program, ...]
    run_dir: Path
    log_dir: Path | None = None  # None: every child writes to supervisord's stdout
    env: Mapping[str, str] = field(default_factory=dict)  # settings for supervisord, so for every child

    @property
    def config(self) -> Path:
        return self.run_dir / "supervisord.conf"

    @property
    def socket(self) -> Path:
        """The control socket in the run folder, or in the temporary folder when that path is too long."""
        path = self.run_dir / "supervisor.sock"
        if len(str(path)) <= MAX_SOCKET_PATH:
            return path
        return Path(tempfile.gettempdir()) / f"wuye-supervisor-{hashlib.sha1(str(self.run_dir).encode()).hexdigest()[:12]}.sock"

    def running(self) -> bool:
        """Whether a supervisord already answers on this run folder's control socket."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(self.socket))
            except OSError:  # no socket, or a stale one left by a killed supervisord
                return False
        return True

    def supervisord(self) -> rasa_commands.Command:
        """supervisord in the foreground on :attr:`config`."""
        return rasa_commands.supervisord(self.config, env=self.env)

    def control(self, *args: str) -> rasa_commands.Command:
        """``supervisorctl`` for this supervisord."""
        return rasa_commands.supervisorctl(self.config, *args)

    def render(self) -> str:
        inherited = self.supervisord().env
        run = _escape(str(self.run_dir))
        password = secrets.token_hex(16)  # new on every start; supervisorctl reads it from this file
        lines = [
            "; Generated by `python -m bot serve` (bot/supervision.py) on every start: edit that, not this file.",
            "[supervisord]",
            "nodaemon=true",
            f"logfile={run}/supervisord.log",
            "logfile_maxbytes=10MB",
            "logfile_backups=3",
            f"pidfile={run}/supervisord.pid",
            f"childlogdir={run}",
            "loglevel=info",
            "identifier=wuye",
        ]
        user = _user()
        if user:
            lines.append(f"user={_escape(user)}")
        lines += [
            "",
            "[unix_http_server]",
            f"file={_escape(str(self.socket))}",
            "chmod=0700",
            "username=wuye",
            f"password={password}",
            "",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
            "",
            "[supervisorctl]",
            f"serverurl=unix://{_escape(str(self.socket))}",
            "username=wuye",
            f"password={password}",
        ]
        for program in self.programs:
            own = {k: v for k, v in program.command.env.items() if inherited.get(k) != v}
            missing = set(inherited) - set(program.command.env)
            if missing:
                raise ValueError(f"{program.name}: a child cannot unset {sorted(missing)} under supervisord")
            lines += [
                "",
                f"[program:{program.name}]",
                "command=" + _escape(" ".join(shlex.quote(arg) for arg in program.command.argv)),
                f"directory={_escape(str(program.command.cwd))}",
            ]
            if own:
                lines.append(f"environment={_environment_line(own)}")
            lines += [
                f"priority={program.priority}",
                "autostart=true",
                "autorestart=true",
                f"startsecs={program.startsecs}",
                f"startretries={STARTRETRIES}",
                "stopsignal=TERM",
                f"stopwaitsecs={program.stopwaitsecs}",
                "stopasgroup=true",
                "killasgroup=true",
                "redirect_stderr=true",
            ]
            if self.log_dir is None:
                lines += ["stdout_logfile=/dev/stdout", "stdout_logfile_maxbytes=0"]
            else:
                lines += [f"stdout_logfile={_escape(str(self.log_dir / program.name))}.log", "stdout_logfile_maxbytes=10MB", "stdout_logfile_backups=5"]
        return "\n".join(lines) + "\n"

    def write(self) -> Path:
        """Write :attr:`config` (mode 0600: it holds the children's settings)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
        text = self.render()
        self.config.touch(mode=0o600)
        self.config.chmod(0o600)
        self.config.write_text(text, encoding="utf-8")
        return self.config


def for_stack(stack: Stack, run_dir: Path, log_dir: Path | None = None) -> Supervision:
    """supervisord for ``stack``: its action server, Rasa and gateway, with the stack's settings."""
    return Supervision(tuple(stack_programs(stack, run_dir)), run_dir, log_dir, env=dict(stack.env))
