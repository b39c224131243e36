"""Background training jobs: progress read from ``rasa train``'s output, failures recorded (SQLite and
PostgreSQL), one at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import session_scope
from bot.trainer import jobs
from tests.trainer_support import small_root

RASA_OUTPUT = [
    "2026-11-23 01:14:09 INFO     rasa.engine.training.hooks  - Starting to train component 'JiebaTokenizer'.",
    "2026-11-23 01:14:12 INFO     rasa.engine.training.hooks  - Starting to train component 'DIETClassifier'.",
    "Epochs:   0%|          | 0/80 [00:00<?, ?it/s]",
    "Epochs:  50%|█████     | 40/80 [00:07<00:06,  2.0it/s, t_loss=4.69, i_acc=0.453]",
    "Epochs: 100%|██████████| 80/80 [00:16<00:00,  2.95it/s, t_loss=2, i_acc=0.995]",
    "2026-11-23 01:14:30 INFO     rasa.engine.training.hooks  - Starting to train component 'ResponseSelector'.",
    "Epochs:  50%|█████     | 30/60 [00:08<00:31,  3.91s/it, t_loss=10.3, ",
    "Processed rules:   0%|          | 0/54 [00:00<?, ?it/s]",
    "2026-11-23 01:14:47 INFO     rasa.engine.training.hooks  - Starting to train component 'RulePolicy'.",
]


def test_progress_follows_components_and_epochs(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(
        "pipeline:\n  - name: JiebaTokenizer\n  - name: DIETClassifier\n    epochs: 80\n"
        "  - name: ResponseSelector\n    epochs: 60\npolicies:\n  - name: RulePolicy\n"
    )
    weights = jobs.component_weights(config)
    assert weights == {"JiebaTokenizer": 1.0, "DIETClassifier": 20.0, "ResponseSelector": 15.0, "RulePolicy": 1.0}
    parser = jobs.ProgressParser(weights)
    seen = []
    for line in RASA_OUTPUT:
        parser.feed(line)
        seen.append((parser.stage, round(parser.progress, 3)))
    assert seen[0] == ("训练 JiebaTokenizer", 0.0)
    assert seen[3] == ("训练 DIETClassifier", round((1 + 10) / 37, 3))
    assert seen[6] == ("训练 ResponseSelector", round((21 + 7.5) / 37, 3))
    assert seen[-1] == ("训练 RulePolicy", round(36 / 37, 3))
    assert [p for _, p in seen] == sorted(p for _, p in seen)


def test_failed_training_is_recorded_and_frees_the_lock(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.storage.models import TrainingJob

    with session_scope(database_url) as session:  # left "running" by a process that died
        stale = TrainingJob(status="running", stage="训练 DIETClassifier", progress=0.4, started_by="gone")
        session.add(stale)
        session.flush()
        stale_id = stale.id
    root = small_root(tmp_path / "project", 3)
    (root / "config.yml").write_text("language: zh\npipeline:\n  - name: NoSuchComponent\npolicies: []\n")
    registry_dir = tmp_path / "registry"
    job_id = jobs.start_training("trainer1", root, models_dir=registry_dir)
    with session_scope(database_url) as session:
        closed = session.get(TrainingJob, stale_id)
        assert closed.status == "failed" and "中断" in closed.stage
    assert jobs.wait(job_id, timeout=300)
    with session_scope(database_url) as session:
        status = jobs.job_status(session, job_id)
    assert status["status"] == "failed" and status["stage"] == "失败"
    assert status["model_version_id"] is None and status["finished_at"]
    assert "NoSuchComponent" in status["log_tail"] and "rasa train 退出码" in status["log_tail"]
    configured = tmp_path / "configured-registry"
    monkeypatch.setenv("MODEL_REGISTRY_DIR", str(configured))
    second = jobs.start_training("trainer1", root)  # the lock was released; MODEL_REGISTRY_DIR is used
    with session_scope(database_url) as session:
        assert jobs.latest_job(session)["id"] == second
    assert jobs.wait(second, timeout=300)
    assert (configured / ".training.lock").exists()
