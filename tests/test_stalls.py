"""「等一下我找找号码」: the resident asks the assistant to wait (bot/nlu/stalls.py, and the
StallClassifier that gives such a message the ``wait`` intent)."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import StallClassifier
from bot.nlu.stalls import STALL_INTENT, is_stall
from bot.trainer.labels import allowed_labels, domain_intents, label_name
from tests.nlu_support import classified

STALLS = [
    "等一下我找找号码",  # request_human (0.52) with the trained model: it paged the agents
    "稍等 我看看电话",
    "等等我去查一下手机号",  # ticket_status (0.98)
    "你等会儿 我找下电话",  # out_of_scope (0.58)
    "等我一下，我问问我老公电话",
    "稍等一下",
    "先等等哈",
    "稍等片刻~",
    "我找找",
    "我去拿下手机",
    "等一下我翻翻单号",
    "等一下啦～",  # 啦 and ～ as the other shape rules read them (bot/nlu/pauses.py)
    "稍等一下？",
]

NOT_STALLS = [
    "等一下 我要人工",  # asks for a person
    "查一下我的工单",  # asks the assistant to look
    "我查一下工单",
    "装修押金交了半年了还不退 去问就说再等等",  # part of a complaint
    "等什么等 都三天了",
    "等一下，我家漏水了",
    "稍等 13812345678",  # the phone itself
    "我看看你们的收费标准",
    "你们查一下",
    "看看",
    "等",
    "",
]


@pytest.mark.parametrize("text", STALLS)
def test_a_request_to_wait_is_a_stall(text: str) -> None:
    assert is_stall(text)


@pytest.mark.parametrize("text", NOT_STALLS)
def test_anything_more_is_not_a_stall(text: str) -> None:
    assert not is_stall(text)


def _classified(text: str, ranking: list[tuple[str, float]]) -> Message:
    return classified(text, ranking, StallClassifier)


def test_the_classifier_gives_a_stall_the_wait_intent_and_keeps_the_ranking_behind_it() -> None:
    message = _classified("等一下我找找号码", [("request_human", 0.52), ("inform", 0.2), ("emergency", 0.05)])
    assert message.get("intent") == {"name": "wait", "confidence": 0.9}
    # The EmergencyGuard, which runs next, still sees the classifier's own ranking.
    assert [c["name"] for c in message.get("intent_ranking")] == ["wait", "request_human", "inform", "emergency"]


def test_the_classifier_leaves_everything_else_alone() -> None:
    assert _classified("等一下 我要人工", [("request_human", 0.9)]).get("intent")["name"] == "request_human"
    assert _classified("/request_human", [("request_human", 1.0)]).get("intent")["name"] == "request_human"


def test_trainers_are_not_offered_the_stall_as_a_label() -> None:
    """``wait`` is the rule's alone: labelled examples would make it a trained class again, which
    was measured and not kept (docs/benchmarks.md). The inbox still names it when the model said it."""
    assert STALL_INTENT in domain_intents()
    assert STALL_INTENT not in allowed_labels()
    assert label_name(STALL_INTENT) == "请稍等"
