"""Training and locating models: one model per fingerprint of its training inputs."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from bot.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

TRAINING_INPUTS = ("config.yml", "domain.yml", "nlu_data", "bot/nlu/jieba_dict")


def quiet_env() -> dict[str, str]:
    """Environment for Rasa subprocesses: no telemetry, no TensorFlow chatter."""
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("PYTHONWARNINGS", "ignore")
    env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def training_files(root: Path = PROJECT_ROOT) -> list[Path]:
    files: list[Path] = []
    for name in TRAINING_INPUTS:
        path = root / name
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return files


def fingerprint(root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256()
    for path in training_files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def model_path(models_dir: Path, root: Path = PROJECT_ROOT) -> Path:
    return models_dir / f"wuye-{fingerprint(root)}.tar.gz"


def train(
    models_dir: Path,
    data: Path | None = None,
    root: Path = PROJECT_ROOT,
    name: str | None = None,
    config: Path | None = None,
    cache_dir: Path | None = None,
) -> tuple[Path, float]:
    """Train with ``rasa train`` in a subprocess; returns the model path and the seconds it took."""
    models_dir.mkdir(parents=True, exist_ok=True)
    name = name or model_path(models_dir, root).name.removesuffix(".tar.gz")
    command = [
        sys.executable, "-m", "rasa", "train",
        "--data", str(data or root / "nlu_data"),
        "--domain", str(root / "domain.yml"),
        "--config", str(config or root / "config.yml"),
        "--out", str(models_dir),
        "--fixed-model-name", name,
    ]
    started = time.perf_counter()
    logger.info("Training the model: %s", " ".join(command))
    env = quiet_env()
    if cache_dir is not None:  # a fresh cache dir makes it a full training, nothing reused
        env["RASA_CACHE_DIRECTORY"] = str(cache_dir)
    subprocess.run(command, cwd=root, env=env, check=True)
    return models_dir / f"{name}.tar.gz", time.perf_counter() - started


def ensure_model(models_dir: Path, root: Path = PROJECT_ROOT) -> Path:
    """The model for the current training data and config, trained only when missing."""
    path = model_path(models_dir, root)
    if not path.exists():
        train(models_dir, root=root)
    return path
