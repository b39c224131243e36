"""The pause around a message known by its shape: punctuation, spaces and the particles of speech.

The shape rules (stalls, withdrawals, openers, the phone declined) each match a whole message, and a
resident types the same words with or without 「，」「～」「…」, a 「哈」 or a 「吧」 between or after
them. One definition serves them all, so that 「等一下哈～」 and 「不用了啦！」 are read alike.
"""

from __future__ import annotations

# One punctuation mark or space, half- or full-width.
PUNCTUATION = r"[\s,，。.!！?？~～、…]"
# The particles a resident trails a clause with.
PARTICLES = r"(?:哈|啊|呀|哦|嗯|吧|啦)"
# A pause between or around a shaped message's clauses: marks, particles, marks — each optional.
PAUSE = rf"{PUNCTUATION}*{PARTICLES}*{PUNCTUATION}*"
# The courtesies a resident wraps a shaped message in (「谢谢」「麻烦了」「不好意思」): they add nothing.
COURTESY = r"(?:谢谢(?:你们|您|啦)?|麻烦了|辛苦了|拜托了|不好意思|抱歉)"
