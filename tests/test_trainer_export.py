"""Export of trainers' labels into nlu_data/annotated.yml, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.bench.datasets import EXTERNAL_TSV, external_examples
from bot.clock import utcnow
from bot.storage import session_scope
from bot.storage.models import Annotation
from bot.trainer.export import (
    REASON_DUPLICATE,
    REASON_IN_EXTERNAL,
    REASON_IN_HELDOUT,
    REASON_IN_TRAINING,
    REASON_NOISE,
    export_annotations,
    marked_up,
    nlu_yaml,
)
from tests.trainer_support import nlu_examples, small_root


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return small_root(tmp_path / "project", 5)


def test_yaml_is_sorted_and_unique() -> None:
    text = nlu_yaml({"repair": ["b 坏了", "a 坏了", "b 坏了"], "complaint": ["投诉"]}, header="")
    assert text == "nlu:\n- intent: complaint\n  examples: |\n    - 投诉\n- intent: repair\n  examples: |\n    - a 坏了\n    - b 坏了\n"


def test_entity_markup() -> None:
    text = "3栋2单元102室水管爆了"
    assert marked_up(text, [{"start": 0, "end": 9, "entity": "address"}], {"address"}) == "[3栋2单元102室](address)水管爆了"
    assert marked_up(text, [{"start": 0, "end": 9, "entity": "unknown"}], {"address"}) == text
    assert marked_up(text, [{"start": 5, "end": 99, "entity": "address"}], {"address"}) == text


def test_export_writes_clean_stable_training_data(database_url: str, root: Path) -> None:
    heldout = yaml.safe_load((root / "tests" / "heldout" / "complaint.yml").read_text())["nlu"][0]["examples"].splitlines()[0][2:]
    training = next(text for text in nlu_examples(root)["repair"] if "[" not in text)
    now = utcnow()
    rows = [
        Annotation(text="楼下  小区门口的路灯\n坏了好几天", intent="repair", author="t"),
        Annotation(text="物业费能用支付宝交吗？", intent="inquiry/fee_payment", author="t"),
        Annotation(text="门卫对送外卖的小哥 大喊大叫", intent="repair", author="t", updated_at=now - timedelta(hours=1)),
        Annotation(text="门卫对送外卖的小哥大喊大叫！", intent="complaint", author="t", updated_at=now),
        Annotation(text="厨房  燃气味很重", intent="emergency", author="t", entities=[{"start": 4, "end": 6, "value": "燃气", "entity": "address"}]),
        Annotation(text=heldout, intent="complaint", author="t"),
        Annotation(text=training, intent="repair", author="t"),
        Annotation(text="哈哈哈", intent=None, noise=True, author="t"),
        Annotation(text="还没标注", intent=None, author="t"),
        Annotation(text="这是什么意图", intent="no_such_intent", author="t"),
    ]
    if EXTERNAL_TSV.exists():
        rows.append(Annotation(text=external_examples()[0].text, intent="inquiry/other", author="t"))
    with session_scope(database_url) as session:
        session.add_all(rows)
    with session_scope(database_url) as session:
        result = export_annotations(session, root)
    assert result.written == 4
    reasons = dict(result.skipped)
    assert reasons[heldout] == REASON_IN_HELDOUT
    assert reasons[training] == REASON_IN_TRAINING
    assert reasons["哈哈哈"] == REASON_NOISE
    assert reasons["门卫对送外卖的小哥 大喊大叫"] == REASON_DUPLICATE, "the newer label of the same sentence wins"
    assert "no_such_intent" in reasons["这是什么意图"]
    assert "还没标注" not in reasons
    if EXTERNAL_TSV.exists():
        assert reasons[external_examples()[0].text] == REASON_IN_EXTERNAL
    content = result.path.read_text()
    data = yaml.safe_load(content)
    assert [(b["intent"], b["examples"]) for b in data["nlu"]] == [
        ("complaint", "- 门卫对送外卖的小哥大喊大叫！\n"),
        ("emergency", "- 厨房 [燃气](address)味很重\n"),
        ("inquiry/fee_payment", "- 物业费能用支付宝交吗？\n"),
        ("repair", "- 楼下 小区门口的路灯 坏了好几天\n"),
    ]
    from rasa.shared.nlu.training_data.loading import load_data

    loaded = load_data(str(result.path))
    assert len(loaded.intent_examples) == 4
    with session_scope(database_url) as session:
        exported = [a.text for a in session.query(Annotation).filter(Annotation.exported_at.isnot(None))]
        assert sorted(exported) == sorted(["楼下  小区门口的路灯\n坏了好几天", "物业费能用支付宝交吗？", "门卫对送外卖的小哥大喊大叫！", "厨房  燃气味很重"])
    with session_scope(database_url) as session:
        again = export_annotations(session, root)
    assert again.path.read_text() == content, "a second export writes the same bytes"


def test_nothing_labelled_removes_the_file(database_url: str, root: Path) -> None:
    (root / "nlu_data" / "annotated.yml").write_text('version: "3.1"\nnlu:\n- intent: repair\n  examples: |\n    - 旧的\n')
    with session_scope(database_url) as session:
        session.add(Annotation(text="只是噪声", noise=True, author="t"))
    with session_scope(database_url) as session:
        result = export_annotations(session, root)
    assert result.written == 0 and not result.path.exists()
