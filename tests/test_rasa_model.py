"""The trained model: data validation, held-out NLU test, and the test stories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bot import rasa_commands
from bot.evaluation.metrics import CORE_CLASSES
from bot.nlu.sentences import sentence_key
from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.rasa


def rasa(*args: str) -> subprocess.CompletedProcess:
    return rasa_commands.rasa(*args).run(capture_output=True, text=True)


def test_rasa_data_validate_is_clean() -> None:
    result = rasa("data", "validate", "--data", "nlu_data", "--domain", "domain.yml", "--config", "config.yml")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def nlu_examples(directory: Path) -> list:
    """Intent examples of every NLU file in a folder (rules and responses-only files skipped)."""
    import yaml
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for path in sorted(directory.glob("*.yml")):
        if "nlu" in (yaml.safe_load(path.read_text()) or {}):
            examples += load_data(str(path)).intent_examples
    return examples


def test_heldout_split_is_never_in_training_data() -> None:
    # the same sentence as bot/nlu/sentences.py decides it; containment: tests/test_training_data_leaks.py
    training = {sentence_key(m.get("text")) for m in nlu_examples(PROJECT_ROOT / "nlu_data")}
    heldout = [m.get("text") for m in nlu_examples(PROJECT_ROOT / "tests" / "heldout")]
    leaked = [text for text in heldout if sentence_key(text) in training]
    assert not leaked
    assert len(heldout) >= 300


def test_training_data_has_150_examples_per_core_intent() -> None:
    counts = {name: 0 for name in CORE_CLASSES}
    for message in nlu_examples(PROJECT_ROOT / "nlu_data"):
        base = message.get("intent").split("/", 1)[0]
        if base in counts:
            counts[base] += 1
    assert all(count >= 150 for count in counts.values()), counts


def test_nlu_on_heldout_split(trained_model: Path, tmp_path: Path) -> None:
    result = rasa("test", "nlu", "--nlu", "tests/heldout", "--model", str(trained_model), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "intent_report.json").read_text())
    assert report["emergency"]["recall"] == 1.0, "an emergency in the held-out split was missed"
    core_f1 = sum(report[name]["f1-score"] for name in CORE_CLASSES) / len(CORE_CLASSES)
    assert core_f1 >= 0.9, {name: report[name] for name in CORE_CLASSES}


def test_stories(trained_model: Path, tmp_path: Path) -> None:
    result = rasa(
        "test", "core", "--stories", "tests/test_stories.yml", "--model", str(trained_model), "--out", str(tmp_path),
        "--fail-on-prediction-errors",
    )
    failed = (tmp_path / "failed_test_stories.yml")
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details[-4000:] + result.stderr[-2000:]
