"""Which model runs: the one answer for ``serve``, the trainer's registry and the benchmarks.

Two questions, one place:

- :func:`model_for_data`: the model trained on today's ``config.yml``, ``domain.yml``, ``nlu_data/``
  and jieba dictionary (named by their fingerprint, :mod:`bot.modeling`), trained when missing. The
  benchmarks measure it; ``python -m bot train`` makes it.
- :func:`serving_model`: the model ``serve`` starts Rasa with — the registry's active version, so a
  promotion or a rollback survives a restart, unless developers edited the training inputs after it
  became active (then the model for the data, as for a missing model). With no active version yet,
  what ``serve`` runs is registered as the active baseline; the trainer's registry asks this same
  function when it needs the baseline to compare a candidate with.

And a third, for a Rasa server that starts (or is restarted by supervisord after a crash) under
``serve``: :func:`model_to_load` — the registry's active version, which a promotion or a rollback
may have changed since ``serve`` started, else the model on its command line. ``python -m
bot.serving run … --model <file> …`` is :mod:`bot.rasa_server` with that model in place of the
file (``serve``'s Rasa programs, :func:`bot.rasa_commands.run_server` with ``follow_registry``).

A model version (table ``model_versions``) is ``candidate`` → ``active`` (promoted) | ``rejected``
(the guardrail refused it); the previously active one becomes ``retired``. The statuses live here
because "active" *is* "the one that runs"; the guardrail, promotion and rollback are the trainer's
(:mod:`bot.trainer.registry`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import as_utc, from_system_timestamp, utcnow
from bot.modeling import ANNOTATED_FILE, model_path, train, training_files
from bot.settings import MODELS_DIR, PROJECT_ROOT
from bot.storage import session_scope
from bot.storage.models import ModelVersion

logger = logging.getLogger(__name__)

CANDIDATE, ACTIVE, REJECTED, RETIRED = "candidate", "active", "rejected", "retired"
BASELINE_REASON = "基线：开始使用模型注册表时正在运行的模型"


def model_for_data(models_dir: Path = MODELS_DIR, root: Path = PROJECT_ROOT, also_in: Iterable[Path] = ()) -> Path:
    """The model for the current training data and config: in ``models_dir`` or one of the folders
    ``also_in`` (the test suite's cache holds the same models by the same name), else trained into
    ``models_dir``."""
    for folder in (models_dir, *also_in):
        path = model_path(folder, root)
        if path.exists():
            return path
    path, _ = train(models_dir, root=root)
    return path


def register(session: Session, path: Path, name: str | None = None, status: str = CANDIDATE, metrics: dict | None = None, reason: str = "") -> ModelVersion:
    """A model file as a new version (a ``candidate`` unless told otherwise)."""
    version = ModelVersion(name=name or Path(path).name.removesuffix(".tar.gz"), path=str(Path(path).resolve()), status=status, metrics=metrics, reason=reason)
    if status == ACTIVE:
        version.promoted_at = utcnow()
    session.add(version)
    session.flush()
    return version


def active_version(session: Session) -> ModelVersion | None:
    return session.execute(select(ModelVersion).where(ModelVersion.status == ACTIVE).order_by(ModelVersion.id.desc())).scalars().first()


def active_model_path(session: Session) -> Path | None:
    """The active version's model file, when there is one and it still exists (what ``serve`` loads)."""
    version = active_version(session)
    if version is not None and Path(version.path).is_file():
        return Path(version.path)
    return None


def register_baseline(session: Session, path: Path) -> ModelVersion:
    """Make the model that runs now the active version (registered once, by its file name)."""
    existing = session.execute(select(ModelVersion).where(ModelVersion.name == path.name.removesuffix(".tar.gz"))).scalars().first()
    if existing is None:
        return register(session, path, status=ACTIVE, reason=BASELINE_REASON)
    existing.status, existing.promoted_at, existing.path = ACTIVE, utcnow(), str(Path(path).resolve())
    session.flush()
    return existing


def developer_inputs_changed_since(moment: datetime, root: Path = PROJECT_ROOT) -> bool:
    """Whether config, domain or training data were edited after ``moment``.

    ``nlu_data/annotated.yml`` is left out: it is written by the trainers' export, and what it holds
    goes into service only through ``trainer train`` and ``trainer promote`` (the guardrail).
    """
    annotated = (root / "nlu_data" / ANNOTATED_FILE).resolve()
    stamps = [p.stat().st_mtime for p in training_files(root) if p.resolve() != annotated]
    return bool(stamps) and from_system_timestamp(max(stamps)) > as_utc(moment)


def serving_model(models_dir: Path = MODELS_DIR, session: Session | None = None, root: Path = PROJECT_ROOT) -> Path:
    """The model ``serve`` starts Rasa with (see the module's docstring); ``session``: the registry's
    database (default: ``DATABASE_URL``).

    The registry's active version, so a promotion or a rollback survives a restart — unless the
    config, domain or training data were edited after it became active: then, as for a model that
    is missing, the model for the current data and config is trained (when not cached) and becomes
    the active baseline. The first start with a registry registers what runs as the baseline too.
    """
    if session is None:
        with session_scope() as own:
            return serving_model(models_dir, own, root)
    active = active_version(session)
    if active is not None and Path(active.path).is_file():
        since = active.promoted_at or active.created_at
        if not developer_inputs_changed_since(since, root):
            return Path(active.path)
        logger.info("training data or config changed since model %s became active", active.name)
    path = model_for_data(models_dir, root)
    if active is None or Path(active.path).resolve() != path.resolve():
        if active is not None:
            active.status = RETIRED
        register_baseline(session, path)
    return path


def model_to_load(given: Path) -> Path:
    """The model a Rasa server starting under ``serve`` loads: the registry's active version when
    there is one and its file exists, else ``given`` (also when the database does not answer: a
    Rasa server must come up)."""
    try:
        with session_scope() as session:
            active = active_model_path(session)
    except Exception as error:  # the database is away: the model serve started with
        logger.warning("model registry not readable (%s): loading %s", error, given)
        return given
    if active is None:
        return given
    if active.resolve() != given.resolve():
        logger.info("loading the active model %s (not %s, given when serve started)", active, given)
    return active


def with_model(argv: list[str], model: Path) -> list[str]:
    """Rasa's command line with ``--model``'s value replaced by ``model``."""
    if "--model" not in argv:
        return [*argv, "--model", str(model)]
    at = argv.index("--model") + 1
    return [*argv[:at], str(model), *argv[at + 1 :]]


def main() -> None:
    """``python -m bot.serving run … --model <file> …``: Rasa (:mod:`bot.rasa_server`) with the
    model :func:`model_to_load` chooses."""
    import sys

    from bot import rasa_server

    argv = sys.argv[1:]
    given = Path(argv[argv.index("--model") + 1]) if "--model" in argv[:-1] else None
    if given is not None:
        model = model_to_load(given)
        print(f"bot.serving: Rasa loads {model} (the model registry's active version, else the one given)", file=sys.stderr, flush=True)
        sys.argv = [sys.argv[0], *with_model(argv, model)]
    rasa_server.main()


if __name__ == "__main__":
    main()
