"""「小区里的健身器材坏了 孩子差点摔了」: a fault that nearly hurt someone is a repair, not an emergency
(bot/nlu/near_misses.py, the NearMissClassifier that replaces an emergency or unsure reading of it,
and the guard's lexicon that reads 差点 before a danger word as no harm done)."""

from __future__ import annotations

import pytest

from bot.nlu.components import EmergencyGuard, NearMissClassifier, NuisanceClassifier
from bot.nlu.emergency import assess
from bot.nlu.near_misses import is_a_near_miss_of_a_fault
from tests.nlu_support import reading


@pytest.mark.parametrize("text", ["小区里的健身器材坏了 孩子差点摔了", "楼梯扶手松了 老人差点摔倒", "单元门坏了 差一点撞到孩子"])
def test_a_fault_that_nearly_hurt_someone_is_known_by_its_shape(text: str) -> None:
    assert is_a_near_miss_of_a_fault(text)


@pytest.mark.parametrize(
    "text",
    [
        "窗户玻璃掉下来了 差点砸到小孩",  # a falling object: more may fall (the training data's emergency)
        "楼上掉下来一根铁棍插在地上 差一点砸到人",
        "扶手坏了 孩子差点摔倒 头都磕破了流血了",  # hurt after all
        "孩子差点摔了",  # no fault stated: left to the classifier
        "健身器材坏了",  # no near miss
        "",
    ],
)
def test_a_danger_a_hurt_or_no_fault_is_not(text: str) -> None:
    assert not is_a_near_miss_of_a_fault(text)


def test_a_near_miss_is_no_harm_done_for_the_lexicon() -> None:
    assert not assess("楼梯扶手松了 老人差点摔倒").danger_types  # 摔倒 was the lexicon's first aid
    assert assess("楼梯扶手松了 老人摔倒了").danger_types == ["medical"]
    assert assess("楼上掉下来一根铁棍插在地上 差一点砸到人").danger_types == ["falling_object"]


def _read(text: str, ranking: list[tuple[str, float]]) -> dict:
    return reading(text, ranking, NuisanceClassifier, NearMissClassifier, EmergencyGuard)  # as config.yml runs them


def test_the_classifiers_emergency_for_a_near_miss_is_a_repair() -> None:
    """「小区里的健身器材坏了 孩子差点摔了」 was the classifier's emergency (0.98): every agent paged."""
    assert _read("小区里的健身器材坏了 孩子差点摔了", [("emergency", 0.98)]) == {"name": "repair", "confidence": 0.98, "promoted": False}
    assert _read("楼梯扶手松了 老人差点摔倒", [("nlu_fallback", 0.5), ("emergency", 0.45)])["name"] == "repair"  # not raised on doubt
    assert _read("窗户玻璃掉下来了 差点砸到小孩", [("emergency", 0.9)])["name"] == "emergency"
