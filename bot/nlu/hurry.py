"""A resident hurrying their case along: 「能快点吗 我等着用」「快点来修吧」「能不能快一点」「麻烦尽快处理」.

After a repair or complaint is registered, the commonest thing a waiting resident types. The
classifier, which learned urgency from emergencies (「快来人」「救命」), read these as ``emergency``
(0.79–0.98): an emergency ticket, every agent paged and 「请先确保自身安全；如有生命危险请立即拨打110」
for a resident waiting for a plumber. This rule knows the message by its shape — a request to hurry
(快点, 快一点, 赶紧, 尽快, 抓紧, 早点 …, with at most 来修/处理/安排 after it), and beside it only
courtesies and how much they need it (急用, 我等着用, 挺急的) — and makes it ``ticket_status``: the
resident's own tickets with their promised deadlines, and the hurry noted on the open one for its
handlers (actions.ActionTicketStatus). Anything more makes it another message: 「快来人」「快点来」
(a call for help, which the classifier keeps), 「快点 着火了」 (the guard's lexicon still raises the
danger), 「为什么还不来 快点」 (a complaint's words: 为什么, 还不).
"""

from __future__ import annotations

import re

from bot.nlu.pauses import COURTESY
from bot.nlu.pauses import PAUSE as _PAUSE

HURRY_INTENT = "ticket_status"  # the resident's tickets and their deadlines (actions.ActionTicketStatus)

_POLITE = r"(?:麻烦|请|拜托|辛苦)?(?:你们|您|师傅|物业)?(?:能不能|能|可不可以|可以|就)?(?:再)?"
_HURRY = r"(?:快点儿?|快一点儿?|快些|快一些|赶紧|赶快|尽快|抓紧|早点儿?|早一点|加快|快快)"
_DO = r"(?:回我|回复我?|答复我?|回个话|回一下|来修|修|来处理|处理|安排|来弄|弄|解决|来看看|看看|进度)?"
_ASK = r"(?:吗|呗|好吗|好不好|行吗|行不行|可以吗)?"
_URGE = rf"{_POLITE}{_HURRY}{_DO}{_ASK}"
_NEED = r"(?:我|我们|家里)?(?:这边)?(?:等着用|急用|急着用|挺急的?|比较急|有点急|很急|着急|等不了了?|等好久了)"
HURRY = re.compile(rf"{_PAUSE}(?:(?:{_NEED}|{COURTESY}){_PAUSE})*{_URGE}(?:{_PAUSE}(?:{_URGE}|{_NEED}|{COURTESY}))*{_PAUSE}")


def urges(text: str | None) -> bool:
    """Is the message only the resident asking for their case to be hurried?"""
    return HURRY.fullmatch((text or "").strip()[:60]) is not None
