"""The trainer's inbox and annotations on SQLite and PostgreSQL, from real tracker-store rows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.nlu.sentences import sentence_key
from bot.storage import session_scope
from bot.storage.models import Annotation
from bot.trainer.annotations import AnnotationError, annotate
from bot.trainer.conflicts import similar
from bot.trainer.inbox import fallback_threshold, inbox, inbox_item
from tests.trainer_inbox_support import HELDOUT_TEXT, NLU_REPAIR_TEXT, seed


def by_text(items: list[dict]) -> dict[str, dict]:
    return {item["text"]: item for item in items}


def test_inbox_lists_every_resident_message_with_the_models_view(database_url: str) -> None:
    seeded = seed(database_url)
    ids = seeded["ids"]
    with session_scope() as session:
        items = inbox(session)
    texts = by_text(items)
    # every typed resident text, from the gateway and the REST channel; no button payloads
    assert set(texts) == {"厨房水龙头漏水了", "那个东西又不行了", "楼下着火了，好多烟，快来人", "保安态度太差了我要投诉", "电梯按钮不亮了", "物业费什么时候交", HELDOUT_TEXT}

    leak = texts["厨房水龙头漏水了"]
    assert (leak["intent"], leak["confidence"], leak["message_id"], leak["conversation_id"]) == ("repair", 0.97, seeded["leak"], ids["gw"])
    assert not any(leak["flags"][f] for f in ("low_confidence", "fallback", "taken_over", "agent_corrected", "guard_disagrees"))

    vague = texts["那个东西又不行了"]  # the classifier's guess, not nlu_fallback, is the model's intent
    assert (vague["intent"], vague["confidence"], vague["final_intent"]) == ("repair", 0.41, "nlu_fallback")
    assert vague["flags"]["fallback"] and vague["flags"]["low_confidence"] and vague["message_id"] == seeded["vague"]

    fire = texts["楼下着火了，好多烟，快来人"]  # REST only: no gateway message; the guard raised it
    assert fire["message_id"] is None and fire["conversation_id"] == ids["rest"]
    assert (fire["intent"], fire["final_intent"]) == ("complaint", "emergency")
    assert fire["flags"]["guard_disagrees"] and fire["guard"]["emergency"]

    assert texts["保安态度太差了我要投诉"]["flags"]["taken_over"]
    assert texts["保安态度太差了我要投诉"]["flags"]["low_confidence"] and not texts["保安态度太差了我要投诉"]["flags"]["fallback"]
    down = texts["电梯按钮不亮了"]
    assert down["id"] == f"m{seeded['unparsed']}" and down["intent"] is None and not down["flags"]["parsed"]
    assert texts[HELDOUT_TEXT]["test_set"] == "heldout" and leak["test_set"] is None
    fee = texts["物业费什么时候交"]
    assert fee["label"] == "inquiry/fee_payment" and fee["flags"]["agent_corrected"] and fee["agent_label"] == "complaint"

    # worth a look: guard disagreement and agent correction first, then fallback, then lowest confidence
    order = [item["text"] for item in items]
    assert set(order[:2]) == {"楼下着火了，好多烟，快来人", "物业费什么时候交"}
    assert order[2] == "那个东西又不行了"
    assert order.index(HELDOUT_TEXT) < order.index("保安态度太差了我要投诉") < order.index("厨房水龙头漏水了")


def test_inbox_filters_and_single_items(database_url: str) -> None:
    seed(database_url)
    with session_scope() as session:
        assert {i["text"] for i in inbox(session, ["fallback"])} == {"那个东西又不行了"}
        assert {i["text"] for i in inbox(session, ["low_confidence"])} == {"那个东西又不行了", "保安态度太差了我要投诉", HELDOUT_TEXT, "楼下着火了，好多烟，快来人"}
        assert {i["text"] for i in inbox(session, ["taken_over"])} == {"保安态度太差了我要投诉"}
        assert {i["text"] for i in inbox(session, ["agent_corrected"])} == {"物业费什么时候交"}
        assert {i["text"] for i in inbox(session, ["guard_disagrees"])} == {"楼下着火了，好多烟，快来人"}
        assert inbox(session, ["low_confidence", "taken_over"])[0]["text"] == "保安态度太差了我要投诉"
        assert {i["text"] for i in inbox(session, search="漏水")} == {"厨房水龙头漏水了"}
        with pytest.raises(ValueError):
            inbox(session, ["nonsense"])
        for item in inbox(session):
            assert inbox_item(session, item["id"]) == item
        assert inbox_item(session, "e999999") is None and inbox_item(session, "x1") is None and inbox_item(session, "") is None


def test_inbox_without_a_tracker_store_still_lists_messages(database_url: str) -> None:
    from tests.trainer_inbox_support import resident_said

    resident_said(database_url, "only-gateway", "请问快递放哪里")
    with session_scope() as session:
        assert [(i["text"], i["flags"]["parsed"]) for i in inbox(session)] == [("请问快递放哪里", False)]
    assert fallback_threshold() == 0.5  # config.yml's FallbackClassifier


def test_inbox_reads_the_newest_events_only(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(database_url)
    monkeypatch.setattr("bot.trainer.inbox.SCAN_LIMIT", 3)
    with session_scope() as session:
        texts = {i["text"]: i["flags"]["parsed"] for i in inbox(session)}
    # the three newest user events, and the unparsed message newer than the oldest of them
    assert texts == {"保安态度太差了我要投诉": True, "物业费什么时候交": True, HELDOUT_TEXT: True, "电梯按钮不亮了": False}


def test_annotate_confirm_correct_and_entities(database_url: str) -> None:
    seeded = seed(database_url)
    with session_scope() as session:
        item = inbox_item(session, f"e{next(i['event_id'] for i in inbox(session) if i['text'] == '厨房水龙头漏水了')}")
        first = annotate(session, text=item["text"], intent="repair", author="培训员", message_id=item["message_id"], conversation_id=item["conversation_id"])
        assert first.saved and not first.conflicts
        span = {"start": 0, "end": 2, "entity": "address", "value": "厨房"}
        again = annotate(session, text=item["text"], intent="repair", entities=[span], author="培训员", message_id=item["message_id"], conversation_id=item["conversation_id"])
        assert again.saved and again.annotation_id == first.annotation_id  # one label per message, replaced
        with pytest.raises(AnnotationError):
            annotate(session, text=item["text"], intent="repair", entities=[{"start": 3, "end": 99, "entity": "address"}], author="培训员", message_id=item["message_id"])
        with pytest.raises(AnnotationError):
            annotate(session, text=item["text"], intent="repair", entities=[{"start": 0, "end": 2, "entity": "colour"}], author="培训员", message_id=item["message_id"])
        with pytest.raises(AnnotationError):
            annotate(session, text=item["text"], intent="no_such_intent", author="培训员", message_id=item["message_id"])
        with pytest.raises(AnnotationError):
            annotate(session, text=item["text"], intent="inquiry", author="培训员", message_id=item["message_id"])  # a topic is required
    with session_scope() as session:
        rows = session.execute(sa.select(Annotation).where(Annotation.source == "trainer")).scalars().all()
        assert [(r.message_id, r.intent, r.entities, r.author) for r in rows] == [(seeded["leak"], "repair", [{"start": 0, "end": 2, "value": "厨房", "entity": "address"}], "培训员")]
        shown = next(i for i in inbox(session) if i["text"] == "厨房水龙头漏水了")
        assert shown["annotation"]["intent"] == "repair" and shown["annotation"]["entities"][0]["value"] == "厨房"
        assert inbox(session)[-1]["text"] == "厨房水龙头漏水了"  # labelled items sink to the bottom
        assert "厨房水龙头漏水了" not in {i["text"] for i in inbox(session, status="todo")}


def test_rest_channel_text_is_annotated_by_conversation(database_url: str) -> None:
    seeded = seed(database_url)
    with session_scope() as session:
        fire = next(i for i in inbox(session) if i["message_id"] is None and i["event_id"] is not None)
        result = annotate(session, text=fire["text"], intent="emergency", author="培训员", conversation_id=fire["conversation_id"])
        assert result.saved and not result.conflicts
    with session_scope() as session:
        again = inbox_item(session, fire["id"])
        assert again["annotation"]["intent"] == "emergency" and again["conversation_id"] == seeded["ids"]["rest"]


def test_test_set_text_is_refused_even_with_override_but_can_be_noise(database_url: str) -> None:
    seeded = seed(database_url)
    with session_scope() as session:
        for text in (HELDOUT_TEXT, HELDOUT_TEXT.replace(" ", "，") + "！", "咨询A市奥新燃气在麓谷和沁园什么时候能够支持网上缴费"):
            result = annotate(session, text=text, intent="repair", author="培训员", override=True, message_id=seeded["held"])
            assert not result.saved and result.refused
            assert result.conflicts[0].kind == "test_set" and not result.conflicts[0].overridable
        noise = annotate(session, text=HELDOUT_TEXT, noise=True, author="培训员", message_id=seeded["held"], conversation_id=seeded["ids"]["agent"])
        assert noise.saved
    with session_scope() as session:
        row = session.get(Annotation, noise.annotation_id)
        assert row.noise and row.intent is None


def test_label_conflicts_need_an_override(database_url: str) -> None:
    seeded = seed(database_url)
    with session_scope() as session:
        # the same text in nlu_data/ with another label
        clash = annotate(session, text=NLU_REPAIR_TEXT, intent="complaint", author="培训员", conversation_id="x")
        assert not clash.saved and [c.kind for c in clash.conflicts] == ["label"]
        assert clash.conflicts[0].source == "nlu_data" and clash.conflicts[0].other_label == "repair"
        assert annotate(session, text=NLU_REPAIR_TEXT, intent="repair", author="培训员", conversation_id="x").saved
        # a near-identical annotation with another label
        assert annotate(session, text="三号楼的楼道灯一直不亮了", intent="repair", author="甲", conversation_id="a").saved
        near = annotate(session, text="三号楼的楼道灯一直不亮了！！", intent="complaint", author="乙", conversation_id="b")
        assert not near.saved and near.conflicts[0].source == "annotation" and near.conflicts[0].other_text == "三号楼的楼道灯一直不亮了"
        forced = annotate(session, text="三号楼的楼道灯一直不亮了！！", intent="complaint", author="乙", conversation_id="b", override=True)
        assert forced.saved and forced.conflicts
        # the agent's correction of 物业费什么时候交 (complaint) conflicts with the inquiry label
        fee = annotate(session, text="物业费什么时候交", intent="inquiry/fee_payment", author="培训员", message_id=seeded["corrected"], conversation_id=seeded["ids"]["agent"])
        assert not fee.saved and any(c.source == "annotation" and c.other_label == "complaint" for c in fee.conflicts)


def test_labels_that_contradict_the_emergency_guard(database_url: str) -> None:
    seed(database_url)
    with session_scope() as session:
        missed = annotate(session, text="楼下着火了，好多烟，快来人", intent="complaint", author="培训员", conversation_id="rest")
        assert not missed.saved and missed.conflicts[0].kind == "guard" and missed.conflicts[0].overridable
        invented = annotate(session, text="小区绿化什么时候修剪", intent="emergency", author="培训员", conversation_id="g")
        assert not invented.saved and invented.conflicts[0].kind == "guard"
        told_later = annotate(session, text="上个月电梯关人了物业都不管，我要投诉", intent="complaint", author="培训员", conversation_id="h")
        assert told_later.saved and not told_later.conflicts  # after the fact: the guard agrees it is no emergency


def test_normalisation_and_similarity() -> None:
    assert sentence_key("３栋２单元，１０２室！ ") == sentence_key("3栋2单元102室") == "3栋2单元102室"
    assert similar(sentence_key("三号楼的楼道灯一直不亮了"), sentence_key("三号楼的楼道灯一直不亮了吗")) >= 0.9
    assert similar(sentence_key("电梯坏了"), sentence_key("电梯好了吗")) < 0.9


def test_every_topic_and_intent_has_a_chinese_name() -> None:
    """Trainers read 咨询·停车, never ``inquiry/parking`` (issue 12 §5)."""
    from bot.trainer.labels import LABEL_NAMES, TOPIC_NAMES, allowed_labels, label_name

    labels = allowed_labels()
    assert [label for label in labels if label.partition("/")[0] not in LABEL_NAMES or (label.partition("/")[2] and label.partition("/")[2] not in TOPIC_NAMES)] == []
    assert label_name("inquiry/parking") == "咨询·停车" and label_name("repair") == "报修"
