"""「没有人困在里面 就是电梯不动了」: a fault with nobody in danger is a repair (bot/nlu/no_danger.py,
the NoDangerClassifier that replaces an emergency or unsure reading of it, and the EmergencyGuard
that no longer raises it on the classifier's doubt)."""

from __future__ import annotations

import pytest

from bot.nlu.components import EmergencyGuard, HurryClassifier, NoDangerClassifier, WithdrawalClassifier
from bot.nlu.no_danger import says_no_danger
from tests.nlu_support import reading

NO_DANGER = [
    "没有人困在里面 就是电梯不动了",  # emergency 1.0 with the trained model: every agent paged
    "电梯不动了 里面没人",
    "电梯坏了，没有人被困",
    "电梯卡在三楼不动了，没人在里面",
    "没有人被困 电梯一直开开关关的",
    "人没事 就是门锁坏了",
    "2单元电梯停在8楼不动了 里面没人 我们都在走楼梯",  # the training data's repair
]

DANGER_OR_NO_FAULT = [
    "电梯困人了 里面有人",
    "电梯坏了 有人被困",
    "没人受伤 但是水管爆了 水漫进客厅了",  # a flood, whoever is hurt
    "没人受伤 电线冒火花了",
    "电梯里没人 但是电梯冒烟了",
    "有人被困在电梯里 没人受伤",
    "电梯里有个老人晕倒了 没人被困",
    "没人受伤",  # no fault named
    "",
]


@pytest.mark.parametrize("text", NO_DANGER)
def test_a_fault_with_nobody_in_danger_is_known_by_its_shape(text: str) -> None:
    assert says_no_danger(text)


@pytest.mark.parametrize("text", DANGER_OR_NO_FAULT)
def test_a_named_danger_or_no_fault_is_not(text: str) -> None:
    assert not says_no_danger(text)


def _read(text: str, ranking: list[tuple[str, float]]) -> dict:
    return reading(text, ranking, WithdrawalClassifier, HurryClassifier, NoDangerClassifier, EmergencyGuard)  # as config.yml runs them


def test_the_classifiers_emergency_for_a_lift_with_nobody_in_it_is_a_repair() -> None:
    assert _read("没有人困在里面 就是电梯不动了", [("emergency", 1.0), ("repair", 0.0)]) == {"name": "repair", "confidence": 1.0, "promoted": False}
    assert _read("电梯不动了 里面没人", [("nlu_fallback", 0.5), ("emergency", 0.4)])["name"] == "repair"  # not raised on doubt
    assert _read("人没事 就是门锁坏了", [("complaint", 0.8)])["name"] == "complaint"  # the classifier's own reading stands


def test_a_named_danger_is_still_raised() -> None:
    assert _read("没人受伤 但是水管爆了 水漫进客厅了", [("repair", 0.9)])["name"] == "emergency"
    assert _read("电梯里没人 但是电梯冒烟了", [("emergency", 0.99)])["name"] == "emergency"
    assert _read("电梯坏了 有人被困", [("repair", 0.6), ("emergency", 0.35)])["name"] == "emergency"


def test_every_shape_that_replaces_an_emergency_reading_keeps_the_guard_from_raising_it_back() -> None:
    """A shape that replaces the classifier's ``emergency`` must also name no danger for the guard
    (``NAMES_NO_DANGER``), or the guard raises it back on the classifier's doubt, which the emergency
    reading left behind in the ranking; the device faults are the lexicon's own (``device_fault``)."""
    from bot.nlu.components import DeviceFaultClassifier, ShapeClassifier

    replacing = [shape for shape in ShapeClassifier.__subclasses__() if shape.REPLACES and "emergency" in shape.REPLACES]
    assert len(replacing) >= 6
    assert [shape.__name__ for shape in replacing if not shape.NAMES_NO_DANGER and shape is not DeviceFaultClassifier] == []
