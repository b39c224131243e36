"""A resident asking the assistant to wait a moment: 「等一下我找找号码」, 「稍等 我看看电话」.

Asked for a phone, a ticket number or an address, residents often go and look for it first, and
say so. The classifier has no class for that — a trained ``wait`` intent cost answers elsewhere
(docs/benchmarks.md, "a `wait` intent tried and not kept") — and scattered these messages over
``request_human`` (which paged the agents for nothing), ``ticket_status``, ``out_of_scope`` and the
fallback. This rule knows the stall by its shape instead: a request to wait, or the resident going
to look for something, with nothing else said. Anything more makes it another message: 「等一下
我要人工」 asks for a person, 「再等等就说」 is part of a complaint, 「查一下我的工单」 asks the
assistant to look (the look without a request to wait counts only as the resident's own: 我找找,
我去查一下).
"""

from __future__ import annotations

import re

from bot.nlu.pauses import PAUSE as _PAUSE

# The intent a stall gets (domain.yml): set by this rule alone, with no training examples — so never a
# label trainers give (bot.trainer.labels), which would make it a trained class again.
STALL_INTENT = "wait"

_WAIT = r"(?:你|您)?(?:先)?(?:稍等一下|稍等一会儿?|稍等片刻|稍等|等一下下?|等一等|等等|等一会儿?|等会儿?|等下|等我一下|等我)"
_VERB = r"(?:找|查|看|翻|问|拿)"
_LOOK = rf"(?:我)?(?:先)?(?:去)?{_VERB}(?:{_VERB}|一下|下)?"  # after a request to wait: 我找找, 我去查一下, 看下
_OWN_LOOK = rf"我(?:先)?(?:去{_VERB}(?:{_VERB}|一下|下)?|找找|查查|看看|翻翻|问问)"  # alone: the resident's own look
_THING = r"(?:我的|我家的?|我(?:老公|老婆|爱人|儿子|女儿|家人)的?)?(?:手机号码?|电话号码?|号码|电话|手机|联系方式|工单号|单号|编号|地址|门牌号?|房号)?"
STALL = re.compile(rf"{_PAUSE}(?:{_WAIT}{_PAUSE}(?:{_LOOK}{_THING})?|{_OWN_LOOK}{_THING}){_PAUSE}")


def is_stall(text: str) -> bool:
    """Is the message only the resident asking to wait while they find something?"""
    return STALL.fullmatch((text or "").strip()[:60]) is not None
