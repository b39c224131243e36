"""The trainer workflow end to end on small, real models: annotate → export → validate → train →
evaluate → promote into a running Rasa server; the guardrail refuses a candidate trained on
deliberately wrong labels; rollback restores an earlier model.

Three real trainings of a small copy of the project (few examples, few epochs) and one real
``rasa run --enable-api`` whose ``/status`` must name the model promoted with ``PUT /model``.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from bot import rasa_commands
from bot.modeling import train
from bot.nlu.sentences import sentence_key
from bot.processes import free_port, wait_for_http
from bot.storage import session_scope
from bot.storage.models import Annotation
from bot.trainer import jobs, registry
from bot.trainer.evaluation import evaluate_model
from bot.trainer.export import ANNOTATED_FILE, export_annotations, validate_data
from tests.trainer_support import nlu_examples, small_root

pytestmark = pytest.mark.rasa

BASE = 12  # examples per intent in the small project
EXTRA = 30  # more examples per core intent that a trainer labels from residents' messages
CORE = ("inquiry", "repair", "complaint", "emergency")
MARKUP = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def plain(text: str) -> str:
    return MARKUP.sub(r"\1", text)


def rasa_status(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=30) as reply:
        return json.loads(reply.read())


def parse(port: int, text: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/model/parse", data=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.loads(reply.read())


@pytest.fixture
def rasa_server(tmp_path: Path) -> Iterator[dict]:
    """A plain ``rasa run --enable-api`` started later with the baseline model."""
    holder: dict = {"port": free_port()}

    def start(model: Path) -> None:
        log = open(tmp_path / "rasa.log", "ab")  # noqa: SIM115 - closed with the process
        command = rasa_commands.rasa("run", "--enable-api", "--model", str(model), "--port", str(holder["port"]), "--interface", "127.0.0.1")
        holder["process"] = command.start(stdout=log, stderr=subprocess.STDOUT)

    holder["start"] = start
    yield holder
    process = holder.get("process")
    if process is not None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def annotate_residents_messages(url: str, root: Path) -> dict[str, list[str]]:
    """What trainers label in the inbox: more examples of the core intents, plus cases export must skip."""
    examples = nlu_examples()
    labelled: dict[str, list[str]] = {}
    with session_scope(url) as session:
        for intent, texts in examples.items():
            if intent.split("/")[0] not in CORE:
                continue
            per_topic = EXTRA if "/" not in intent else 3
            for text in texts[BASE : BASE + per_topic]:
                session.add(Annotation(text=plain(text), intent=intent, author="trainer1", conversation_id="c1"))
                labelled.setdefault(intent, []).append(plain(text))
        heldout = yaml.safe_load((root / "tests" / "heldout" / "repair.yml").read_text())["nlu"][0]["examples"].splitlines()[0][2:]
        session.add(Annotation(text=plain(heldout), intent="repair", author="trainer1"))
        session.add(Annotation(text="哈哈哈哈哈", intent=None, noise=True, author="trainer1"))
        session.add(Annotation(text="还没标注的一句话", intent=None, author="trainer1"))
        in_training = plain(examples["repair"][0])
        session.add(Annotation(text=in_training, intent="repair", author="trainer1"))
    return labelled


def test_annotate_export_validate_train_evaluate_promote_and_guardrail(db: str, tmp_path: Path, rasa_server: dict) -> None:
    root = small_root(tmp_path / "project", BASE)
    registry_dir = tmp_path / "registry"

    # The model in service before any trainer work: small, served by a real Rasa, registered active.
    baseline_path, _ = train(registry_dir, root=root, name="baseline")
    rasa_server["start"](baseline_path)
    with session_scope(db) as session:
        baseline_id = registry.register(session, baseline_path, status=registry.ACTIVE).id  # evaluated below

    # Annotate → export → validate.
    labelled = annotate_residents_messages(db, root)
    with session_scope(db) as session:
        result = export_annotations(session, root)
    assert result.path == root / "nlu_data" / ANNOTATED_FILE
    assert result.written == sum(len(set(map(sentence_key, texts))) for texts in labelled.values())
    reasons = dict(result.skipped)
    assert "留出测试集" in " ".join(reasons.values())
    assert "哈哈哈哈哈" in reasons and "训练数据中已有" in " ".join(reasons.values())
    exported = yaml.safe_load(result.path.read_text())["nlu"]
    assert [block["intent"] for block in exported] == sorted(labelled)
    ok, output = validate_data(root)
    assert ok, output

    # Train in the background: visible progress, one training at a time.
    job_id = jobs.start_training("trainer1", root, models_dir=registry_dir)
    with pytest.raises(jobs.TrainingBusy, match="已有一个训练任务"):
        jobs.start_training("trainer2", root, models_dir=registry_dir)
    with ThreadPoolExecutor(1) as pool:  # while the candidate trains: the baseline's metrics, once
        baseline_metrics = pool.submit(evaluate_model, baseline_path)
        seen: list[tuple[str, float]] = []
        while not jobs.wait(job_id, timeout=1.0):
            with session_scope(db) as session:
                status = jobs.job_status(session, job_id)
            seen.append((status["status"], status["progress"]))
        with session_scope(db) as session:
            session.get(registry.ModelVersion, baseline_id).metrics = baseline_metrics.result()
    with session_scope(db) as session:
        status = jobs.job_status(session, job_id)
    assert status["status"] == "done", status["log_tail"]
    assert status["progress"] == 1.0 and status["model_version_id"]
    assert "已注册并评估" in status["log_tail"] and "%|" not in status["log_tail"], "the log keeps messages, not progress bars"
    assert any(s == "running" and 0 < p < 1 for s, p in seen), seen
    progress = [p for _, p in seen]
    assert progress == sorted(progress), "progress only moves forward"
    candidate_id = status["model_version_id"]

    # Evaluate side by side; the good candidate passes the guardrail and is promoted with PUT /model.
    wait_for_http(f"http://127.0.0.1:{rasa_server['port']}/status", 240, rasa_server["process"])
    assert rasa_status(rasa_server["port"])["model_file"] == baseline_path.name
    with session_scope(db) as session:
        comparison = registry.compare(session, candidate_id)
        assert comparison["verdict"]["ok"], comparison["verdict"]
        assert comparison["current"]["id"] == baseline_id
        for split in ("heldout", "external"):
            side = comparison["candidate"]["metrics"][split]
            assert set(side["per_intent"]) == set(CORE) and side["confusion"]["matrix"]
        promoted = registry.promote(session, candidate_id, f"http://127.0.0.1:{rasa_server['port']}")
    assert promoted.ok, promoted.reason
    with session_scope(db) as session:
        candidate = session.get(registry.ModelVersion, candidate_id)
        assert candidate.status == registry.ACTIVE and candidate.promoted_at is not None
        assert session.get(registry.ModelVersion, baseline_id).status == registry.RETIRED
        candidate_file = Path(candidate.path).name
    assert rasa_status(rasa_server["port"])["model_file"] == candidate_file
    assert parse(rasa_server["port"], "厨房水龙头漏水了")["intent"]["name"]

    # A candidate trained on deliberately wrong labels (emergencies labelled as complaints, guard off).
    wrong_root = small_root(tmp_path / "wrong", BASE, wrong=True)
    wrong_job = jobs.start_training("trainer1", wrong_root, models_dir=registry_dir)
    assert jobs.wait(wrong_job, timeout=900)
    with session_scope(db) as session:
        wrong_status = jobs.job_status(session, wrong_job)
        assert wrong_status["status"] == "done", wrong_status["log_tail"]
        wrong_id = wrong_status["model_version_id"]
        refused = registry.promote(session, wrong_id, f"http://127.0.0.1:{rasa_server['port']}")
    assert not refused.ok
    assert "紧急类召回率下降" in refused.reason
    with session_scope(db) as session:
        wrong = session.get(registry.ModelVersion, wrong_id)
        assert wrong.status == registry.REJECTED and "紧急类召回率下降" in wrong.reason
        assert registry.active_version(session).id == candidate_id
        versions = registry.list_versions(session)
    assert rasa_status(rasa_server["port"])["model_file"] == candidate_file, "the running model is unchanged"
    assert [(v["id"], v["status"]) for v in versions] == [(wrong_id, "rejected"), (candidate_id, "active"), (baseline_id, "retired")]
    assert all(v["created_at"] and v["metrics"] for v in versions)

    # Roll back to the earlier model.
    with session_scope(db) as session:
        back = registry.rollback(session, baseline_id, f"http://127.0.0.1:{rasa_server['port']}")
    assert back.ok, back.reason
    assert rasa_status(rasa_server["port"])["model_file"] == baseline_path.name
    with session_scope(db) as session:
        assert registry.active_version(session).id == baseline_id
        assert session.get(registry.ModelVersion, candidate_id).status == registry.RETIRED
    assert parse(rasa_server["port"], "楼道里着火了")["intent"]["name"]
