"""The one builder of the product's subprocesses: ``python -m rasa …``, our own ``python -m bot…``
and supervisord, which keeps ``serve``'s processes up.

Rasa runs out of process everywhere (training, serving, validation, ``rasa test nlu``, the action
server), and so do the model evaluation and the web gateway when the stack starts them. Each
command is built here, with this interpreter (the project's ``.venv``), its working folder and the
environment every child gets: no telemetry, no TensorFlow chatter, the project importable (Rasa
loads ``bot.nlu`` components and ``actions``), on top of this process's environment
(:func:`bot.settings.process_environment`) and the settings a caller passes on (``DATABASE_URL``,
``PORT``…) — a parent never changes its own ``os.environ`` to steer a child.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from bot.settings import PROJECT_ROOT, process_environment

QUIET = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore",
}


def environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment, quiet where the caller set nothing else, plus ``extra``."""
    env = process_environment()
    for name, value in QUIET.items():
        env.setdefault(name, value)
    env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Command:
    """A subprocess to run: its arguments, working folder and complete environment."""

    argv: tuple[str, ...]
    cwd: Path
    env: Mapping[str, str]

    def run(self, **kwargs: Any) -> subprocess.CompletedProcess:
        """``subprocess.run`` (``check``, ``capture_output``… pass through)."""
        return subprocess.run(list(self.argv), cwd=self.cwd, env=dict(self.env), **kwargs)

    def start(self, **kwargs: Any) -> subprocess.Popen:
        """``subprocess.Popen`` (``stdout``, ``stderr``… pass through)."""
        return subprocess.Popen(list(self.argv), cwd=self.cwd, env=dict(self.env), **kwargs)

    def exec(self) -> NoReturn:
        """Replace this process with the command (``serve`` becomes supervisord: signals reach it directly)."""
        os.chdir(self.cwd)
        os.execve(self.argv[0], list(self.argv), dict(self.env))

    def __str__(self) -> str:
        return " ".join(self.argv)


def module(name: str, *args: str, cwd: Path = PROJECT_ROOT, env: Mapping[str, str] | None = None) -> Command:
    """``python -m name args…``."""
    return Command((sys.executable, "-m", name, *args), Path(cwd), environment(env))


def rasa(*args: str, cwd: Path = PROJECT_ROOT, env: Mapping[str, str] | None = None) -> Command:
    """``python -m rasa args…``: Rasa's own command line."""
    return module("rasa", *args, cwd=cwd, env=env)


def train(root: Path, out: Path, name: str, *, data: Path | None = None, config: Path | None = None, cache_dir: Path | None = None) -> Command:
    """``rasa train`` of ``root``'s data, domain and config into ``out/name.tar.gz``.

    A fresh ``cache_dir`` makes it a full training, nothing reused (the bench times it). Through
    :mod:`bot.rasa_server` (Rasa's command line with the product's quiet start): the first
    ``serve`` trains, and its log shows no library's deprecation warnings. ``data validate`` stays
    plain ``rasa``: its warnings are what the trainer reads."""
    return module(
        "bot.rasa_server",
        "train",
        "--data", str(data or root / "nlu_data"),
        "--domain", str(root / "domain.yml"),
        "--config", str(config or root / "config.yml"),
        "--out", str(out),
        "--fixed-model-name", name,
        cwd=root,
        env={"RASA_CACHE_DIRECTORY": str(cache_dir)} if cache_dir is not None else None,
    )


def data_validate(root: Path, config: Path | None = None) -> Command:
    """``rasa data validate`` on ``root``'s training data, domain and config."""
    return rasa(
        "data", "validate",
        "--data", str(root / "nlu_data"), "--domain", str(root / "domain.yml"), "--config", str(config or root / "config.yml"),
        cwd=root,
    )


def nlu_test(nlu: Path, model: Path, out: Path) -> Command:
    """``rasa test nlu`` of ``model`` on the examples in ``nlu``, reports into ``out``."""
    return rasa("test", "nlu", "--nlu", str(nlu), "--model", str(model), "--out", str(out))


def run_actions(port: int, env: Mapping[str, str] | None = None) -> Command:
    """``rasa run actions`` for ``actions/``, through :mod:`bot.action_server` (rasa_sdk's own
    command line, with the product's quiet start)."""
    return module("bot.action_server", "--actions", "actions", "--port", str(port), env=env)


def run_server(
    model: Path, port: int, endpoints: Path, credentials: Path, env: Mapping[str, str] | None = None, follow_registry: bool = False
) -> Command:
    """``rasa run`` with the HTTP API (``PUT /model`` for promotions), through :mod:`bot.rasa_server`
    (``rasa`` itself, with the action-reply schema check compiled once).

    ``follow_registry`` (``serve``): through ``python -m bot.serving``, which loads the model
    registry's active version instead of ``model`` when there is one, so a Rasa server restarted
    after a promotion or a rollback (a crash, supervisord) runs the model that is in service."""
    return module(
        "bot.serving" if follow_registry else "bot.rasa_server",
        "run", "--enable-api", "--model", str(model), "--port", str(port),
        "--endpoints", str(endpoints), "--credentials", str(credentials), "--interface", "127.0.0.1",
        env=env,
    )


def supervisord(config: Path, env: Mapping[str, str] | None = None) -> Command:
    """supervisord in the foreground on ``config`` (:mod:`bot.supervision` writes it); its children
    inherit this environment plus their program's ``environment=``."""
    return module("supervisor.supervisord", "--nodaemon", "--configuration", str(config), env=env)


def supervisorctl(config: Path, *args: str) -> Command:
    """``supervisorctl`` against the supervisord running on ``config`` (``status``, ``pid rasa``, ``restart gateway``…)."""
    return module("supervisor.supervisorctl", "--configuration", str(config), *args)
