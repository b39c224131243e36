"""「礼拜天能不能在家打电钻啊」: a yes-or-no question about what is allowed or done, with no grievance
in it, is an inquiry (bot/nlu/yes_no.py; the YesNoQuestionClassifier replaces a complaint or an
unsure reading of it; the EmergencyGuard after it)."""

from __future__ import annotations

import pytest

from bot.nlu.components import (
    DeviceFaultClassifier,
    EmergencyGuard,
    FaultStatementClassifier,
    ReworkClassifier,
    WithdrawalClassifier,
    YesNoQuestionClassifier,
)
from bot.nlu.yes_no import asks_whether
from tests.nlu_support import classified

QUESTIONS = [
    "星期天可以打电钻吗",  # complaint 0.57 with the trained model: an apology and the complaint form
    "修好了有保修期吗",  # complaint 0.91
    "业主群里说明天停水 是真的吗",  # complaint 1.00 (tried on 2026-12-07, night): the apology and the complaint form
    "你们周末上班不",  # the fallback: the clarifying question
    "可以在楼道里放自行车吗",  # the fallback
    "维修师傅上门收不收上门费",  # A-not-A
    "纸箱子攒了一堆，小区里有收废品的人没",  # 有…没
    "小区里能养大型犬吗",
]

NOT_QUESTIONS_OF_THIS_SHAPE = [
    "怎么又停水了 也不通知吗",  # DOMAIN.md §1: an outage without notice is a complaint
    "为什么周末还让装修",  # a grievance asked as a question
    "楼上周末打电钻能不能管管",
    "遛狗不牵绳有没有人管",
    "物业晚上都没人吗 出事了找谁",
    "快递驿站不到八点就关门了 还让不让人取件了",
    "我临时停车才半小时就收了我10块 不是说第一个小时免费吗",
    "车位月租从200涨到300 连个通知都没有",  # 没有 at the end, but no 有…没 question
    "水管坏了能修吗",  # a fault: a repair's
    "暖气不热能修吗",  # a device fault
    "物业费怎么交",  # asks how, not whether
    "楼上天天装修",  # asks nothing
    "",
]


@pytest.mark.parametrize("text", QUESTIONS)
def test_a_yes_or_no_question_about_a_rule_or_service_is_known_by_its_shape(text: str) -> None:
    assert asks_whether(text)


@pytest.mark.parametrize("text", NOT_QUESTIONS_OF_THIS_SHAPE)
def test_a_grievance_a_fault_or_another_question_is_not(text: str) -> None:
    assert not asks_whether(text)


def _read(text: str, ranking: list[tuple[str, float]]) -> dict:
    components = (DeviceFaultClassifier, YesNoQuestionClassifier, FaultStatementClassifier, ReworkClassifier, WithdrawalClassifier, EmergencyGuard)
    return classified(text, ranking, *components).get("intent")  # as config.yml runs them


def test_a_complaint_or_unsure_reading_of_such_a_question_is_an_inquiry() -> None:
    assert _read("星期天可以打电钻吗", [("complaint", 0.57), ("inquiry", 0.4)]) == {"name": "inquiry", "confidence": 0.6}
    assert _read("修好了有保修期吗", [("complaint", 0.91), ("inquiry", 0.02)]) == {"name": "inquiry", "confidence": 0.91}
    assert _read("你们周末上班不", [("nlu_fallback", 0.5), ("inquiry", 0.32)])["name"] == "inquiry"


def test_other_readings_and_grievances_stay_the_classifiers() -> None:
    assert _read("能不能人工接待一下", [("request_human", 0.9)])["name"] == "request_human"  # only complaint or unsure is replaced
    assert _read("我的报修有人处理了吗", [("ticket_status", 0.8)])["name"] == "ticket_status"
    assert _read("楼上周末打电钻能不能管管", [("complaint", 0.99)])["name"] == "complaint"
    assert _read("暖气不热能修吗", [("nlu_fallback", 0.5), ("repair", 0.3)])["name"] == "repair"  # the device fault's repair first


def test_a_danger_named_in_such_a_question_is_still_raised() -> None:
    assert _read("楼道里有煤气味 可以开窗吗", [("complaint", 0.6), ("emergency", 0.2)])["name"] == "emergency"
