"""Export of trainers' labels into nlu_data/annotated.yml, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.clock import utcnow
from bot.evaluation.datasets import EXTERNAL_TSV, external_examples
from bot.nlu.sentences import sentence_key
from bot.storage import session_scope
from bot.storage.models import Annotation
from bot.trainer.annotations import annotate
from bot.trainer.export import (
    REASON_DUPLICATE,
    REASON_IN_EXTERNAL,
    REASON_IN_HELDOUT,
    REASON_IN_TRAINING,
    REASON_NOISE,
    export_annotations,
    marked_up,
    nlu_yaml,
    one_line,
)
from tests.trainer_support import EVALUATION_VARIANTS, HELDOUT_SENTENCE, nlu_examples, small_root


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


def test_variants_of_evaluation_sentences_are_never_exported(database_url: str, root: Path) -> None:
    """Full width, other punctuation, a sentence held inside: annotate() refuses them even with an
    override, and rows that reach the table some other way are skipped by the export all the same."""
    assert EXTERNAL_TSV.exists(), "the external evaluation set is needed here"
    assert HELDOUT_SENTENCE in (root / "tests" / "heldout" / "emergency.yml").read_text()
    with session_scope(database_url) as session:
        for text, intent in EVALUATION_VARIANTS.items():
            result = annotate(session, text=text, intent=intent, author="t", override=True, conversation_id="c", root=root)
            assert not result.saved and result.refused and result.conflicts[0].kind == "test_set", text
        assert session.query(Annotation).count() == 0
        session.add_all([Annotation(text=text, intent=intent, author="t") for text, intent in EVALUATION_VARIANTS.items()])
        session.add(Annotation(text="单元门口的声控灯不亮了", intent="repair", author="t"))
    with session_scope(database_url) as session:
        result = export_annotations(session, root)
    assert result.written == 1
    reasons = dict(result.skipped)  # texts as one line: the ideographic space becomes a space
    assert set(reasons) == set(map(one_line, EVALUATION_VARIANTS))
    assert {reasons[one_line(t)] for t in EVALUATION_VARIANTS if "您好" not in t} == {REASON_IN_HELDOUT, REASON_IN_EXTERNAL}
    assert [reasons[t] for t in EVALUATION_VARIANTS if "您好" in t] == ["这句话包含外部评测集中的「2号楼电梯运行时异响而且有点晃」，不能用于训练"]
    exported = [line[6:] for line in result.path.read_text().splitlines() if line.startswith("    - ")]
    assert exported == ["单元门口的声控灯不亮了"]
    assert not {sentence_key(t) for t in EVALUATION_VARIANTS} & {sentence_key(t) for t in exported}


def test_robustness_sentences_are_never_exported(database_url: str, root: Path) -> None:
    """The noisy-text and device-fault sets (tests/robustness) are evaluation data like the others."""
    import shutil

    from bot.evaluation.datasets import NOISY_TSV, robustness_examples
    from bot.trainer.export import REASON_IN_OTHER_SET

    shutil.copytree(NOISY_TSV.parent, root / "tests" / "robustness")
    sentence = robustness_examples(NOISY_TSV)[0]
    variant = sentence.text.replace(" ", "　") + "！"  # ideographic spaces and full-width punctuation
    with session_scope(database_url) as session:
        result = annotate(session, text=variant, intent=sentence.label, author="t", override=True, conversation_id="c", root=root)
        assert not result.saved and result.conflicts[0].kind == "test_set"
        session.add(Annotation(text=variant, intent=sentence.label, author="t"))
    with session_scope(database_url) as session:
        result = export_annotations(session, root)
    assert result.written == 0
    assert dict(result.skipped)[one_line(variant)] == REASON_IN_OTHER_SET.format(name="鲁棒性评测集（tests/robustness）")
