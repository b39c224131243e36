"""「我要表扬一下你们的维修师傅」: praise is thanks, not a complaint (bot/nlu/praise.py and the
PraiseClassifier that replaces a complaint or unsure reading of it)."""

from __future__ import annotations

import pytest

from bot.nlu.components import EmergencyGuard, PraiseClassifier
from bot.nlu.praise import praises
from tests.nlu_support import reading


@pytest.mark.parametrize(
    "text", ["我要表扬一下你们的维修师傅", "给保洁阿姨点个赞 楼道打扫得很干净", "你们客服态度特别好", "保安小哥人真好 帮我把东西搬上楼了", "昨天来的电工师傅很专业"]
)
def test_praise_is_known_by_its_shape(text: str) -> None:
    assert praises(text)


@pytest.mark.parametrize(
    "text",
    [
        "真要表扬你们 三天了都没人来",  # irony keeps its grievance
        "保安态度特别差",
        "怎么给师傅写表扬信",  # a question about praising
        "师傅人很好 但是水管还是漏",  # praise beside a fault still there
        "表扬归表扬 电梯又坏了",
        "",
    ],
)
def test_a_grievance_or_a_question_is_not_praise(text: str) -> None:
    assert not praises(text)


def _read(text: str, ranking: list[tuple[str, float]]) -> dict:
    return reading(text, ranking, PraiseClassifier, EmergencyGuard)  # as config.yml runs them


def test_the_classifiers_complaint_for_praise_is_thanks() -> None:
    """「我要表扬一下你们的维修师傅」 was the classifier's complaint (0.65): an apology for a compliment."""
    assert _read("我要表扬一下你们的维修师傅", [("complaint", 0.65)])["name"] == "thank"
    assert _read("给保洁阿姨点个赞", [("nlu_fallback", 0.5)])["name"] == "thank"


def test_praise_never_lowers_an_emergency() -> None:
    assert _read("你们保安很负责 快来 有人晕倒了", [("emergency", 0.99)])["name"] == "emergency"
