"""「我家猫从阳台跑出去了」「钥匙掉在电梯井里了」: a pet gone or a thing out of reach asks for an agent,
not an emergency (bot/nlu/lost_things.py, the LostThingClassifier that replaces an emergency, a
goodbye, a repair or an unsure reading of it, and the EmergencyGuard that does not raise it on the
classifier's doubt)."""

from __future__ import annotations

import pytest

from bot.nlu.components import EmergencyGuard, LockedOutClassifier, LostThingClassifier
from bot.nlu.lost_things import is_lost_thing
from tests.nlu_support import reading

# tried from outside on 2026-12-07 (night), with the classifier's reading
LOST = [
    "我家猫从阳台跑出去了",  # emergency 1.00
    "我的钥匙掉在电梯井里了",  # emergency 0.93
    "我家鹦鹉飞走了",  # goodbye 0.61
    "我家猫跑丢了 能帮忙看下监控吗",
    "我家狗丢了 有没有人看到",
    "手机掉进电梯缝里了",
]

NOT_LOST_OR_IN_DANGER = [
    "邻居家的狗跑出来咬人了",  # the guard's animal
    "孩子走丢了",  # the guard's missing
    "狗跑了 追着孩子咬",
    "门禁卡丢了怎么补办",  # a topic's question
    "小狗在楼道里拉屎没人管",  # a complaint
    "我家猫从阳台掉下去了",
    "",
]


@pytest.mark.parametrize("text", LOST)
def test_a_pet_gone_or_a_thing_out_of_reach_is_known_by_its_shape(text: str) -> None:
    assert is_lost_thing(text)


@pytest.mark.parametrize("text", NOT_LOST_OR_IN_DANGER)
def test_a_danger_a_question_or_a_grievance_is_not(text: str) -> None:
    assert not is_lost_thing(text)


def _read(text: str, ranking: list[tuple[str, float]]) -> dict:
    return reading(text, ranking, LockedOutClassifier, LostThingClassifier, EmergencyGuard)  # as config.yml runs them


def test_the_classifiers_emergency_or_goodbye_for_a_lost_pet_asks_for_an_agent() -> None:
    assert _read("我家猫从阳台跑出去了", [("emergency", 1.0), ("inquiry", 0.0)]) == {"name": "request_human", "confidence": 1.0, "promoted": False}
    assert _read("我家鹦鹉飞走了", [("goodbye", 0.61), ("emergency", 0.2)])["name"] == "request_human"
    assert _read("我的钥匙掉在电梯井里了", [("nlu_fallback", 0.5), ("emergency", 0.45)])["name"] == "request_human"  # not raised on doubt
    assert _read("宠物丢了可以调监控吗", [("inquiry", 0.8)])["name"] == "inquiry"  # a question stays one


def test_a_danger_beside_a_lost_pet_is_still_raised() -> None:
    assert _read("狗跑了 追着孩子咬", [("emergency", 0.9)])["name"] == "emergency"
