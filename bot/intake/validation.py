"""Checks for the answers a resident gives to a form's questions.

Each validator returns the normalised value, or ``None`` with the reason the answer cannot be
used. After ``MAX_RETRIES`` unusable answers the form stops insisting: it keeps what the resident
wrote, marked for a colleague to confirm by phone or chat, so a resident is never stuck.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.nlu.entities import extract_entities, first_value

MAX_RETRIES = 2
TO_CONFIRM = "（待客服核实）"
GENERIC_REPAIR_WORDS = re.compile(
    r"我|要|想|报修|报个修|维修|修理|修一下|修|帮|一下|请|你好|您好|麻烦|需要|东西|坏了|有问题|有点|问题|你们|物业|师傅|上门|过来|看看|[\s，。,.!！?？~]"
)
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Checked:
    value: str | None
    reason: str = ""


def check_problem(text: str | None) -> Checked:
    text = (text or "").strip()
    if not text or text.startswith("/"):
        return Checked(None, "请您描述一下需要维修的具体内容，例如“卫生间地漏堵了”。")
    if len(CJK.findall(GENERIC_REPAIR_WORDS.sub("", text))) < 2:
        return Checked(None, "好的，请问具体是什么地方、什么东西需要维修呢？例如“厨房水管漏水”。")
    return Checked(text[:500])


def check_address(text: str | None, entity_value: str | None = None) -> Checked:
    if entity_value:
        return Checked(entity_value)
    value = first_value(text or "", "address")
    if value:
        return Checked(value)
    return Checked(None, "抱歉，没能识别出地址。请您按“几栋几单元几号”告诉我们，例如“3栋2单元102室”或“5号楼电梯”。")


def check_phone(text: str | None, entity_value: str | None = None) -> Checked:
    if entity_value:
        return Checked(entity_value)
    for entity in extract_entities(text or ""):
        if entity.entity == "phone":
            return Checked(entity.value)
    return Checked(None, "抱歉，这个号码好像不完整。请您提供11位手机号码，例如 13812345678，或带区号的固定电话。")


ANY_TIME_WORDS = re.compile(r"随时|都可以|都行|什么时候都|任何时间|尽快|越快越好|马上")


def check_visit_time(text: str | None, entity_value: str | None = None) -> Checked:
    if entity_value:
        return Checked(entity_value)
    text = (text or "").strip()
    value = first_value(text, "visit_time")
    if value:
        return Checked(value)
    if ANY_TIME_WORDS.search(text):
        return Checked("随时可以")
    return Checked(None, "抱歉，没能确认时间。请您告诉我们方便的日期和时段，例如“明天上午”或“周六下午三点以后”。")


def accept_after_retries(slot: str, raw: str, retries: dict[str, int]) -> tuple[str | None, dict[str, int]]:
    """Count a failed answer; after too many, keep the raw text marked for confirmation."""
    counts = dict(retries or {})
    counts[slot] = counts.get(slot, 0) + 1
    if counts[slot] > MAX_RETRIES and raw.strip() and not raw.startswith("/"):
        return f"{raw.strip()[:100]}{TO_CONFIRM}", counts
    return None, counts
