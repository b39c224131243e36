"""A fault, with the resident saying no one is in danger: 「没有人困在里面 就是电梯不动了」.

The classifier learned lifts from emergencies (「电梯困人了」) and read this message as ``emergency``
(1.0): an emergency ticket, every agent paged and 「请您保持冷静，不要扒门」 for a lift with nobody in
it — a fault the resident has just said is not a danger. DOMAIN.md §1 makes a stopped lift a repair
(§2: 电梯故障 is 急修, staff on site within 2 hours) unless someone is trapped. The shape: a fault
named (``bot.nlu.faults.FAULT``, a device fault of the guard's, or the lift itself), the resident's words that nobody
is trapped or hurt (没有人困在里面, 里面没人, 没人受伤, 人没事), and no danger the guard's lexicon
names (``bot.nlu.emergency.assess``: 「没人受伤 但是水管爆了 水漫进客厅了」 is still a flood). Such a
message is ``repair`` whatever the classifier said, and the guard does not raise it on the
classifier's doubt (bot.nlu.components).
"""

from __future__ import annotations

import re

from bot.nlu.emergency import assess
from bot.nlu.faults import FAULT

NO_ONE_IN_DANGER = re.compile(
    r"(?:没有?|无)(?:任何)?人(?:被)?(?:困|关|卡|锁|受伤|伤着|伤到|在里面|在里头|在里边)"
    r"|(?:里面|里头|里边|电梯里|轿厢里)(?:也|都)?没(?:有)?人"
    r"|人(?:都|也)?没(?:事|受伤)|没(?:有)?(?:人)?受伤"
)
# The lift is the fault's subject (「电梯停在8楼了」「按哪层都没用」): with no one in it, a repair.
LIFT = re.compile(r"电梯|轿厢|升降梯")


def says_no_danger(text: str | None) -> bool:
    """Does the message name a fault, say no one is trapped or hurt, and name no danger?"""
    text = (text or "")[:200]
    if not NO_ONE_IN_DANGER.search(text):
        return False
    found = assess(text)
    return not found.danger_types and (found.device_fault or FAULT.search(text) is not None or LIFT.search(text) is not None)
