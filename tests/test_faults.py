"""「快递柜打不开了」: a fault stated with nothing asked is a repair (bot/nlu/faults.py, the
FaultStatementClassifier that replaces an inquiry or fallback reading of it, the EmergencyGuard
after it)."""

from __future__ import annotations

import pytest

from bot.nlu.components import EmergencyGuard, FaultStatementClassifier, ReworkClassifier, WithdrawalClassifier
from bot.nlu.faults import states_a_fault
from tests.nlu_support import classified

FAULTS = [
    "快递柜打不开了",  # inquiry 0.83 with the trained model: the parcel station's opening hours were the answer
    "门禁卡刷不了",  # the fallback: the clarifying question
    "快递柜坏了",
    "楼道灯不亮",
    "单元门关不上",
    "厨房下水道堵了",
    "快递柜打不开了 急用",
    "快递柜取不出来东西",  # inquiry 0.89 with the trained model (express_delivery): the station's hours
    "快递柜里的件拿不出来了",
    "大门的人脸识别认不出我",  # inform 0.81 with the trained model: the clarifying question
    "道闸识别不了我的车牌",
    "门禁不认我的脸了",  # the fallback with the trained model
]

QUESTIONS = [
    "快递柜打不开了吗",
    "快递柜打不开了？",
    "门禁卡坏了怎么补办",
    "家里水管坏了物业修收不收钱",  # A-not-A
    "嗯那个我想问一下就是以后家里有东西坏了要找物业修的话是打电话还是要去服务中心啊",
    "楼道灯不亮找谁",
    "停水了",  # an outage: often the whole community's, a notice or a complaint
    "物业费怎么交",
    "",
]


@pytest.mark.parametrize("text", FAULTS)
def test_a_fault_stated_is_known_by_its_shape(text: str) -> None:
    assert states_a_fault(text)


@pytest.mark.parametrize("text", QUESTIONS)
def test_a_question_about_a_fault_or_anything_else_is_not(text: str) -> None:
    assert not states_a_fault(text)


def _read(text: str, ranking: list[tuple[str, float]]) -> dict:
    message = classified(text, ranking, FaultStatementClassifier, ReworkClassifier, WithdrawalClassifier, EmergencyGuard)
    return message.get("intent")


def test_an_inquiry_or_unsure_reading_of_a_fault_is_a_repair() -> None:
    """As the pipeline runs them (config.yml)."""
    assert _read("快递柜打不开了", [("inquiry", 0.83), ("repair", 0.07)]) == {"name": "repair", "confidence": 0.83}
    assert _read("门禁卡刷不了", [("nlu_fallback", 0.5), ("repair", 0.3)])["name"] == "repair"
    assert _read("门禁卡坏了怎么补办", [("inquiry", 0.9)])["name"] == "inquiry"  # a question stays one
    assert _read("快递柜坏了", [("complaint", 0.7)])["name"] == "complaint"  # the classifier's own class stands


def test_a_bare_answer_reading_of_a_fault_is_a_repair() -> None:
    """「大门的人脸识别认不出我」 was ``inform`` (0.81): outside a form, 「报修还是投诉」 for a broken gate."""
    assert _read("大门的人脸识别认不出我", [("inform", 0.81), ("repair", 0.1)]) == {"name": "repair", "confidence": 0.81}
    assert _read("3栋2单元", [("inform", 0.95)])["name"] == "inform"  # a bare answer stays one


def test_a_danger_named_beside_a_fault_is_still_raised() -> None:
    assert _read("插座坏了 冒火花了", [("inquiry", 0.6), ("emergency", 0.1)])["name"] == "emergency"
