"""The model registry on SQLite and PostgreSQL: listing, the guardrail, promotion and rollback.

Promotion talks to Rasa's ``PUT /model``; here the stand-in Rasa (tests/standin_rasa.py, the
``standin_rasa`` fixture) records the requests (the real server is exercised in
tests/test_trainer_e2e.py). Metrics are given as
data, so the guardrail's decisions are checked exactly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import session_scope
from bot.storage.models import ModelVersion
from bot.trainer import registry
from tests.standin_rasa import StandInRasa


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


def test_refused_candidate_is_rejected_with_reason_and_nothing_is_loaded(database_url: str, tmp_path: Path, standin_rasa: StandInRasa) -> None:
    with session_scope(database_url) as session:
        current = registry.register(session, model_file(tmp_path, "current"), status=registry.ACTIVE, metrics=metrics(0.9, 1.0))
        worse = registry.register(session, model_file(tmp_path, "worse"), metrics=metrics(0.95, 0.8))
        ids = current.id, worse.id
    with session_scope(database_url) as session:
        comparison = registry.compare(session, ids[1])
        assert not comparison["verdict"]["ok"] and comparison["current"]["id"] == ids[0]
        assert comparison["verdict"]["deltas"]["heldout"]["emergency_recall"] == pytest.approx(-0.2)
        result = registry.promote(session, ids[1], standin_rasa.url)
    assert not result.ok and "紧急类召回率下降" in result.reason
    assert standin_rasa.loads == []
    with session_scope(database_url) as session:
        assert session.get(ModelVersion, ids[1]).status == registry.REJECTED
        assert "紧急类召回率下降" in session.get(ModelVersion, ids[1]).reason
        assert registry.active_version(session).id == ids[0]


def test_promote_then_roll_back(database_url: str, tmp_path: Path, standin_rasa: StandInRasa) -> None:
    with session_scope(database_url) as session:
        old = registry.register(session, model_file(tmp_path, "old"), status=registry.ACTIVE, metrics=metrics(0.9, 1.0))
        new = registry.register(session, model_file(tmp_path, "new"), metrics=metrics(0.92, 1.0))
        ids = old.id, new.id
    with session_scope(database_url) as session:
        result = registry.promote(session, ids[1], standin_rasa.url)
    assert result.ok, result.reason
    assert standin_rasa.loads == [str((tmp_path / "new.tar.gz").resolve())]
    with session_scope(database_url) as session:
        assert [v["status"] for v in registry.list_versions(session)] == ["active", "retired"]
        assert registry.promote(session, ids[1], standin_rasa.url).reason == "这个模型已经在使用中"
        assert not registry.promote(session, ids[0], standin_rasa.url).ok, "a retired model comes back by rollback only"
        assert not registry.rollback(session, ids[1], standin_rasa.url).ok
        back = registry.rollback(session, ids[0], standin_rasa.url)
    assert back.ok, back.reason
    assert standin_rasa.loads[-1] == str((tmp_path / "old.tar.gz").resolve())
    with session_scope(database_url) as session:
        assert registry.active_version(session).id == ids[0]
        assert session.get(ModelVersion, ids[1]).status == registry.RETIRED


def test_failed_load_changes_nothing(database_url: str, tmp_path: Path, standin_rasa: StandInRasa) -> None:
    with session_scope(database_url) as session:
        old = registry.register(session, model_file(tmp_path, "old"), status=registry.ACTIVE, metrics=metrics(0.9, 1.0))
        new = registry.register(session, model_file(tmp_path, "new"), metrics=metrics(0.95, 1.0))
        ids = old.id, new.id
    standin_rasa.failure = 500
    with session_scope(database_url) as session:
        result = registry.promote(session, ids[1], standin_rasa.url)
    assert not result.ok and "HTTP 500" in result.reason
    standin_rasa.go_down()
    with session_scope(database_url) as session:
        result = registry.promote(session, ids[1], standin_rasa.url)
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
    from bot.serving import serving_model

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
    from bot.serving import developer_inputs_changed_since, serving_model

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


def test_a_cluster_is_promoted_on_every_rasa_server(database_url: str, tmp_path: Path) -> None:
    with session_scope(database_url) as session:
        old = registry.register(session, model_file(tmp_path, "old"), status=registry.ACTIVE, metrics=metrics(0.9, 1.0))
        new = registry.register(session, model_file(tmp_path, "new"), metrics=metrics(0.92, 1.0))
        ids = old.id, new.id
    with StandInRasa() as one, StandInRasa() as two, StandInRasa() as three:
        with session_scope(database_url) as session:
            result = registry.promote(session, ids[1], [one.url, two.url, three.url])
        assert result.ok, result.reason
        loaded = str((tmp_path / "new.tar.gz").resolve())
        assert one.loads == two.loads == three.loads == [loaded]
        with session_scope(database_url) as session:
            back = registry.rollback(session, ids[0], (one.url, two.url, three.url))
        assert back.ok and one.loads[-1] == two.loads[-1] == three.loads[-1] == str((tmp_path / "old.tar.gz").resolve())


def test_a_cluster_server_that_cannot_load_leaves_every_server_on_the_active_model(database_url: str, tmp_path: Path) -> None:
    """All or nothing: the servers loaded before the failure are put back on the active model, so
    every server answers with the same model, and nothing is marked active."""
    with session_scope(database_url) as session:
        old = registry.register(session, model_file(tmp_path, "old"), status=registry.ACTIVE, metrics=metrics(0.9, 1.0))
        new = registry.register(session, model_file(tmp_path, "new"), metrics=metrics(0.92, 1.0))
        ids = old.id, new.id
    with StandInRasa() as one, StandInRasa() as two, StandInRasa() as three:
        two.go_down()
        with session_scope(database_url) as session:
            result = registry.promote(session, ids[1], [one.url, two.url, three.url])
        assert not result.ok
        assert result.reason.startswith(f"{two.url}：无法连接") and "第 2 台失败" in result.reason and f"{one.url} 已恢复原模型" in result.reason
        assert one.loads == [str((tmp_path / "new.tar.gz").resolve()), str((tmp_path / "old.tar.gz").resolve())]
        assert three.loads == [], "not tried after the failure"
    with session_scope(database_url) as session:
        assert registry.active_version(session).id == ids[0]
        assert session.get(ModelVersion, ids[1]).status == registry.CANDIDATE


def test_a_rasa_server_restarted_after_a_promotion_loads_the_promoted_model(database_url: str, tmp_path: Path) -> None:
    """``serve`` starts Rasa with the model active then; supervisord restarts a crashed Rasa server
    with that same command line. Through ``python -m bot.serving`` the restarted server loads the
    registry's active version: the one promoted (or rolled back to) since."""
    from bot.processes import Stack
    from bot.serving import model_to_load, with_model

    started = model_file(tmp_path, "started")
    with session_scope(database_url) as session:
        registry.register(session, started, status=registry.ACTIVE, metrics=metrics(0.9, 1.0))
        candidate = registry.register(session, model_file(tmp_path, "promoted"), metrics=metrics(0.92, 1.0)).id
    assert model_to_load(started) == started.resolve()

    # serve's Rasa program (supervisord runs this command line, tests/test_supervision.py).
    stack = Stack(started, rasa_port=5105, actions_port=5155, gateway_port=8100, env={"DATABASE_URL": database_url}, follow_registry=True)
    argv = stack.rasa_command().argv
    assert argv[1:4] == ("-m", "bot.serving", "run") and argv[argv.index("--model") + 1] == str(started), argv
    plain = Stack(started, rasa_port=5105, actions_port=5155)
    assert plain.rasa_command().argv[1:3] == ("-m", "bot.rasa_server"), "serve --model, the benchmarks: the file given"

    with StandInRasa() as rasa, session_scope(database_url) as session:
        assert registry.promote(session, candidate, rasa.url).ok
    promoted = (tmp_path / "promoted.tar.gz").resolve()
    assert model_to_load(started) == promoted, "what the restarted server loads"
    argv = ["run", "--enable-api", "--model", str(started), "--port", "5105"]
    assert with_model(argv, promoted) == ["run", "--enable-api", "--model", str(promoted), "--port", "5105"]

    promoted.unlink()
    assert model_to_load(started) == started, "a missing file: the model given"


def test_a_rasa_server_starts_with_the_model_given_when_the_registry_cannot_be_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.serving import model_to_load

    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    given = model_file(tmp_path, "given")
    assert model_to_load(given) == given
