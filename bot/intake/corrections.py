"""A resident correcting an answer a form holds: 「不是601 是602」「不对 电话是139…」「说错了 应该是后天上午」.

Read as a no (「不是」「不对」), a correction cancelled the whole registration (tried on scripts/run:
「不是601 是602」 to the phone question got 「已为您取消本次登记」); read as more of the case, it went
into the fault's description; and 「不是8栋 是9栋1单元601」 filled the address with the building that
was wrong. What the resident says is right replaces what the form holds; a field named as wrong with
nothing after it (「地址写错了」) is emptied, so the form asks for it again.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from bot.communities.addresses import building_and_unit
from bot.communities.records import CommunityRecord
from bot.intake.validation import check_address, check_phone, check_visit_time
from bot.nlu.entities import address_parts, address_value, first_value

# Each field's words, and the form slot they name.
_FIELDS = {
    "address": r"房号|房间号|门牌号?|地址|楼号|单元号?",
    "phone": r"联系电话|电话号码|手机号码?|电话|号码|手机",
    "visit_time": r"上门时间|预约时间|时间",
}
_FIELD = "|".join(f"(?P<{slot}>{words})" for slot, words in _FIELDS.items())
_SAID_WRONG = rf"(?:刚才|我|上面|之前)?的?(?:{_FIELD})?(?:说|写|打|填|输|发|记|给)?错了"
_WRONG = rf"{_SAID_WRONG}|不对(?:不对)?|不是(?:[^，,。！!？?\s]{{1,16}}?)?"
_RIGHT_WORDS = rf"(?:{'|'.join(_FIELDS.values())})?(?:应该|其实|正确的?)?(?:是|为|改成|改为)"
_SEP = r"[，,。！!\s]*"
CORRECTION = re.compile(rf"{_SEP}(?:{_WRONG}){_SEP}{_RIGHT_WORDS}{_SEP}(?P<right>[^，,。！!？?]+?){_SEP}")
SAID_WRONG = re.compile(rf"{_SEP}{_SAID_WRONG}{_SEP}")


@dataclass(frozen=True)
class Correction:
    """The slot the resident corrected and its new value; ``None``: they will give it again."""

    slot: str
    value: str | None


def names_a_correction(text: str | None) -> bool:
    """Is the message shaped as a correction (「不是…是…」「…写错了」)? Cheap, with no data looked up:
    the form asks it first, and reads the correction (with the community's buildings) only then."""
    text = (text or "").strip()[:60]
    return CORRECTION.fullmatch(text) is not None or SAID_WRONG.fullmatch(text) is not None


def read_correction(text: str | None, held: Mapping[str, Any], asks: Collection[str], community: CommunityRecord | None = None) -> Correction | None:
    """The correction ``text`` makes to a form that asks for the slots in ``asks`` and holds
    ``held``; ``None`` when the message corrects nothing the form can take."""
    text = (text or "").strip()[:60]
    found = CORRECTION.fullmatch(text)
    if found is None:
        wrong = SAID_WRONG.fullmatch(text)
        slot = _named_field(wrong) if wrong else None
        return Correction(slot, None) if slot in asks and held.get(slot) else None
    right = found.group("right")
    phone = first_value(right, "phone")
    phone = check_phone(right, phone).value if phone and "phone" in asks else None
    if phone:
        return Correction("phone", phone)
    visit_time = first_value(right, "visit_time")
    visit_time = check_visit_time(right, visit_time).value if visit_time and "visit_time" in asks else None
    if visit_time:
        return Correction("visit_time", visit_time)
    if "address" not in asks:
        return None
    address = first_value(right, "address")
    partial = _with_new_part(str(held.get("address") or ""), right.strip())
    if partial is not None:
        address = partial
    if not address or not (held.get("address") or building_and_unit(address)):
        return None  # nothing held to correct, and no home address named (「不对 是地下车库的灯」 is the case)
    checked = check_address(address, address, community)
    return Correction("address", checked.value) if checked.value else None


def _named_field(found: re.Match[str]) -> str | None:
    return next((slot for slot in _FIELDS if found.group(slot)), None)


def _with_new_part(held: str, right: str) -> str | None:
    """The held address with the unit or room the resident gave instead (「602」 for 8-1-601: 8-1-602);
    ``None`` when ``right`` is not just a unit or room, or the held address has no building."""
    new, old = address_parts(right), address_parts(held)
    if new is None or old is None or new[0] is not None or old[0] is None or not (new[1] or new[2]):
        return None
    return address_value(old[0], new[1] or old[1], new[2] or old[2])
