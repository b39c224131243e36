"""A resident who no longer needs their case: 「修好了不用来了」「我不报修了」「投诉我撤回」.

The classifier has seen few such messages and gave them to ``emergency`` (「已经好了不用来了」 0.61,
which opened an emergency ticket and paged every agent), ``complaint`` (「不修了」) or the fallback.
Training examples for them moved other classes' answers (docs/benchmarks.md), so this rule knows the
message by its shape instead, as ``bot.nlu.stalls`` does: the case fixed, the visit not needed, or
the case withdrawn, with courtesies and nothing else. Anything more makes it another message:
「上次修好了又坏了」 is a repair, 「水管爆了 自己弄好了一半」 an emergency (the guard's lexicon still
raises a named danger). A bare 「好了」 is not one: it may mean "OK".
"""

from __future__ import annotations

import re

from bot.nlu.pauses import COURTESY
from bot.nlu.pauses import PAUSE as _SEP

WITHDRAWAL_INTENT = "deny"  # a no, whatever form asks (actions.ActionDenyInForm / ActionAnswerNo)

_LEAD = r"(?:我|我们|我家|家里)?(?:自己|已经|刚才|刚刚|现在|都|也)*"
_FIXED = rf"{_LEAD}(?:(?:修|弄|搞|处理|解决|整)(?:好|完)了|已经好了|(?:已经|都)?没(?:事|问题)了|(?:问题)?(?:已经)?解决了)"
_NOT_NEEDED = (
    r"(?:师傅|你们|人)?(?:就|也)?(?:不用|不需要|不必|别)(?:再)?"
    r"(?:来|上门|过来|派人来?|派师傅|修|维修|报修|投诉|登记|麻烦(?:师傅|你们)?|跑一趟)了?"
)
_WITHDRAW = (
    r"(?:我|我们)?(?:先|暂时|就|还是)?不(?:想|要)?(?:再)?(?:修|报|报修|投诉|弄)了"
    r"|(?:这个|那个)?(?:报修|投诉|工单)?(?:我)?(?:撤回|撤销|取消)(?:了|吧|掉|报修|投诉|工单)?"
)
# 「算了」 before the clause says the resident gives up on it (「算了不投诉了」); alone it is no withdrawal.
_GIVING_UP = r"(?:那|哎|唉)?(?:就)?算了(?:吧)?"
_CLAUSE = rf"(?:{_FIXED}|{_NOT_NEEDED}|{_WITHDRAW})"
WITHDRAWAL = re.compile(rf"{_SEP}(?:(?:{COURTESY}|{_GIVING_UP}){_SEP})*{_CLAUSE}(?:{_SEP}(?:{_CLAUSE}|{COURTESY}))*{_SEP}")


def is_withdrawal(text: str) -> bool:
    """Is the message only the resident saying their case is fixed, not needed or withdrawn?"""
    return WITHDRAWAL.fullmatch((text or "").strip()[:60]) is not None


# While the resident waits for an agent they asked for: 「算了不用了」「不用转人工了」「没事了」 takes the
# request back (bot.conversations.lifecycle.withdraw; never an emergency's). A case they no longer
# need (「修好了不用来了」) says so too.
_NEVER_MIND = (
    rf"{_GIVING_UP}|(?:我|那)?(?:就)?不用了|不需要了|(?:已经)?没事了|(?:那)?(?:就)?不(?:用)?(?:转|找)了"
    r"|(?:不用|不要|不需要|不找|不转)(?:转)?(?:人工|客服|人工客服)了?|取消(?:转接|转人工|人工)?|我自己(?:看看|弄|处理|解决)吧?"
)
_TAKEN_BACK = rf"(?:{_NEVER_MIND}|{_CLAUSE})"
NEVER_MIND = re.compile(rf"{_SEP}(?:{COURTESY}{_SEP})*{_TAKEN_BACK}(?:{_SEP}(?:{_TAKEN_BACK}|{COURTESY}))*{_SEP}")


def takes_back_the_request(text: str) -> bool:
    """Is the message only the resident saying they no longer need the agent they asked for?"""
    return NEVER_MIND.fullmatch((text or "").strip()[:60]) is not None
