"""Background retraining: one ``rasa train`` at a time, with visible progress in ``training_jobs``.

``start_training`` creates the job row and returns its id at once; a thread runs ``rasa train``
in a subprocess, reads its output (the component being trained, the epoch bars) into
``stage``/``progress``/``log``, registers the trained model as a ``candidate`` and evaluates it.
A file lock in the registry folder keeps it to one training per machine, across processes.
"""

from __future__ import annotations

import fcntl
import logging
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import rasa_commands
from bot.clock import as_utc, utcnow
from bot.settings import PROJECT_ROOT, database_url, model_registry_dir
from bot.storage import session_scope
from bot.storage.models import TrainingJob
from bot.trainer import registry
from bot.trainer.evaluation import evaluate_model

logger = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
LOG_LIMIT = 6000
TRAIN_SHARE = 0.85  # of the progress bar; evaluation is the rest
BUSY = "已有一个训练任务在进行中（#{job}），请等它结束后再开始新的训练。"
STAGE_NAMES = {"queued": "排队中", "start": "准备训练数据", "evaluate": "评估候选模型", "done": "完成", "failed": "失败"}

STARTING = re.compile(r"Starting to train component '([^']+)'")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
PROGRESS_BAR = re.compile(r"\d+%\||\d+it \[")  # tqdm bars: progress, not log
EPOCHS = re.compile(r"Epochs:\s+\d+%\|[^|]*\|\s*(\d+)/(\d+)")

_threads: dict[int, threading.Thread] = {}


class TrainingBusy(RuntimeError):
    """A training is already running."""


def component_weights(config: Path) -> dict[str, float]:
    """How much of the training each component takes, roughly: its epochs, or a little."""
    content = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    weights: dict[str, float] = {}
    for component in (content.get("pipeline") or []) + (content.get("policies") or []):
        name = component["name"].rsplit(".", 1)[-1]
        weights[name] = weights.get(name, 0.0) + max(1.0, float(component.get("epochs", 0)) / 4)
    return weights


class ProgressParser:
    """Turns ``rasa train`` output into (stage, fraction of the training done)."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.weights = weights
        self.total = sum(weights.values()) or 1.0
        self.done = 0.0
        self.component = ""
        self.fraction = 0.0

    @property
    def progress(self) -> float:
        current = self.weights.get(self.component, 1.0) * self.fraction if self.component else 0.0
        return min(1.0, (self.done + current) / self.total)

    @property
    def stage(self) -> str:
        return f"训练 {self.component}" if self.component else STAGE_NAMES["start"]

    def feed(self, line: str) -> bool:
        """Read one line (or \\r-separated bar update); True when stage or progress changed."""
        started = STARTING.search(line)
        if started:
            if self.component:
                self.done += self.weights.get(self.component, 1.0)
            self.component, self.fraction = started.group(1), 0.0
            return True
        bar = EPOCHS.search(line)
        if bar and self.component:
            step, total = int(bar.group(1)), int(bar.group(2))
            fraction = step / total if total else 0.0
            if fraction != self.fraction:
                self.fraction = fraction
                return True
        return False


def _lock_path(models_dir: Path) -> Path:
    models_dir.mkdir(parents=True, exist_ok=True)
    return models_dir / ".training.lock"


def _update(url: str, job_id: int, **values: object) -> None:
    with session_scope(url) as session:
        job = session.get(TrainingJob, job_id)
        for key, value in values.items():
            setattr(job, key, value)


def _lines(stream: IO[bytes]) -> Iterator[str]:
    """Lines of the output, splitting progress bars' carriage returns too."""
    buffer = b""
    while chunk := stream.read1(4096):  # type: ignore[attr-defined]
        buffer += chunk
        parts = re.split(rb"[\r\n]", buffer)
        buffer = parts.pop()
        for part in parts:
            yield ANSI.sub("", part.decode("utf-8", "replace"))
    if buffer:
        yield ANSI.sub("", buffer.decode("utf-8", "replace"))


def _tail(log: list[str]) -> str:
    text = "\n".join(log)
    return text[-LOG_LIMIT:]


