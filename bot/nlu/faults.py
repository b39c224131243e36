"""A fault stated, nothing asked: 「快递柜打不开了」「门禁卡刷不了」.

The classifier read 「快递柜打不开了」 as ``inquiry`` 0.83 (its topic the parcel station, 0.89), and
the resident who reported a broken locker was given the station's opening hours; 「门禁卡刷不了」 was
the fallback's clarifying question. A message that names a fault (打不开, 坏了, 不亮, 漏水, 刷不了 …)
and asks nothing (no question word, no 吗/呢, no A-not-A such as 收不收) reports a repair
(DOMAIN.md §1): the ``FaultStatementClassifier`` makes such an inquiry, fallback or bare answer
(``inform``, which outside a form got the clarifying question: 「大门的人脸识别认不出我」 0.81) ``repair``. A
question about a fault (「家里水管坏了物业修收不收钱」「门禁卡坏了怎么补办」) stays the classifier's.
Outages (停水, 停电) are left out: often the whole community's, a notice or a complaint.
"""

from __future__ import annotations

import re

FAULT = re.compile(
    r"打不开|关不上|关不紧|锁不上|坏了|坏掉|不亮|不转了|不动了|漏水|渗水|堵了|堵住|刷不了|刷不开|刷不上"
    r"|用不了|不能用|没反应|失灵|卡住|裂了|松了|不出水|不出热水|取不出|拿不出|取不了"
    r"|漏了|在漏(?!气)|又漏(?!气)"  # 「我家水管也漏了」 (漏气 is gas: the guard's)
    r"|认不出|识别不了|识别不出|不识别|不认(我|人|脸|卡|车)"  # a face or a plate the gate does not read (「大门的人脸识别认不出我」)
)
ASKS = re.compile(
    r"怎么|怎样|如何|咋|哪|什么|啥|多少|几|谁|请问|问一?下|想问|能不能|可不可以|可以|是不是|有没有|要不要|会不会"
    r"|[吗么嘛呢][\s。.!！~～]*$|[？?]|(\w)不\1"
)


def states_a_fault(text: str) -> bool:
    """Does the message name a fault and ask nothing about it?"""
    text = (text or "")[:200]
    return bool(FAULT.search(text)) and not ASKS.search(text)
