"""``python -m bot trainer …`` as a script would call it, on a throwaway copy of the project."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from bot import rasa_commands
from bot.storage import session_scope
from bot.storage.models import Annotation
from bot.trainer import registry
from tests.standin_rasa import StandInRasa
from tests.test_trainer_registry import metrics, model_file
from tests.trainer_support import small_root


def trainer(*args: str, **env: str) -> subprocess.CompletedProcess:
    command = rasa_commands.module("bot", "trainer", *args, env={"DATABASE_URL": os.environ["DATABASE_URL"], **env})
    return command.run(capture_output=True, text=True, timeout=300)


def test_cli_export_models_status_and_refusals(db: str, tmp_path: Path) -> None:
    root = small_root(tmp_path / "project", 3)
    with session_scope(db) as session:
        session.add(Annotation(text="阳台的晾衣杆掉下来了 麻烦派人修一下", intent="repair", author="t"))
        session.add(Annotation(text="哈哈", noise=True, author="t"))
        registry.register(session, tmp_path / "m1.tar.gz", status=registry.ACTIVE, metrics=None)

    result = trainer("export", "--root", str(root), "--no-validate")
    assert result.returncode == 0, result.stderr
    exported = json.loads(result.stdout)
    assert exported["written"] == 1 and exported["skipped"] == [{"text": "哈哈", "reason": "标记为噪声，不作训练数据"}]
    assert "阳台的晾衣杆掉下来了 麻烦派人修一下" in (root / "nlu_data" / "annotated.yml").read_text()

    result = trainer("models", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert [(m["name"], m["status"]) for m in json.loads(result.stdout)] == [("m1", "active")]
    assert "m1" in trainer("models").stdout

    assert trainer("status").stdout.strip() == "no training job yet"
    refused = trainer("promote", "999", "--rasa-url", "http://127.0.0.1:9")
    assert refused.returncode == 1 and json.loads(refused.stdout) == {"ok": False, "reason": "没有编号为 999 的模型"}
    refused = trainer("promote", "999", "--rasa-url", "http://127.0.0.1:9", "--rasa-url", "http://127.0.0.1:10")
    assert refused.returncode == 1 and json.loads(refused.stdout)["reason"] == "没有编号为 999 的模型", "--rasa-url repeats for a cluster"
    missing = trainer("compare", "999")
    assert missing.returncode == 1 and "没有编号为 999 的模型" in missing.stderr


def test_promote_and_rollback_load_every_rasa_server_of_the_cluster(db: str, tmp_path: Path) -> None:
    """By default every server of ``RASA_URLS``; ``--rasa-url`` repeated names them instead."""
    with session_scope(db) as session:
        old = registry.register(session, model_file(tmp_path, "old"), status=registry.ACTIVE, metrics=metrics(0.9, 1.0))
        new = registry.register(session, model_file(tmp_path, "new"), metrics=metrics(0.92, 1.0))
        ids = old.id, new.id
    with StandInRasa() as one, StandInRasa() as two, StandInRasa() as elsewhere:
        promoted = trainer("promote", str(ids[1]), RASA_URLS=f"{one.url},{two.url}")
        assert promoted.returncode == 0 and json.loads(promoted.stdout)["ok"], promoted.stdout + promoted.stderr
        assert one.loads == two.loads == [str((tmp_path / "new.tar.gz").resolve())] and elsewhere.loads == []
        back = trainer("rollback", str(ids[0]), "--rasa-url", one.url, "--rasa-url", elsewhere.url, RASA_URLS=two.url)
        assert back.returncode == 0, back.stdout + back.stderr
        assert one.loads[-1] == elsewhere.loads[-1] == str((tmp_path / "old.tar.gz").resolve()) and len(two.loads) == 1
