"""What counts as a Chinese character, for every rule that asks.

The CJK Unified Ideographs, their Extension A (rarer characters in names, such as 㛃) and the
compatibility ideographs that some input methods still produce. Each rule that needed "is this
Chinese?" once wrote its own range, and they disagreed (one took Extension A, another not).
"""

from __future__ import annotations

import re

# For character classes in other patterns: f"[{HAN_RANGE}]", f"[{HAN_RANGE}A-Za-z]".
HAN_RANGE = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN = re.compile(f"[{HAN_RANGE}]")
ALL_HAN = re.compile(f"[{HAN_RANGE}]+")


def is_all_han(text: str) -> bool:
    """Is ``text`` non-empty and written in Chinese characters only (no digits, letters or marks)?"""
    return bool(ALL_HAN.fullmatch(text or ""))
