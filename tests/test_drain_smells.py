"""「卫生间下水道反味 怎么办」: a drain of the home that smells is a repair, not a form's answer
(bot/nlu/drain_smells.py, the DrainSmellClassifier that replaces an ``inform``, unsure or emergency
reading of it; the EmergencyGuard does not raise it on the classifier's doubt)."""

from __future__ import annotations

import pytest

from bot.nlu.components import DrainSmellClassifier, DripClassifier, EmergencyGuard, NuisanceClassifier
from bot.nlu.drain_smells import smells_from_a_drain
from tests.nlu_support import reading

DRAIN_SMELLS = [
    "卫生间下水道反味 怎么办",  # inform 0.72 with the trained model: the clarifying question
    "卫生间下水道反味",  # inform 0.91
    "厨房下水道有臭味",  # inform 0.92
    "地漏返臭 怎么处理",
    "马桶旁边总有股怪味",
    "洗手盆下水口一直往上冒臭气",
]

NOT_A_DRAIN_OF_THE_HOME = [
    "下水井一股臭味 在楼下走路都得捂着鼻子",  # a common area's: a complaint, the classifier's
    "卫生间下水道有煤气味",  # what gas smells of: never lowered
    "厨房下水道有股烧焦的味道",
    "卫生间下水道反味 熏得我头晕",  # someone feels it
    "厨房下水道堵了",  # no smell: the classifier's repair anyway
    "垃圾站好臭",
    "",
]


@pytest.mark.parametrize("text", DRAIN_SMELLS)
def test_a_smelling_drain_of_the_home_is_known_by_its_shape(text: str) -> None:
    assert smells_from_a_drain(text)


@pytest.mark.parametrize("text", NOT_A_DRAIN_OF_THE_HOME)
def test_a_common_area_a_danger_or_no_smell_is_not(text: str) -> None:
    assert not smells_from_a_drain(text)


def _read(text: str, ranking: list[tuple[str, float]]) -> dict:
    return reading(text, ranking, DripClassifier, DrainSmellClassifier, NuisanceClassifier, EmergencyGuard)  # as config.yml runs them


def test_the_classifiers_form_answer_or_doubt_for_a_smelling_drain_is_a_repair() -> None:
    assert _read("卫生间下水道反味 怎么办", [("inform", 0.72), ("emergency", 0.15), ("inquiry", 0.07)]) == {"name": "repair", "confidence": 0.9, "promoted": False}
    assert _read("厨房下水道有臭味", [("nlu_fallback", 0.5), ("emergency", 0.4)])["name"] == "repair"  # not raised on doubt
    assert _read("卫生间下水道反味", [("emergency", 0.9)])["name"] == "repair"  # not a nuisance complaint either: in the home


def test_a_complaint_stays_a_complaint_and_a_danger_is_still_raised() -> None:
    assert _read("卫生间下水道反味 修了三次还是臭 你们物业到底管不管", [("complaint", 0.95)])["name"] == "complaint"
    assert _read("卫生间下水道有煤气味", [("inform", 0.8)])["name"] == "emergency"
