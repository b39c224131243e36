"""bot.intake.corrections: what a resident's correction of a form's answer changes."""

from __future__ import annotations

import pytest

from bot.communities.records import CommunityRecord
from bot.intake.corrections import Correction, names_a_correction, read_correction

REPAIR = ("repair_problem", "address", "phone", "visit_time", "repair_confirmed")
TWELVE_BUILDINGS = CommunityRecord(1, "jinhua-garden", "锦华花园", "", {str(n): 3 for n in range(1, 13)}, "", "", "")
HELD = {"repair_problem": "厨房灯不亮", "address": "8-1-601", "phone": "13800138000", "visit_time": "明天上午"}


@pytest.mark.parametrize(
    ("text", "slot", "value"),
    [
        # tried on scripts/run: 「不是601 是602」 to the phone question cancelled the registration
        ("不是601 是602", "address", "8-1-602"),
        ("不是601是602", "address", "8-1-602"),
        ("不对 是602", "address", "8-1-602"),
        ("说错了 应该是602", "address", "8-1-602"),
        ("刚才房号说错了 是602室", "address", "8-1-602"),
        ("错了 是2单元601", "address", "8-2-601"),
        ("不对不对 是1302", "address", "8-1-1302"),
        ("不是8栋 是9栋1单元601", "address", "9-1-601"),  # the building that was wrong is not taken
        ("不对 电话是13900001111", "phone", "13900001111"),
        ("电话打错了 应该是13900001111", "phone", "13900001111"),
        ("不是明天 是后天上午", "visit_time", "后天上午"),
        # a field named as wrong, nothing after it: emptied, so the form asks for it again
        ("地址写错了", "address", None),
        ("号码错了", "phone", None),
    ],
)
def test_a_correction_names_the_slot_and_what_is_right(text: str, slot: str, value: str | None) -> None:
    assert read_correction(text, HELD, REPAIR) == Correction(slot, value)


def test_a_room_alone_replaces_the_room_of_a_worded_address() -> None:
    assert read_correction("不是601 是602", {"address": "7号楼501室"}, REPAIR) == Correction("address", "7号楼602室")


@pytest.mark.parametrize(
    "text",
    [
        "不是", "不对", "说错了", "取消", "算了",  # a no, or nothing said of what is right
        "不是漏水 是堵了", "不对 是厨房", "不是我家 是楼上",  # the case, not a form's answer
        "不是 是13号楼1单元101",  # a building the community does not have: the form questions it as usual
    ],
)
def test_what_corrects_nothing_the_form_can_take_is_left_to_the_form(text: str) -> None:
    assert read_correction(text, HELD, REPAIR, TWELVE_BUILDINGS) is None


def test_a_room_with_no_address_held_and_a_slot_the_form_does_not_ask_are_not_corrections() -> None:
    assert read_correction("不是601 是602", {}, REPAIR) is None
    assert read_correction("不是明天 是后天上午", HELD, ("complaint_detail", "address", "phone")) is None
    assert read_correction("地址写错了", {}, REPAIR) is None  # nothing held to empty
    # with no address held, only a home address is one (「地下车库的灯」 is what is broken)
    assert read_correction("不对 是地下车库的灯", {}, REPAIR) is None
    assert read_correction("不是8栋 是9栋1单元601", {}, REPAIR) == Correction("address", "9-1-601")


def test_the_shape_is_told_apart_without_any_data() -> None:
    """The forms ask this first, on every answer, and look up the community only for a correction."""
    assert names_a_correction("不是601 是602") and names_a_correction("地址写错了")
    assert not names_a_correction("13812345678") and not names_a_correction("明天上午") and not names_a_correction("")
