"""Where the external evaluation set is found, for a checkout anywhere (CI clones elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluation import datasets


def _tsv(directory: Path) -> Path:
    path = directory / datasets.EXTERNAL_NAME
    path.parent.mkdir(parents=True)
    path.write_text("text\tlabel\n", encoding="utf-8")
    return path


def test_shared_next_to_the_checkout_or_a_parent_or_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WUYE_SHARED_DIR", raising=False)
    monkeypatch.setattr(datasets, "WORKPLACE_SHARED", tmp_path / "nowhere")
    root = tmp_path / "clones" / "run-1" / "repo"
    root.mkdir(parents=True)
    assert datasets.find_external_tsv(root) == tmp_path / "clones" / "run-1" / "shared" / datasets.EXTERNAL_NAME, "a clear path when missing"
    beside_parent = _tsv(tmp_path / "clones" / "shared")
    assert datasets.find_external_tsv(root) == beside_parent
    beside = _tsv(tmp_path / "clones" / "run-1" / "shared")
    assert datasets.find_external_tsv(root) == beside, "the nearest wins"
    chosen = _tsv(tmp_path / "elsewhere")
    monkeypatch.setenv("WUYE_SHARED_DIR", str(tmp_path / "elsewhere"))
    assert datasets.find_external_tsv(root) == chosen


def test_the_workplace_copy_is_the_last_resort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WUYE_SHARED_DIR", raising=False)
    workplace = tmp_path / "work-shared"
    expected = _tsv(workplace)
    monkeypatch.setattr(datasets, "WORKPLACE_SHARED", workplace)
    root = tmp_path / "ci" / "repo"
    root.mkdir(parents=True)
    assert datasets.find_external_tsv(root) == expected


def test_the_robustness_sets_are_labelled_with_the_intake_classes() -> None:
    noisy = datasets.robustness_examples(datasets.NOISY_TSV)
    faults = datasets.robustness_examples(datasets.DEVICE_FAULTS_TSV)
    classes = {"inquiry", "repair", "complaint", "emergency"}
    assert {e.label for e in noisy + faults} <= classes
    assert {e.flag for e in noisy if e.label == "emergency"} >= {"pinyin", "homophone", "traditional", "fullwidth", "mixed"}
    assert sum(e.label == "repair" for e in faults) >= 30 and {e.flag for e in faults if e.label == "emergency"} == {"contrast"}
    assert len({e.text for e in noisy + faults}) == len(noisy + faults), "no sentence twice"


def test_an_unread_answerability_set_is_reported_by_its_rates_only() -> None:
    """Measuring a set kept unread (lane.tsv) must not show anyone its misses."""
    from bot.bench.answerability import format_sets
    from bot.evaluation.datasets import ANSWERABILITY_SETS, UNREAD_ANSWERABILITY_SETS

    miss = {"expect": "answer", "topic": "parking", "text": "车位一个月多少钱", "intent": "inquiry", "picked": "parking", "reply": "handover", "missing": ()}
    section = {"answered_correctly": 0.5, "answerable": 2, "handed_over_honestly": 1.0, "unanswerable": 1, "wrong_answers": 0, "misses": [miss]}
    assert "lane" in UNREAD_ANSWERABILITY_SETS
    assert all(name in ANSWERABILITY_SETS for name in UNREAD_ANSWERABILITY_SETS)
    read, unread = "\n".join(format_sets({"street": section})), "\n".join(format_sets({"lane": section}))
    assert "车位一个月多少钱" in read and "street.tsv" in read
    assert "车位一个月多少钱" not in unread and "lane.tsv" in unread and "1 misses not printed" in unread
