"""A pet that ran off or a thing dropped out of reach: 「我家猫从阳台跑出去了」「钥匙掉在电梯井里了」.

The classifier read both as ``emergency`` (1.0, 0.93: every agent paged, 「如有生命危险请立即拨打110、
119或120」 about a cat) and 「我家鹦鹉飞走了」 as a goodbye (0.61). Neither is a danger (DOMAIN.md §1:
danger to life, health or property happening now), but the resident needs a person now — the
security patrol and the cameras for a pet, the lift company for keys in the shaft — not an answer in
two days: like being locked out (bot.nlu.locked_out), the message asks for an agent
(``request_human``), in the normal queue. The shape: a pet gone (跑丢, 跑出去, 飞走, 不见了 …) or a
small thing fallen into a shaft, a gap or a drain, and no danger the guard's lexicon names (a dog
biting, a child missing are the guard's). No labelled row had the shape when it was written.
"""

from __future__ import annotations

import re

from bot.nlu.emergency import assess

LOST_THING_INTENT = "request_human"

PET = r"猫咪?|狗狗?|小狗|小猫|泰迪|金毛|柯基|比熊|博美|哈士奇|萨摩|柴犬|鹦鹉|八哥|鸟|兔子|仓鼠|乌龟|宠物"
GONE = r"跑丢|走丢|丢了|弄丢|跑出去|跑出门|溜出去|跑没了|跑掉了|跑了|飞走|飞跑|飞出去|不见了|找不到了?|找不着"
THING = r"钥匙|手机|钱包|戒指|项链|耳环|耳机|眼镜|手表|东西|证件|身份证"
OUT_OF_REACH = r"电梯井|电梯缝|电梯门?缝|电梯底坑|井里|井盖下|窨井|下水道|排水沟|地漏|缝里|缝隙"
LOST_THING = re.compile(
    rf"(?:{PET})[^，。,.!！?？]{{0,8}}(?:{GONE})"
    rf"|(?:{THING})[^，。,.!！?？]{{0,3}}掉(?:进|到|在|下)了?[^，。,.!！?？]{{0,4}}(?:{OUT_OF_REACH})"
)


def is_lost_thing(text: str | None) -> bool:
    """Is it a pet gone or a thing dropped out of reach, with no danger named?"""
    text = (text or "")[:200]
    return LOST_THING.search(text) is not None and not assess(text).danger_types
