"""Training models: one model per fingerprint of its training inputs.

Which model file runs where (serve, the registry's baseline, the benchmarks) is :mod:`bot.serving`'s
question; this module names a model by its inputs and trains it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from bot import rasa_commands
from bot.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

# The reading rules decide what the classifier is trained on (bot.nlu.components.ReadingJiebaTokenizer),
# so a change to them is a change of the model's inputs like a change of the jieba dictionary.
TRAINING_INPUTS = ("config.yml", "domain.yml", "nlu_data", "bot/nlu/jieba_dict", "bot/nlu/reading.py")
# The training file ``python -m bot trainer export`` writes from the trainers' labels (bot.trainer.export);
# what it holds goes into service only through a candidate model and the promotion guardrail.
ANNOTATED_FILE = "annotated.yml"


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
    command = rasa_commands.train(root, models_dir, name, data=data, config=config, cache_dir=cache_dir)
    started = time.perf_counter()
    logger.info("Training the model: %s", command)
    command.run(check=True)
    return models_dir / f"{name}.tar.gz", time.perf_counter() - started
