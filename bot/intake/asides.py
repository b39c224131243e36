"""A fault stated beside a question about something else: 「楼道灯坏了 还有快递站在哪」.

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
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.intake.coverage import _words
from bot.nlu.faults import ASKS, states_a_fault

CLAUSE_BREAK = re.compile(r"[，,。.!！;；、\s]+|(?=还有|另外|对了|顺便)")
JOINER = re.compile(r"^(?:还有|另外|对了|顺便(?:问一?下)?|然后|再问一?下)+")
# A clause that says it is a second matter: joined by 还有/另外/对了, or a question announced (请问).
ANNOUNCED = re.compile(r"^(?:还有|另外|对了|顺便|再问|请问|想问|问一?下)")


@dataclass(frozen=True)
class FaultAside:
    fault: str  # the clauses that state the fault, as the resident wrote them
    question: str  # the clauses that ask, less the words that joined them
    announced: bool = False  # a question clause says it is a second matter (还有, 对了, 请问 …)


def _clauses(text: str) -> list[str]:
    return [part for part in (JOINER.sub("", piece).strip() for piece in CLAUSE_BREAK.split(text)) if part]


def _announced(text: str, question: str) -> bool:
    return any(ANNOUNCED.match(piece.strip()) and JOINER.sub("", piece).strip() in question for piece in CLAUSE_BREAK.split(text))


# A word of doing something to the fault or of who comes to do it (补办, 维修, 师傅, 上门): the
# question is about the fault itself.
ACTS_ON_THE_FAULT = re.compile(r"修|补|换|处理|弄|装|办|赔|师傅|派|上门|来|看|负责|疏通|开锁|防水")


def _things_asked(text: str) -> set[str]:
    return {word for word, _ in _words(text) if not ACTS_ON_THE_FAULT.search(word)}


def fault_beside_question(text: str | None) -> FaultAside | None:
    """The fault and the question of a message that states one and asks about another thing, or None."""
    clauses = _clauses((text or "")[:200])
    faults = [clause for clause in clauses if states_a_fault(clause)]
    questions = [clause for clause in clauses if clause not in faults]
    if not faults or not questions or not all(ASKS.search(clause) for clause in questions):
        return None
    fault, question = "，".join(faults), "，".join(questions)
    asked = _things_asked(question)
    if not asked or any(noun in fault for noun in asked):
        return None
    return FaultAside(fault, question, _announced((text or "")[:200], question))
