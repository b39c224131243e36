"""「我家楼上一直往下滴水」: water that drips or seeps is a repair, not a flood (bot/nlu/drips.py, the
DripClassifier that replaces an emergency or unsure reading of it, and the EmergencyGuard that does
not raise it on the classifier's doubt)."""

from __future__ import annotations

import pytest

from bot.nlu.components import DripClassifier, EmergencyGuard, NoDangerClassifier
from bot.nlu.drips import only_drips
from tests.nlu_support import reading

DRIPS = [
    "我家楼上一直往下滴水",  # emergency 1.0 with the trained model: every agent paged
    "空调外机往下滴水",  # emergency 0.88
    "卫生间吊顶滴滴答答的",
    "厨房墙角在渗水",
    "楼上卫生间往我家渗漏",
]

FLOODS_OR_DANGER = [
    "楼上一直往下滴水 现在地上全是水 淹到客厅了",
    "天花板往下滴水 滴到灯上了",
    "水管爆了 一直往下滴水",
    "渗水渗到插座里了",
    "楼上的水哗哗往下流",
    "燃气报警器一直在响 滴滴滴的",  # an alarm, not water
    "往下滴水 还有一股煤气味",
    "",
]


@pytest.mark.parametrize("text", DRIPS)
def test_a_drip_or_a_seep_is_known_by_its_shape(text: str) -> None:
    assert only_drips(text)


@pytest.mark.parametrize("text", FLOODS_OR_DANGER)
def test_water_that_spreads_or_endangers_is_not(text: str) -> None:
    assert not only_drips(text)


def _read(text: str, ranking: list[tuple[str, float]]) -> dict:
    return reading(text, ranking, NoDangerClassifier, DripClassifier, EmergencyGuard)  # as config.yml runs them


def test_the_classifiers_emergency_for_a_drip_is_a_repair() -> None:
    assert _read("我家楼上一直往下滴水", [("emergency", 1.0), ("complaint", 0.0)]) == {"name": "repair", "confidence": 1.0, "promoted": False}
    assert _read("空调外机往下滴水", [("nlu_fallback", 0.5), ("emergency", 0.45)])["name"] == "repair"  # not raised on doubt
    assert _read("楼上滴水 找他们不开门 物业也不管", [("complaint", 0.8)])["name"] == "complaint"  # the classifier's own reading stands


def test_water_that_spreads_is_still_raised() -> None:
    assert _read("楼上一直往下滴水 现在地上全是水 淹到客厅了", [("repair", 0.9)])["name"] == "emergency"
    assert _read("天花板往下滴水 滴到灯上了", [("emergency", 0.99)])["name"] == "emergency"
