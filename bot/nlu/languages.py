"""A sentence written in another language than Chinese: 「Hello, my kitchen sink is leaking」.

The classifier knows Chinese and a few English words residents type (hi, thank you, help, sos —
in the training data); it read that sentence as ``greet`` (0.99, for "Hello") and the resident was
greeted, with no word on why the rest went unanswered. A message is a foreign sentence when, as the
model reads it (``bot.nlu.reading``: pinyin is spelled in characters first, so 「dianti kun ren le」
is 电梯困人了), it holds no Chinese character and at least ``MIN_WORDS`` words of letters — Latin,
Cyrillic, kana, hangul … Numbers, ticket numbers and emoji are no language. The greeting then says,
politely, that the assistant reads Chinese, and how to reach a person (``actions.ActionGreet``).
"""

from __future__ import annotations

import re

from bot.han import HAN
from bot.nlu.reading import read

MIN_WORDS = 3  # 「hi there」 and 「good morning」 are greetings the classifier knows, not sentences
WORD = re.compile(r"[^\W\d_]+")  # letters of any script (kana and hangul included), no digits


def is_foreign_sentence(text: str) -> bool:
    """Is the message a sentence in a language other than Chinese (as the model reads it)?"""
    reading = read((text or "")[:500]).text
    return not HAN.search(reading) and len(WORD.findall(reading)) >= MIN_WORDS
