"""A yes-or-no question about what is allowed or done: 「礼拜天能不能在家打电钻啊」「在小区遛狗必须拴绳吗」
「你们礼拜六礼拜天上班不」「维修师傅上门收不收上门费」「小区里有收废品的人没」.

Residents ask the community's rules and services this way, and the classifier, which has seen
complaints about the same things (a neighbour's drill on a Sunday, a dog off its leash), read such
questions as ``complaint`` (an apology and the complaint form for a question: 「星期天可以打电钻吗」
0.57, 「修好了有保修期吗」 0.91) or was unsure (「你们周末上班不」: the clarifying question). A question
of this shape — it ends in 吗/么/V不, or asks 有…没, A-not-A (能不能, 收不收) or 有没有, and names
something one may or must do (能, 可以, 要, 收, 上班 …) — with no grievance in it is an inquiry
(DOMAIN.md §4: the answer, or the honest hand-over with a ticket for staff). A grievance asked as a
question stays the classifier's: 「为什么周末还让装修」, 「楼上周末打电钻能不能管管」, 「遛狗不牵绳有没有人管」,
「快递驿站不到八点就关门了 还让不让人取件了」, 「不是说第一个小时免费吗 怎么收了我十块」; so does a fault
(「水管坏了能修吗」「暖气不热能修吗」: a repair's, bot.nlu.faults and bot.nlu.emergency's device faults) — the ``YesNoQuestionClassifier`` replaces only a
complaint or an unsure reading, and the EmergencyGuard after it still raises a danger named.
"""

from __future__ import annotations

import re

from bot.nlu.emergency import DEVICE_FAULTS
from bot.nlu.faults import FAULT

YES_NO_INTENT = "inquiry"

_END = r"[啊呀呢哈嘛的～~\s。.!！？?]*$"
YES_NO = re.compile(
    rf"(?:[吗么]|(?<![都也还])不){_END}"  # 「…上班吗」「…上班不」 (not 「…都不」)
    rf"|有[^，。,\s]{{1,10}}没有?{_END}"  # 「有收废品的人没」 (not 「连个通知都没有」: no 有 before it)
    r"|(\w)不\1|有没有|是否"  # 能不能, 收不收; 有没有
)
# Something one may or must do, or the company does: what a rule or a service answers.
ALLOWED = re.compile(r"能|可以|允许|让|要|需要|必须|得|收|给|上班|开门|营业|有|办|交|停水|停电|停气|是真的")
# A grievance asked as a question: why, again, still, nobody, too much, a charge taken, a promise broken.
GRIEVANCE = re.compile(
    r"为什么|为啥|凭什么|凭啥|怎么还|怎么又|怎么能|怎么可以|还不|还没|还在|还让不让|又|天天|每天|每次|一直|老是|总是|整天|三天两头"
    r"|太|那么|这么|投诉|管管|管一管|管不管|有没有人管|没人|谁来管|谁管|到底|简直|受不了|烦|吵|脏|臭|乱|已经|几天了|半天|好几"
    r"|多久了|怎么回事|搞什么|什么意思|干什么|[！!]{2}|收了我|扣了|涨|都没有|连个|不打算|靠谱|算账|说好|不是说"
)


def asks_whether(text: str | None) -> bool:
    """Is the message a yes-or-no question about what is allowed or done, with no grievance or fault in it?"""
    text = (text or "").strip()[:200]
    return bool(YES_NO.search(text)) and bool(ALLOWED.search(text)) and not GRIEVANCE.search(text) and not FAULT.search(text) and not DEVICE_FAULTS.search(text)
