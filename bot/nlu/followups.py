"""A question that leans on the one before: 「那停车费呢」「装修呢？」「那么游泳池呢」.

A thing named, and 呢 — the same question about another thing. A clause of its own (「为什么还没人来修
呢」, 「我家漏水了呢」) is another message, not a follow-up. The inquiry action reads what the thing
refers to from the answer just given (``bot.intake.inquiry``). With 那, 那么 or 还有 before it the
shape is a question even alone: the classifier, which has seen few such short messages, gave
「那停车费呢」 to the fallback in one training and to ``complaint`` (0.6: an apology and the complaint
form) in another, so the FollowUpClassifier makes it an inquiry by its shape.
"""

from __future__ import annotations

import re

FOLLOW_UP_INTENT = "inquiry"

# The thing and its 呢; no 了, 吗, 没, 不, 为, 我 …: those make a clause of its own.
_THING = r"\s*(?P<thing>[^\s，。,.!！?？了吗没不怎为我]{1,8})\s*呢\s*[？?。.!！~]*"
FOLLOW_UP = re.compile(rf"(?:那|那么|还有|那要是)?{_THING}")
# 「那停车费呢」 with its 那: asking on, whatever came before. 「师傅呢」「人呢」 alone may be impatience
# about a case (「人呢 都三天了」), so the bare form is left to the classifier.
ASKING_ON = re.compile(rf"(?:那|那么|还有){_THING}")


def is_follow_up(text: str | None) -> bool:
    """Is the message only 「（那）X呢」?"""
    return FOLLOW_UP.fullmatch((text or "").strip()) is not None


def asks_on(text: str | None) -> bool:
    """Is the message only 「那X呢」 (那, 那么 or 还有 before the thing)?"""
    return ASKING_ON.fullmatch((text or "").strip()) is not None
