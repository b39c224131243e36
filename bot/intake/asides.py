"""A fault or a grievance beside a question about something else: 「楼道灯坏了 还有快递站在哪」.

The classifier reads the whole message as one ``inquiry`` (the parcel station's topic), and the
answer's coverage check then counted 楼道灯 among the things asked: the resident read the parcel
station's hours, 「非常抱歉，关于楼道灯，目前的资料里没有写明」 and an inquiry ticket — the broken
light was never registered as a repair (tried on scripts/run, 2026-12-07). Two requests in one
message are two cases (DOMAIN.md §1 sorts each message's request; a fault is a repair): the
question is answered on its own words, and the fault is registered through the repair form.

The shape (:func:`fault_beside_question`): the message falls into clauses (punctuation, spaces and
the words that join a second matter: 还有, 另外, 对了, 顺便); some clauses state a fault and ask
nothing (``bot.nlu.faults.states_a_fault``), each of the others asks something (「我人在门外进不去
能来个师傅吗」 says more of the fault), and what they ask about is
a thing of its own — a word none of the fault's clauses names, and not a word of doing something
to the fault or of who comes to do it (补办, 维修, 师傅, 上门). A question about the fault itself
stays one question: 「门禁卡坏了 怎么补办」 (补办 is no thing), 「电梯坏了 什么时候能修好」,
「门禁卡坏了 门禁卡去哪补办」 (the same thing).

A complaint with a question beside it (:func:`question_beside_complaint`, 「楼上装修太吵了 另外物业费
什么时候交」) is taken apart only when the question says it is a second matter (还有, 另外, 对了, 请问
…) and is not about the case (管不管, 处理, 规定, 可以 … are the complaint's own: the rule's answer
follows the apology, ``bot.tickets.rules.complaint_rule``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.intake.coverage import things
from bot.nlu.faults import ASKS, states_a_fault

PUNCTUATION_BREAK = re.compile(r"[，,。.!！;；、\s]+")
CLAUSE_BREAK = re.compile(rf"{PUNCTUATION_BREAK.pattern}|(?=还有|另外|对了|顺便)")
JOINER = re.compile(r"^(?:还有|另外|对了|顺便(?:问一?下)?|然后|再问一?下)+")
# A clause that says it is a second matter: joined by 还有/另外/对了, or a question announced (请问).
ANNOUNCED = re.compile(r"^(?:还有|另外|对了|顺便|再问|请问|想问|问一?下)")


@dataclass(frozen=True)
class Aside:
    matter: str  # the clauses of the case (the fault, the grievance), as the resident wrote them
    question: str  # the clauses that ask, less the words that joined them
    announced: bool = False  # a question clause says it is a second matter (还有, 对了, 请问 …)


def _clauses(text: str) -> list[tuple[str, bool]]:
    """The clauses, less the words that join them, each with whether it says it is a second matter."""
    pieces = (piece.strip() for piece in CLAUSE_BREAK.split(text))
    return [(clause, bool(ANNOUNCED.match(piece))) for piece in pieces if (clause := JOINER.sub("", piece).strip())]


# A word of doing something to the fault or of who comes to do it (补办, 维修, 师傅, 上门): the
# question is about the fault itself.
ACTS_ON_THE_FAULT = re.compile(r"修|补|换|处理|弄|装|办|赔|师傅|派|上门|来|看|负责|疏通|开锁|防水")


def _things_asked(text: str) -> set[str]:
    return {word for word in things(text) if not ACTS_ON_THE_FAULT.search(word)}


def fault_beside_question(text: str | None) -> Aside | None:
    """The fault and the question of a message that states one and asks about another thing, or None."""
    clauses = _clauses((text or "")[:200])
    faults = [clause for clause, _ in clauses if states_a_fault(clause)]
    questions = [(clause, announced) for clause, announced in clauses if clause not in faults]
    if not faults or not questions or not all(ASKS.search(clause) for clause, _ in questions):
        return None
    fault, question = "，".join(faults), "，".join(clause for clause, _ in questions)
    asked = _things_asked(question)
    if not asked or any(noun in fault for noun in asked):
        return None
    return Aside(fault, question, any(announced for _, announced in questions))


# A question about the complaint itself: whether and how it is dealt with, what the rule allows.
ABOUT_THE_CASE = re.compile(r"管|处理|解决|投诉|举报|赔|负责|罚|规定|允许|可以|能不能|让不让|准不准|怎么办")


def question_beside_complaint(text: str | None) -> Aside | None:
    """The grievance and the question of a complaint that asks, as a second matter, about another
    thing (「楼上装修太吵了 另外物业费什么时候交」), or None."""
    # only where the resident broke the sentence (「物业还有没有人管」 is one clause)
    pieces = [piece.strip() for piece in PUNCTUATION_BREAK.split((text or "")[:200]) if piece.strip()]
    at = next((i for i, piece in enumerate(pieces) if i and ANNOUNCED.match(piece) and ASKS.search(piece)), None)
    if at is None:
        return None
    matter = "，".join(pieces[:at])
    question = "，".join(part for part in (JOINER.sub("", piece).strip() for piece in pieces[at:]) if part)
    if not question or ABOUT_THE_CASE.search(question):
        return None
    asked = _things_asked(question)
    if not asked or any(word in matter for word in asked):
        return None
    return Aside(matter, question, announced=True)


def complaint_without_question(text: str | None) -> str:
    """The complaint's own words: the grievance alone when a question is said beside it."""
    aside = question_beside_complaint(text)
    return aside.matter if aside else text or ""