def _run(job_id: int, url: str, root: Path, config: Path, models_dir: Path, lock: IO[str], evaluate: Callable[[Path], dict] | None) -> None:
    log: list[str] = []
    try:
        name = f"candidate-{utcnow():%Y%m%d-%H%M%S}-job{job_id}"
        command = rasa_commands.train(root, models_dir, name, config=config)
        _update(url, job_id, status=RUNNING, stage=STAGE_NAMES["start"], progress=0.01)
        parser = ProgressParser(component_weights(config))
        process = command.start(stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        last_write = 0.0
        for line in _lines(process.stdout):
            changed = parser.feed(line)
            if line.strip() and not PROGRESS_BAR.search(line) and "Warning" not in line and "warn(" not in line:
                log.append(line.rstrip())
                log[:] = log[-200:]
            if changed and time.monotonic() - last_write > 1.0:
                _update(url, job_id, stage=parser.stage, progress=round(0.01 + parser.progress * (TRAIN_SHARE - 0.01), 3), log=_tail(log))
                last_write = time.monotonic()
        code = process.wait()
        model = models_dir / f"{name}.tar.gz"
        if code != 0 or not model.is_file():
            raise RuntimeError(f"rasa train 退出码 {code}")
        with session_scope(url) as session:
            version = registry.register(session, model, name=name)
            version_id = version.id
        _update(url, job_id, stage=STAGE_NAMES["evaluate"], progress=TRAIN_SHARE, log=_tail(log), model_version_id=version_id)
        metrics = (evaluate or evaluate_model)(model)
        with session_scope(url) as session:
            session.get(registry.ModelVersion, version_id).metrics = metrics
        summary = ", ".join(f"{s} macro-F1 {metrics[s]['macro_f1']:.3f} emergency recall {metrics[s]['emergency_recall']:.3f}" for s in registry.SPLITS if metrics.get(s))
        log.append(f"候选模型 {name} 已注册并评估：{summary}")
        _update(url, job_id, status=DONE, stage=STAGE_NAMES["done"], progress=1.0, log=_tail(log), finished_at=utcnow())
    except Exception as error:  # the job row must tell what happened, whatever it was
        logger.exception("training job %s failed", job_id)
        log.append(f"失败：{error}")
        try:
            _update(url, job_id, status=FAILED, stage=STAGE_NAMES["failed"], log=_tail(log), finished_at=utcnow())
        except Exception:
            logger.exception("could not record the failure of job %s", job_id)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def start_training(
    started_by: str,
    root: Path = PROJECT_ROOT,
    *,
    models_dir: Path | None = None,
    config: Path | None = None,
    evaluate: Callable[[Path], dict] | None = None,
) -> int:
    """Start a background training of ``root``'s data; the TrainingJob id. Raises TrainingBusy."""
    models_dir = Path(models_dir or model_registry_dir()).resolve()
    root = Path(root).resolve()
    url = database_url()
    lock = open(_lock_path(models_dir), "a")  # noqa: SIM115 - released and closed by the job's thread
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        with session_scope(url) as session:
            running = session.execute(select(TrainingJob).where(TrainingJob.status.in_((QUEUED, RUNNING))).order_by(TrainingJob.id.desc())).scalars().first()
        raise TrainingBusy(BUSY.format(job=running.id if running else "?")) from None
    try:
        with session_scope(url) as session:
            # Rows left running by a process that died (the lock is ours, so nothing runs now).
            for stale in session.execute(select(TrainingJob).where(TrainingJob.status.in_((QUEUED, RUNNING)))).scalars():
                stale.status, stale.stage, stale.finished_at = FAILED, "中断（训练进程已退出）", utcnow()
            job = TrainingJob(status=QUEUED, stage=STAGE_NAMES["queued"], progress=0.0, log="", started_by=started_by)
            session.add(job)
            session.flush()
            job_id = job.id
    except Exception:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
        raise
    thread = threading.Thread(
        target=_run, args=(job_id, url, root, Path(config or root / "config.yml").resolve(), models_dir, lock, evaluate),
        name=f"training-job-{job_id}", daemon=True,
    )
    _threads[job_id] = thread
    thread.start()
    return job_id


def wait(job_id: int, timeout: float | None = None) -> bool:
    """Wait for a job started in this process; True when it has finished."""
    thread = _threads.get(job_id)
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()


def job_dict(job: TrainingJob) -> dict:
    return {
        "id": job.id,
        "status": job.status,
        "stage": job.stage,
        "progress": job.progress,
        "log_tail": (job.log or "")[-2000:],
        "model_version_id": job.model_version_id,
        "started_by": job.started_by,
        "created_at": as_utc(job.created_at).isoformat() if job.created_at else None,
        "finished_at": as_utc(job.finished_at).isoformat() if job.finished_at else None,
    }


def job_status(session: Session, job_id: int) -> dict:
    job = session.get(TrainingJob, job_id)
    if job is None:
        raise LookupError(f"没有编号为 {job_id} 的训练任务")
    return job_dict(job)


def latest_job(session: Session) -> dict | None:
    job = session.execute(select(TrainingJob).order_by(TrainingJob.id.desc())).scalars().first()
    return job_dict(job) if job else None


__all__ = ["TrainingBusy", "job_status", "latest_job", "start_training", "wait"]
