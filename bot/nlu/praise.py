"""Praise for the staff or the service: 「我要表扬一下你们的维修师傅」「给保洁阿姨点个赞」.

The classifier has seen thanks (「谢谢 给你们点赞」) but little praise of a person, and read
「我要表扬一下你们的维修师傅」 as a ``complaint`` (0.65): the resident who came to praise a plumber was
apologised to 「代表工程部」 and asked what went wrong. A message that praises (表扬, 点赞, 好评, 态度
真好, 很负责 …) with no grievance in it (差, 慢, 没人, 还是, 投诉 …) and asks nothing is a thanks
(``thank``: 「不客气，这是我们应该做的」). Irony keeps its grievance words (「真要表扬你们 三天了都没人来」
stays a complaint), and a question about praising (「怎么给师傅写表扬信」) stays the classifier's.
"""

from __future__ import annotations

import re

from bot.nlu.faults import ASKS  # asks nothing: the fault statement's own test of it

PRAISE_INTENT = "thank"

PRAISE = re.compile(
    r"表扬|点赞|点个赞|点一个赞|好评|夸(一下|一夸|夸)|锦旗|感谢信"
    r"|(态度|服务|人|师傅|阿姨|小哥|小伙子?|姑娘)(真|特别|非常|很|挺|超|太)(好|棒|热心|耐心|负责|专业|细心|贴心)"
    r"|(很|真|特别|非常|太)(负责|专业|热心|耐心|细心|贴心|给力)"
)
GRIEVANCE = re.compile(
    r"差|慢|不好|不行|不管|没人|没有人|不来|没来|还是|还没|到现在|敷衍|投诉|举报|反映|不满|生气|失望|"
    r"不负责|不专业|不耐心|不热心|坏|漏|堵|吵|臭|乱|脏|丢|骂|凶|推诿|拖|等了|几天|多久|一直|又"
)


def praises(text: str) -> bool:
    """Does the message praise someone or the service, with no grievance and nothing asked?"""
    text = (text or "")[:120]
    return bool(PRAISE.search(text)) and not GRIEVANCE.search(text) and not ASKS.search(text)
