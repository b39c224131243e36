"""「修好了不用来了」: the resident no longer needs their case (bot/nlu/withdrawals.py, the
WithdrawalClassifier that reads it as a no, and the EmergencyGuard that no longer raises it)."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import EmergencyGuard, WithdrawalClassifier
from bot.nlu.withdrawals import is_withdrawal, takes_back_the_request
from tests.nlu_support import classified

WITHDRAWALS = [
    "已经好了不用来了",  # emergency 0.61 with the trained model: an emergency ticket, every agent paged
    "我自己弄好了",  # emergency 0.60
    "修好了不用来了",
    "不修了",  # complaint 0.77: added to the repair problem when the phone was asked
    "先不修了",
    "我不报修了",  # the fallback
    "不投诉了",
    "这个投诉我撤回",
    "取消报修",
    "师傅不用来了，谢谢",
    "已经解决了，不用麻烦师傅了，谢谢",
    "没事了 已经好了",
    "算了不投诉了",  # the fallback at the complaint's address step: 「没能识别出地址」 (tried as a resident)
    "我不想投诉了",  # complaint 1.0
    "不用投诉了 谢谢",  # the fallback
    "那算了 不修了",
]

NOT_WITHDRAWALS = [
    "好了",  # may mean "OK"
    "没有了",  # nothing else: a no, but not about the case
    "不用了",
    "算了",
    "算了吧",
    "不想说了",
    "不是",
    "上次修好了又坏了",  # a repair
    "修好了吗",
    "什么时候能修好",
    "水管爆了 自己弄好了一半 还在漏",
    "电梯困人了 不用来了",
    "马桶堵了",
    "没事吧",
    "",
]


@pytest.mark.parametrize("text", WITHDRAWALS)
def test_a_case_fixed_or_withdrawn_is_a_withdrawal(text: str) -> None:
    assert is_withdrawal(text)


@pytest.mark.parametrize("text", NOT_WITHDRAWALS)
def test_anything_more_or_less_is_not(text: str) -> None:
    assert not is_withdrawal(text)


def _read(text: str, ranking: list[tuple[str, float]]) -> Message:
    return classified(text, ranking, WithdrawalClassifier, EmergencyGuard)


def test_the_classifiers_emergency_doubt_does_not_page_the_agents_for_a_fixed_case() -> None:
    """As the pipeline runs them (config.yml): the withdrawal's no, then the guard, which raised the
    classifier's 0.61 emergency for 「已经好了不用来了」 before there was a rule for the shape."""
    message = _read("已经好了不用来了", [("emergency", 0.61), ("deny", 0.2)])
    assert message.get("intent") == {"name": "deny", "confidence": 0.9}
    assert message.get("emergency_guard")["promoted"] is False


def test_a_named_danger_is_still_raised() -> None:
    message = _read("电梯困人了 不用来了", [("emergency", 0.9)])
    assert message.get("intent")["name"] == "emergency"
    doubt = _read("楼下那户人家一直在尖叫", [("complaint", 0.5), ("emergency", 0.35)])
    assert doubt.get("intent")["name"] == "emergency"


@pytest.mark.parametrize("text", ["算了不用了", "算了", "不用了，谢谢", "不用转人工了", "不要人工了", "没事了 谢谢", "取消", "我自己看看吧", "修好了不用来了"])
def test_taking_back_a_request_for_an_agent_is_known_by_its_shape(text: str) -> None:
    assert takes_back_the_request(text)


@pytest.mark.parametrize("text", ["电梯困人了", "算了 快点来人", "人呢", "你好", "怎么还没人来", ""])
def test_anything_more_is_not_taking_it_back(text: str) -> None:
    assert not takes_back_the_request(text)
