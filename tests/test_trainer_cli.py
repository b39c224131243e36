"""``python -m bot trainer …`` as a script would call it, on a throwaway copy of the project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.modeling import quiet_env
from bot.settings import PROJECT_ROOT
from bot.storage import session_scope
from bot.storage.models import Annotation
from bot.trainer import registry
from tests.trainer_support import small_root


def trainer(*args: str) -> subprocess.CompletedProcess:
    env = quiet_env() | {"DATABASE_URL": os.environ["DATABASE_URL"]}
    return subprocess.run([sys.executable, "-m", "bot", "trainer", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)


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
    missing = trainer("compare", "999")
    assert missing.returncode == 1 and "没有编号为 999 的模型" in missing.stderr
