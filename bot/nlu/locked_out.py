"""Locked out of one's own home: 「我被锁在门外了 钥匙忘带了」.

The guard's lexicon read 被锁在 as someone trapped, and the classifier, which learned 锁 from
「孩子被反锁在家里」, read it as ``emergency`` (1.0): an emergency ticket, every agent paged and
「请保持冷静，尽量待在安全的位置，保存手机电量」 to a resident standing outside their own door. Being
locked out is no danger (DOMAIN.md §1), but the resident needs a person now (the 管家 who can check
who they are, a locksmith the company trusts), not a question answered in two days: the message asks
for an agent (``request_human``), in the normal queue. The shape: locked out (锁在门外, 进不了家,
忘带钥匙, 钥匙丢了 …), nobody inside who may be in need (a child, an old person, a pan on the stove:
「孩子还在里面」 is left to the classifier and the guard) and no danger the guard's lexicon names.
No labelled row had the shape when it was written.
"""

from __future__ import annotations

import re

from bot.nlu.emergency import assess

LOCKED_OUT_INTENT = "request_human"

LOCKED_OUT = re.compile(
    r"(?:锁|关)在了?家?门外|进不了家|进不去家|回不了家|(?:忘|没)带钥匙|钥匙(?:忘带|丢了|弄丢|找不到|落在|锁在|反锁在)"
)
SOMEONE_OR_SOMETHING_INSIDE = re.compile(r"孩子|小孩|宝宝|婴儿|老人|爸|妈|爷|奶|人在|里面有|屋里有|家里有|锅|火|煤气|燃气|水龙头|病|药")


def is_locked_out(text: str | None) -> bool:
    """Is the resident locked out of their home, with nobody or nothing inside at risk?"""
    text = (text or "")[:200]
    return bool(LOCKED_OUT.search(text)) and not SOMEONE_OR_SOMETHING_INSIDE.search(text) and not assess(text).danger_types
