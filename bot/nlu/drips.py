"""Water that drips or seeps, not water that floods: 「我家楼上一直往下滴水」「空调外机往下滴水」.

The classifier learned water from floods (「水漫进客厅了」「楼上的水哗哗往下流」) and read a drip from
the ceiling as ``emergency`` (0.88–1.0): an emergency ticket, every agent paged and 「请立即关闭总
水阀、拉下电闸」 to a resident whose neighbour's pipe drips. DOMAIN.md §1 makes 水浸/水管爆裂漫水 the
emergency; a drip or a seep is a repair (§2: 屋面渗漏 一般, 水盘漏水 急修). The shape: a drip or a
seep named (滴水, 往下滴, 渗水, 渗漏), nothing that says the water spreads or is strong (漫, 淹, 一地,
积水, 哗哗, 喷, 止不住…) or reaches the wiring (电, 灯, 插座, 开关), nothing breaking (爆, 裂, 塌,
掉), and no danger the guard's lexicon names (``bot.nlu.emergency.assess``). Scanned over every
labelled set before it was written: 39 rows have the shape, none an emergency (35 repairs, 4
complaints about a seep reported before).
"""

from __future__ import annotations

import re

from bot.nlu.emergency import assess

DRIP = re.compile(r"滴水|往下滴|滴答|滴滴答答|渗水|渗漏|往外渗|往里渗|洇")
SPREADS_OR_DANGER = re.compile(r"漫|淹|一地|满地|积水|哗哗|喷|冲|灌|大量|好多水|很多水|止不住|停不下|越来越|插座|电|灯|开关|爆|裂|塌|掉")


def only_drips(text: str | None) -> bool:
    """Does the message tell of water dripping or seeping, and of nothing that spreads or endangers?"""
    text = (text or "")[:200]
    return bool(DRIP.search(text)) and not SPREADS_OR_DANGER.search(text) and not assess(text).danger_types
