"""「我要报修」「我想咨询一下」: a message that only says what kind of case is coming
(bot/nlu/openers.py, and the OpenerClassifier that gives it that intent)."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import EmergencyGuard, OpenerClassifier
from bot.nlu.openers import opener_intent, without_greeting
from tests.nlu_support import classified

REPAIR_OPENERS = [
    "我要报修",  # the fallback (repair 0.26): the clarifying question
    "报修",  # the fallback (repair 0.44)
    "我想报修",
    "你好，我要报修",
    "您好 在吗 我想报修一下",
    "维修",
    "嗯，我要报修",  # a particle before it (bot/nlu/pauses.py: one pause for every shape rule)
    "你好呀～我想报修哦！",
]
INQUIRY_OPENERS = [
    "我想咨询一下",  # inquiry, handed over with a ticket that said only this
    "问个问题",  # the fallback, whose buttons had no 咨询
    "请问",
    "我想问下",
    "我想问问",
    "有个问题想问问",
    "你好，我想问个事情",
    "咨询",
]
NOT_OPENERS = [
    "我要报修 厨房水龙头坏了",  # the case itself
    "请问物业费多少",
    "我想咨询一下物业费",
    "报修电话多少",
    "维修进度",
    "我要投诉",  # the classifier reads it already
    "你好",
    "",
]


@pytest.mark.parametrize("text", REPAIR_OPENERS)
def test_a_repair_opener(text: str) -> None:
    assert opener_intent(text) == "repair"


@pytest.mark.parametrize("text", INQUIRY_OPENERS)
def test_an_inquiry_opener(text: str) -> None:
    assert opener_intent(text) == "inquiry"


@pytest.mark.parametrize("text", NOT_OPENERS)
def test_anything_more_is_not_an_opener(text: str) -> None:
    assert opener_intent(text) is None


def _read(text: str, ranking: list[tuple[str, float]]) -> Message:
    return classified(text, ranking, OpenerClassifier, EmergencyGuard)


def test_the_classifier_gives_an_opener_its_intent_and_keeps_the_ranking_behind_it() -> None:
    message = _read("我要报修", [("nlu_fallback", 0.5), ("repair", 0.26), ("ticket_status", 0.2)])
    assert message.get("intent") == {"name": "repair", "confidence": 0.9}
    assert [c["name"] for c in message.get("intent_ranking")] == ["repair", "nlu_fallback", "ticket_status"]
    assert _read("问个问题", [("nlu_fallback", 0.5), ("complaint", 0.2)]).get("intent")["name"] == "inquiry"


def test_the_classifier_leaves_everything_else_alone() -> None:
    assert _read("我要报修 厨房水龙头坏了", [("repair", 1.0)]).get("intent")["name"] == "repair"
    assert _read("/inquiry", [("inquiry", 1.0)]).get("intent")["name"] == "inquiry"
    assert _read("你好", [("greet", 0.99)]).get("intent")["name"] == "greet"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("你好 我是5栋的老人 家里的灯不亮了", "我是5栋的老人 家里的灯不亮了"),
        ("在吗？在吗？楼道灯坏了", "楼道灯坏了"),
        ("Hello, 水管漏了", "水管漏了"),
        ("你好像没听懂 我家灯坏了", "你好像没听懂 我家灯坏了"),  # no greeting: 你好像
        ("物业你好 我家灯坏了", "物业你好 我家灯坏了"),  # not at the start: kept as said
        ("你好", "你好"),
    ],
)
def test_the_greeting_a_message_opens_with_is_set_aside(text: str, kept: str) -> None:
    assert without_greeting(text) == kept
