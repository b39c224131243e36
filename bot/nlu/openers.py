"""A message that only says what kind of case is coming: 「我要报修」「我想咨询一下」「问个问题」.

Residents often open with the kind of case and say what it is in the next message. The classifier
gave 「我要报修」 to the fallback (repair 0.26: the clarifying question, for the commonest opener
there is) and 「问个问题」 too (its buttons: 投诉, 工单进度, 转人工 — no 咨询), while 「我想咨询一下」
was an inquiry whose topic nobody had asked: handed over, with a ticket for staff that said only
「我想咨询一下」. By its shape instead, as ``bot.nlu.stalls`` does: an opener with a greeting before
it and nothing after. A repair opener is ``repair`` (the form asks what is broken); an inquiry
opener is ``inquiry``, and the inquiry action asks what the question is (``is_inquiry_opener``).
「我要投诉」 the classifier already reads (complaint 1.0), and its form asks what happened.
"""

from __future__ import annotations

import re

from bot.nlu.pauses import PARTICLES, PAUSE, PUNCTUATION

# The words a resident greets with (「你好」「在吗」), before an opener or before a case.
_HELLO = r"你好|您好|在吗|在不在|喂|哈喽"
_GREETING = rf"(?:(?:{_HELLO}|物业){PAUSE})*"
# A greeting the message opens with, set off by a mark or a space (「你好，」「在吗 」; 「你好像…」 is none).
_LEADING_GREETING = re.compile(rf"^(?:{PUNCTUATION}*(?:{_HELLO}|hello|hi)(?:呀|啊|哈)?{PUNCTUATION}+)+", re.IGNORECASE)
_WHO = r"(?:我|我们|我家|家里)?(?:想|要|需要|得|来|是)?"
_END = rf"(?:的|{PARTICLES})*{PAUSE}"
REPAIR_OPENER = re.compile(rf"{PAUSE}{_GREETING}{_WHO}(?:报修|报个修|报一下修|报维修|维修|找(?:人|师傅)修(?:个|点)?东西)(?:一下|下)?{_END}")
INQUIRY_OPENER = re.compile(
    rf"{PAUSE}{_GREETING}(?:{_WHO}(?:咨询|问|打听|请教)(?:一下|下|问)?(?:个|点|件)?(?:问题|事情?|事儿)?"
    rf"|请问|有(?:个|点|件)(?:问题|事情?|事儿)(?:想)?(?:问问|问一下|咨询一下|请教一下)?){_END}"
)


def is_repair_opener(text: str) -> bool:
    """Is the message only 「我要报修」 (a greeting before it at most)?"""
    return REPAIR_OPENER.fullmatch((text or "").strip()[:40]) is not None


def is_inquiry_opener(text: str) -> bool:
    """Is the message only 「我想咨询一下」「问个问题」「请问」 (a greeting before it at most)?"""
    return INQUIRY_OPENER.fullmatch((text or "").strip()[:40]) is not None


def opener_intent(text: str) -> str | None:
    """The intent an opener announces, or None for any other message."""
    if is_repair_opener(text):
        return "repair"
    if is_inquiry_opener(text):
        return "inquiry"
    return None


def without_greeting(text: str) -> str:
    """The message without the greeting it opens with: 「你好 我家的灯不亮了」 → 「我家的灯不亮了」."""
    return _LEADING_GREETING.sub("", text or "")
