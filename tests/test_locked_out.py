"""「我被锁在门外了 钥匙忘带了」: locked out of one's home asks for an agent, not an emergency
(bot/nlu/locked_out.py, the LockedOutClassifier that replaces an emergency or unsure reading of
it, and the EmergencyGuard that does not raise it on the classifier's doubt)."""

from __future__ import annotations

import pytest

from bot.nlu.components import EmergencyGuard, LockedOutClassifier, NuisanceClassifier
from bot.nlu.emergency import assess
from bot.nlu.locked_out import is_locked_out
from tests.nlu_support import reading

LOCKED_OUT = [
    "我被锁在门外了",  # emergency 1.0 with the trained model (and the lexicon's 被锁在)
    "我被锁在门外了 钥匙忘带了",
    "忘带钥匙了 进不了家",
    "我被关在门外了，钥匙落在家里",
]

AT_RISK_OR_NOT_LOCKED_OUT = [
    "我被锁在门外了 孩子还在里面",  # left to the classifier and the guard (emergency 1.0)
    "钥匙忘带了 孩子一个人在家里",
    "我被锁在门外了 锅里还烧着东西",
    "忘带钥匙了 老人在里面不开门",
    "孩子被反锁在家里了",
    "被锁在阳台了",
    "门锁坏了",
    "",
]


@pytest.mark.parametrize("text", LOCKED_OUT)
def test_locked_out_is_known_by_its_shape(text: str) -> None:
    assert is_locked_out(text)


@pytest.mark.parametrize("text", AT_RISK_OR_NOT_LOCKED_OUT)
def test_someone_inside_or_locked_in_is_not(text: str) -> None:
    assert not is_locked_out(text)


def test_locked_out_is_no_one_trapped_for_the_lexicon_but_locked_in_is() -> None:
    assert not assess("我被锁在门外了").danger_types
    assert assess("孩子被反锁在家里了").danger_types == ["trapped"]
    assert assess("被锁在阳台了").danger_types == ["trapped"]


def _read(text: str, ranking: list[tuple[str, float]]) -> dict:
    return reading(text, ranking, NuisanceClassifier, LockedOutClassifier, EmergencyGuard)  # as config.yml runs them


def test_the_classifiers_emergency_for_a_resident_locked_out_asks_for_an_agent() -> None:
    assert _read("我被锁在门外了", [("emergency", 1.0), ("inform", 0.0)]) == {"name": "request_human", "confidence": 1.0, "promoted": False}
    assert _read("忘带钥匙了 进不了家", [("nlu_fallback", 0.5), ("emergency", 0.45)])["name"] == "request_human"  # not raised on doubt
    assert _read("钥匙丢了 门禁卡怎么补办", [("inquiry", 0.8)])["name"] == "inquiry"  # the classifier's own reading stands


def test_someone_inside_is_still_raised() -> None:
    assert _read("我被锁在门外了 孩子还在里面", [("emergency", 1.0)])["name"] == "emergency"
    assert _read("钥匙忘带了 孩子一个人在家里", [("request_human", 0.6), ("emergency", 0.35)])["name"] == "emergency"
