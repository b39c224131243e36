"""The model registry on SQLite and PostgreSQL: listing, the guardrail, promotion and rollback.

Promotion talks to Rasa's ``PUT /model``; here a small HTTP server standing in for Rasa records
the requests (the real server is exercised in tests/test_trainer_e2e.py). Metrics are given as
data, so the guardrail's decisions are checked exactly.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.processes import free_port
from bot.storage import session_scope
from bot.storage.models import ModelVersion
from bot.trainer import registry


def split(macro_f1: float, emergency_recall: float) -> dict:
    labels = ["inquiry", "repair", "complaint", "emergency"]
    return {
        "n": 10,
        "macro_f1": macro_f1,
        "emergency_recall": emergency_recall,
        "per_intent": {name: {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1} for name in labels},
        "confusion": {"labels": labels, "matrix": [[1 if i == j else 0 for j in range(4)] for i in range(4)]},
    }


def metrics(f1: float, recall: float, ext_f1: float | None = None, ext_recall: float | None = None) -> dict:
    return {"heldout": split(f1, recall), "external": split(ext_f1 if ext_f1 is not None else f1, ext_recall if ext_recall is not None else recall)}


class StandInRasa(BaseHTTPRequestHandler):
    loads: list[str] = []
    status = 204

    def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/model":
            type(self).loads.append(body["model_file"])
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def rasa_url() -> Iterator[str]:
    StandInRasa.loads, StandInRasa.status = [], 204
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), StandInRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def model_file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.tar.gz"
    path.write_bytes(b"model " + name.encode())
    return path


def test_guardrail_reasons() -> None:
    current = metrics(0.90, 1.0, 0.70, 0.95)
    assert registry.guardrail(metrics(0.91, 1.0, 0.70, 0.95), current) == []
    assert registry.guardrail(metrics(0.90, 1.0, 0.70, 0.95), current) == [], "equal is not a drop"
    reasons = registry.guardrail(metrics(0.95, 0.97, 0.80, 0.95), current)
    assert reasons == ["留出测试集紧急类召回率下降：1.000 → 0.970"]
    reasons = registry.guardrail(metrics(0.95, 1.0, 0.69, 0.90), current)
    assert reasons == ["外部评测集紧急类召回率下降：0.950 → 0.900", "外部评测集 macro-F1 下降：0.700 → 0.690"]
    assert registry.guardrail({"heldout": split(0.95, 1.0)}, current) == ["候选模型缺少外部评测集的评估结果"]
    assert registry.guardrail(metrics(0.1, 0.1), None) == []


def test_listing_newest_first_with_dates(database_url: str, tmp_path: Path) -> None:
    with session_scope(database_url) as session:
        first = registry.register(session, model_file(tmp_path, "a"), status=registry.ACTIVE, metrics=metrics(0.9, 1.0))
        second = registry.register(session, model_file(tmp_path, "b"), metrics=metrics(0.91, 1.0))
        ids = first.id, second.id
    with session_scope(database_url) as session:
        rows = registry.list_versions(session)
        assert [(r["id"], r["name"], r["status"]) for r in rows] == [(ids[1], "b", "candidate"), (ids[0], "a", "active")]
        assert rows[0]["created_at"] and rows[1]["promoted_at"] and rows[0]["promoted_at"] is None
        assert rows[0]["metrics"]["heldout"]["macro_f1"] == 0.91
        assert registry.active_version(session).id == ids[0]
        assert registry.active_model_path(session) == (tmp_path / "a.tar.gz").resolve()


def test_refused_candidate_is_rejected_with_reason_and_nothing_is_loaded(database_url: str, tmp_path: Path, rasa_url: str) -> None:
    with session_scope(database_url) as session:
        current = registry.register(session, model_file(tmp_path, "current"), status=registry.ACTIVE, metrics=metrics(0.9, 1.0))
        worse = registry.register(session, model_file(tmp_path, "worse"), metrics=metrics(0.95, 0.8))
        ids = current.id, worse.id
    with session_scope(database_url) as session:
        comparison = registry.compare(session, ids[1])
        assert not comparison["verdict"]["ok"] and comparison["current"]["id"] == ids[0]
        assert comparison["verdict"]["deltas"]["heldout"]["emergency_recall"] == pytest.approx(-0.2)
        result = registry.promote(session, ids[1], rasa_url)
    assert not result.ok and "紧急类召回率下降" in result.reason
    assert StandInRasa.loads == []
    with session_scope(database_url) as session:
        assert session.get(ModelVersion, ids[1]).status == registry.REJECTED
        assert "紧急类召回率下降" in session.get(ModelVersion, ids[1]).reason
        assert registry.active_version(session).id == ids[0]


def test_promote_then_roll_back(database_url: str, tmp_path: Path, rasa_url: str) -> None:
    with session_scope(database_url) as session:
        old = registry.register(session, model_file(tmp_path, "old"), status=registry.ACTIVE, metrics=metrics(0.9, 1.0))
        new = registry.register(session, model_file(tmp_path, "new"), metrics=metrics(0.92, 1.0))
        ids = old.id, new.id
    with session_scope(database_url) as session:
        result = registry.promote(session, ids[1], rasa_url)
    assert result.ok, result.reason
    assert StandInRasa.loads == [str((tmp_path / "new.tar.gz").resolve())]
    with session_scope(database_url) as session:
        assert [v["status"] for v in registry.list_versions(session)] == ["active", "retired"]
        assert registry.promote(session, ids[1], rasa_url).reason == "这个模型已经在使用中"
        assert not registry.promote(session, ids[0], rasa_url).ok, "a retired model comes back by rollback only"
        assert not registry.rollback(session, ids[1], rasa_url).ok
        back = registry.rollback(session, ids[0], rasa_url)
    assert back.ok, back.reason
    assert StandInRasa.loads[-1] == str((tmp_path / "old.tar.gz").resolve())
    with session_scope(database_url) as session:
        assert registry.active_version(session).id == ids[0]
        assert session.get(ModelVersion, ids[1]).status == registry.RETIRED


def test_failed_load_changes_nothing(database_url: str, tmp_path: Path, rasa_url: str) -> None:
    with session_scope(database_url) as session:
        old = registry.register(session, model_file(tmp_path, "old"), status=registry.ACTIVE, metrics=metrics(0.9, 1.0))
        new = registry.register(session, model_file(tmp_path, "new"), metrics=metrics(0.95, 1.0))
        ids = old.id, new.id
    StandInRasa.status = 500
    with session_scope(database_url) as session:
        result = registry.promote(session, ids[1], rasa_url)
    assert not result.ok and "HTTP 500" in result.reason
    with session_scope(database_url) as session:
        result = registry.promote(session, ids[1], f"http://127.0.0.1:{free_port()}")
    assert not result.ok and "无法连接" in result.reason
    with session_scope(database_url) as session:
        assert registry.active_version(session).id == ids[0]
        assert session.get(ModelVersion, ids[1]).status == registry.CANDIDATE


def test_baseline_is_the_served_model_registered_once(database_url: str, tmp_path: Path) -> None:
    """With no version yet, the model ``serve`` runs becomes the active baseline, evaluated once."""
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    from bot.modeling import model_path

    served = model_path(models_dir)
    served.write_bytes(b"the served model")
    evaluated: list[Path] = []

    def evaluate(path: Path) -> dict:
        evaluated.append(path)
        return metrics(0.9, 1.0)

    with session_scope(database_url) as session:
        baseline = registry.ensure_baseline(session, models_dir=models_dir, evaluate=evaluate)
        assert baseline.status == registry.ACTIVE and Path(baseline.path) == served.resolve()
    with session_scope(database_url) as session:
        again = registry.ensure_baseline(session, models_dir=models_dir, evaluate=evaluate)
        assert again.id == baseline.id and again.metrics["heldout"]["macro_f1"] == 0.9
    assert evaluated == [served.resolve()]


def test_serve_starts_the_active_version(database_url: str, tmp_path: Path) -> None:
    from bot.modeling import model_path
    from bot.processes import serving_model

    models_dir = tmp_path / "models"
    models_dir.mkdir()
    current = model_path(models_dir)
    current.write_bytes(b"the model for today's data")
    assert serving_model(models_dir) == current, "no registry yet: the model for the current data"
    with session_scope(database_url) as session:
        baseline = registry.active_version(session)
        assert Path(baseline.path) == current.resolve() and baseline.reason == registry.BASELINE_REASON
        assert baseline.metrics is None, "evaluated when a trainer first compares against it"
        baseline.status = registry.RETIRED
        registry.register(session, model_file(tmp_path, "promoted"), status=registry.ACTIVE)
    assert serving_model(models_dir) == (tmp_path / "promoted.tar.gz").resolve()
    (tmp_path / "promoted.tar.gz").unlink()
    assert serving_model(models_dir) == current, "a missing file falls back to the model for the data"
    with session_scope(database_url) as session:
        assert len(registry.list_versions(session)) == 2


def test_serve_trains_again_when_developers_edit_the_data_after_a_promotion(database_url: str, tmp_path: Path) -> None:
    """Issue 2's rule (a model older than its data or config is retrained) holds with a registry;
    the trainers' own export (annotated.yml) does not bypass the promotion guardrail."""
    import os
    import time

    from bot.modeling import model_path, training_files
    from bot.processes import developer_inputs_changed_since, serving_model

    models_dir = tmp_path / "models"
    models_dir.mkdir()
    current = model_path(models_dir)
    current.write_bytes(b"the model for today's data")
    with session_scope(database_url) as session:
        promoted = registry.register(session, model_file(tmp_path, "promoted"), status=registry.ACTIVE)
        promoted_at = promoted.promoted_at
    assert not developer_inputs_changed_since(promoted_at), "the checkout is older than the promotion"
    assert serving_model(models_dir) == (tmp_path / "promoted.tar.gz").resolve()

    edited = training_files()[0]
    before = edited.stat()
    try:
        future = time.time() + 3600
        os.utime(edited, (future, future))
        assert developer_inputs_changed_since(promoted_at)
        assert serving_model(models_dir) == current, "data edited after the promotion: the model for the data"
        with session_scope(database_url) as session:
            active = registry.active_version(session)
            assert Path(active.path) == current.resolve()
            statuses = {v["name"]: v["status"] for v in registry.list_versions(session)}
            assert statuses["promoted"] == registry.RETIRED
    finally:
        os.utime(edited, (before.st_atime, before.st_mtime))
