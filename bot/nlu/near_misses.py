"""A broken thing that nearly hurt someone: 「小区里的健身器材坏了 孩子差点摔了」.

The classifier read it as ``emergency`` (0.98, tried from outside on 2026-12-07): a ticket of the
highest priority, every agent paged and 「如有生命危险请立即拨打110、119或120」 for a child who did
not fall. 差点, 差一点, 险些 say the harm did not happen (the guard's lexicon reads a danger word right
after them as negated: 「差点摔倒」 is no fall); what is left is the fault, which is a repair
(DOMAIN.md §1) — urgent in the ticket's rules when it is dangerous, not a live emergency. The shape:

- a near miss (差点, 差一点, 险些);
- a fault stated (``bot.nlu.faults.FAULT``: 坏了, 松了, 裂了 …);
- nobody hurt after all (伤, 血, 疼, 晕 …) and no danger the guard's lexicon names
  (「窗户玻璃掉下来了 差点砸到小孩」 is a falling object: more may fall).

Scanned over every labelled set before it was written (3,251 rows): two rows have a near miss,
both falling objects the lexicon names; none takes the shape.
"""

from __future__ import annotations

import re

from bot.nlu.emergency import assess
from bot.nlu.faults import FAULT

NEAR_MISS_INTENT = "repair"

NEAR_MISS = re.compile(r"差点|差一点|险些")
HURT = re.compile(r"伤|血|疼|痛|晕|骨折|医院|送医|救|急")


def is_a_near_miss_of_a_fault(text: str | None) -> bool:
    """Does the message tell of a fault that nearly hurt someone, nobody hurt and no danger named?"""
    text = (text or "")[:200]
    return (
        NEAR_MISS.search(text) is not None
        and FAULT.search(text) is not None
        and HURT.search(text) is None
        and not assess(text).danger_types
    )
