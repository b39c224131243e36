"""「能快点吗 我等着用」: a resident hurrying their case along asks after it (bot/nlu/hurry.py, the
HurryClassifier that replaces an emergency or unsure reading of it, and the EmergencyGuard that no
longer raises it on the classifier's doubt)."""

from __future__ import annotations

import pytest

from bot.nlu.components import EmergencyGuard, HurryClassifier, WithdrawalClassifier
from bot.nlu.hurry import urges
from tests.nlu_support import reading

HURRIES = [
    "能快点吗 我等着用",  # emergency 0.98 with the trained model: every agent paged
    "能快点吗",  # emergency 0.79
    "快点来修吧",  # emergency 0.92
    "能不能快一点",  # emergency 0.90
    "麻烦快点 急用",  # emergency 0.91
    "麻烦尽快处理，谢谢",
    "快点啊！！",
    "我等着用 能快点吗",
    "你们快点回我",  # emergency 0.88
    "麻烦尽快答复",
    "不好意思 能快点吗",  # the courtesies of bot/nlu/pauses.py, shared with the withdrawals
]

NOT_HURRIES = [
    "快来人",  # a call for help
    "快点来",  # may be one: the classifier keeps it
    "快点派人来",
    "救命 快点",
    "快点 着火了",
    "为什么还不来 快点",  # a complaint's words
    "很急",  # how much, with no request
    "越快越好",  # a visit time
    "师傅什么时候来",
    "快点回我电话",  # asks for a call back: more than a hurry
    "",
]


@pytest.mark.parametrize("text", HURRIES)
def test_a_request_to_hurry_the_case_is_known_by_its_shape(text: str) -> None:
    assert urges(text)


@pytest.mark.parametrize("text", NOT_HURRIES)
def test_a_call_for_help_or_anything_more_is_not(text: str) -> None:
    assert not urges(text)


def _read(text: str, ranking: list[tuple[str, float]]) -> dict:
    return reading(text, ranking, WithdrawalClassifier, HurryClassifier, EmergencyGuard)  # as config.yml runs them


def test_the_classifiers_emergency_for_a_hurried_case_is_its_status() -> None:
    assert _read("能快点吗 我等着用", [("emergency", 0.98), ("inquiry", 0.01)]) == {"name": "ticket_status", "confidence": 0.98, "promoted": False}
    assert _read("快点啊", [("nlu_fallback", 0.5), ("emergency", 0.4)])["name"] == "ticket_status"  # not raised on doubt
    assert _read("快点来修吧", [("complaint", 0.8)])["name"] == "complaint"  # the classifier's own reading stands


def test_a_named_danger_or_a_call_for_help_is_still_raised() -> None:
    assert _read("快点 着火了", [("emergency", 0.99)])["name"] == "emergency"
    assert _read("快来人", [("emergency", 0.9)])["name"] == "emergency"
    assert _read("快来人", [("nlu_fallback", 0.5), ("emergency", 0.4)])["name"] == "emergency"  # raised on doubt, as before
