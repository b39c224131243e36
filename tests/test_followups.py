"""「那停车费呢」: the same question about another thing (bot/nlu/followups.py, and the
FollowUpClassifier that makes it an inquiry by its shape)."""

from __future__ import annotations

import pytest

from bot.nlu.components import EmergencyGuard, FollowUpClassifier
from bot.nlu.followups import asks_on, is_follow_up
from tests.nlu_support import classified

ASKING_ON = ["那停车费呢", "那么游泳池呢？", "还有装修押金呢", "那 支付宝呢"]
NOT_ASKING_ON = [
    "停车费呢",  # a follow-up, but bare: 「人呢」 may be impatience about a case — the classifier's
    "师傅呢",
    "人呢 都三天了",
    "那为什么还没人来修呢",  # a clause of its own
    "那我家漏水了呢",
    "那停车费多少钱",
    "",
]


@pytest.mark.parametrize("text", ASKING_ON)
def test_asking_on(text: str) -> None:
    assert asks_on(text) and is_follow_up(text)


@pytest.mark.parametrize("text", NOT_ASKING_ON)
def test_anything_else_is_not_asking_on(text: str) -> None:
    assert not asks_on(text)


def test_the_classifier_makes_it_an_inquiry_never_a_complaint() -> None:
    """Tried with two trainings of the model: 「那停车费呢」 was the fallback (complaint 0.39) in one
    and ``complaint`` (0.6: an apology and the complaint form) in the other."""
    message = classified("那停车费呢", [("complaint", 0.6), ("affirm", 0.11), ("inquiry", 0.07)], FollowUpClassifier, EmergencyGuard)
    assert message.get("intent") == {"name": "inquiry", "confidence": 0.9}
    assert [c["name"] for c in message.get("intent_ranking")][:2] == ["inquiry", "complaint"]
    other = classified("停车费呢", [("complaint", 0.6)], FollowUpClassifier, EmergencyGuard)
    assert other.get("intent")["name"] == "complaint"


def test_a_danger_named_that_way_is_still_an_emergency() -> None:
    message = classified("那电梯困人呢", [("nlu_fallback", 0.5), ("emergency", 0.2)], FollowUpClassifier, EmergencyGuard)
    assert message.get("intent")["name"] == "emergency"
