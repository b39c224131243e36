"""「电梯里有股尿骚味」「停车场有辆车挡住我了 出不去」: a nuisance is a complaint, not an emergency
(bot/nlu/nuisances.py, the NuisanceClassifier that replaces an emergency or unsure reading of it,
and the EmergencyGuard that does not raise it on the classifier's doubt)."""

from __future__ import annotations

import pytest

from bot.nlu.components import DripClassifier, EmergencyGuard, NuisanceClassifier
from bot.nlu.emergency import assess
from bot.nlu.nuisances import names_a_nuisance
from tests.nlu_support import reading

NUISANCES = [
    "电梯里有股尿骚味",  # emergency 0.96 with the trained model: every agent paged
    "停车场有辆车挡住我了 出不去",  # emergency 1.0
    "停车场有辆车挡住我了 出不去了",  # 出不去了 was the lexicon's trapped
    "我的车被堵住了开不出来",
    "垃圾站好臭",
    "楼道里一股霉味",
    "有人在楼道里抽烟 烟味很大",  # emergency 1.0 with the trained model: every agent paged
    "楼梯间有人吸烟 呛死了",
    "电梯里有人吸烟 呛死了",  # 电梯里有人 was the lexicon's lift
    "楼上一直在敲东西 好吵",  # emergency 1.0 with the trained model: every agent paged for a noise
    "楼上有人一直在砸墙 我怀疑是违规装修",  # emergency 1.0
    "隔壁装修一直在砸墙 能不能管管",
    "能不能管管楼上 天天电钻",
    "有人在电梯里小便",  # emergency 0.99
    "有人在楼道里随地大小便",  # emergency 0.99
    "车库里有个车一直在报警 响了一个小时了",  # emergency 1.00 (tried on 2026-12-07, night)
    "楼下车的防盗器响了一晚上",
]

DANGER_OR_SOMEONE_IN_NEED = [
    "孩子被锁在车里 车一直在报警",  # the lexicon's trapped
    "厨房有股臭鸡蛋味",  # what gas is made to smell of
    "楼道好臭 熏得我头晕",
    "车库着火了 车堵住了出不去",
    "老婆羊水破了要生了 车被堵在地库出不去 帮帮忙",  # the training data's emergency
    "车被堵住了出不去 急着送孩子去医院",
    "电梯里有股烧焦的味道",
    "电梯困人了 里面好臭",
    "有人在楼道里抽烟 烟头把垃圾点着了 冒烟了",  # a fire beside the cigarette
    "楼道里有人抽烟 孩子闻了一直咳嗽",  # someone feels it: the classifier and the guard
    "楼上一直在砸东西 还有人在哭喊",  # people in distress beside the noise
    "楼上吵得很 好像有人在打架",
    "隔壁一直咚咚响 好像有人摔倒了",
    "楼下一声巨响 吵死了",  # a bang
    "楼上砸墙 我家墙都裂了",  # something giving way
    "周六能在家打电钻吗",  # a question of the renovation rules, left to the classifier
    "小孩在电梯里尿尿了",  # a child: left to the classifier and the guard
    "",
]


@pytest.mark.parametrize("text", NUISANCES)
def test_a_smell_smoking_noise_fouling_or_a_car_in_the_way_is_known_by_its_shape(text: str) -> None:
    assert names_a_nuisance(text)


@pytest.mark.parametrize("text", DANGER_OR_SOMEONE_IN_NEED)
def test_a_danger_or_someone_in_need_is_not(text: str) -> None:
    assert not names_a_nuisance(text)


def test_a_car_in_the_way_is_not_a_person_trapped_but_a_fire_beside_it_is_a_fire() -> None:
    assert not assess("停车场有辆车挡住我了 出不去了").danger_types
    assert assess("车库着火了 车堵住了出不去").danger_types == ["fire"]
    assert assess("被困在车库里出不去了").danger_types == ["trapped"]


def _read(text: str, ranking: list[tuple[str, float]]) -> dict:
    return reading(text, ranking, DripClassifier, NuisanceClassifier, EmergencyGuard)  # as config.yml runs them


def test_the_classifiers_emergency_for_a_nuisance_is_a_complaint() -> None:
    assert _read("电梯里有股尿骚味", [("emergency", 0.96), ("repair", 0.01)]) == {"name": "complaint", "confidence": 0.96, "promoted": False}
    assert _read("停车场有辆车挡住我了 出不去", [("nlu_fallback", 0.5), ("emergency", 0.45)])["name"] == "complaint"  # not raised on doubt
    assert _read("阳台地漏有点堵 还往上返臭味", [("repair", 0.8)])["name"] == "repair"  # the classifier's own reading stands


def test_a_danger_or_someone_in_need_is_still_raised() -> None:
    assert _read("车被堵住了出不去 急着送孩子去医院", [("emergency", 0.9)])["name"] == "emergency"
    assert _read("厨房有股臭鸡蛋味", [("complaint", 0.9)])["name"] == "emergency"


def test_someone_smoking_read_as_an_emergency_is_a_complaint() -> None:
    """「有人在楼道里抽烟 烟味很大」 was the classifier's emergency (1.0): every agent paged for a cigarette."""
    assert _read("有人在楼道里抽烟 烟味很大", [("emergency", 1.0)]) == {"name": "complaint", "confidence": 1.0, "promoted": False}
    assert _read("有人在楼道里抽烟 烟头把垃圾点着了 冒烟了", [("complaint", 0.6)])["name"] == "emergency"


def test_a_noise_or_fouling_read_as_an_emergency_is_a_complaint() -> None:
    """「楼上一直在敲东西 好吵」 (1.0) and 「有人在电梯里小便」 (0.99) were the classifier's emergencies: every
    agent paged for DOMAIN.md §1's 噪音扰民 and the environment."""
    assert _read("楼上一直在敲东西 好吵", [("emergency", 1.0)]) == {"name": "complaint", "confidence": 1.0, "promoted": False}
    assert _read("有人在电梯里小便", [("emergency", 0.99)])["name"] == "complaint"
    assert _read("周六能在家打电钻吗", [("inquiry/renovation", 0.9)])["name"] == "inquiry/renovation"  # its own reading stands
    assert _read("楼上一直在砸东西 还有人在哭喊", [("emergency", 0.9)])["name"] == "emergency"
