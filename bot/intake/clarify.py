"""Low-confidence turns: ask which of the two best guesses the resident meant — unless the message
is a follow-up to the answer just given (「那停车费呢」 after the 物业费 answer), which is answered.

The question and the buttons' titles are catalogue texts (``clarify.*`` in bot/texts/zh_CN.yml).
"""

from __future__ import annotations

from typing import Any

from bot.intake.inquiry import MIN_TOPIC_CONFIDENCE, UNKNOWN_TOPIC, carried_topic, topic_from_parse
from bot.nlu.followups import FOLLOW_UP

# The intents a resident may be offered, each with a button title clarify.choice.<intent>.
CHOICES = ("repair", "complaint", "inquiry", "emergency", "ticket_status", "request_human")
HUMAN = "request_human"
FILLERS = ("repair", "inquiry", "complaint")


# An answer to no question (``inform`` outside a form: rules.yml) says what the case is about, not
# which kind it is: a place is most often a repair or a complaint, a phone or a ticket number a
# look-up of the resident's tickets.
ANSWER_CHOICES = ("repair", "complaint")
NUMBER_CHOICES = ("ticket_status", "repair")
NUMBERS = ("phone", "ticket_id")


def clarify_choices(intent_ranking: list[dict[str, Any]], limit: int = 2, entities: list[dict[str, Any]] | None = None) -> list[str]:
    """The top guesses (nlu_fallback and chit-chat left out), filled up to ``limit``, then a human;
    for a bare answer (``inform`` first) the kinds it most often begins (:data:`ANSWER_CHOICES`)."""
    if intent_ranking and intent_ranking[0].get("name") == "inform":
        numbered = any(e.get("entity") in NUMBERS for e in entities or [])
        return [*(NUMBER_CHOICES if numbered else ANSWER_CHOICES)[:limit], HUMAN]
    choices: list[str] = []
    for candidate in intent_ranking:
        name = candidate.get("name")
        if isinstance(name, str) and name in CHOICES and name != HUMAN and name not in choices and len(choices) < limit:
            choices.append(name)
    for name in FILLERS:
        if len(choices) < limit and name not in choices:
            choices.append(name)
    return [*choices, HUMAN]




def is_follow_up_question(text: str, parse_data: dict[str, Any], after_an_answer: bool, last_topic: str | None = None) -> bool:
    """An unclear message right after an answer that asks on from it: the same about another thing,
    with a topic the response selector is sure enough of (「那停车费呢」 was the fallback, 0.5, with
    ``inquiry/parking`` at 0.84), or something more about the same thing (「多少钱」 after the 门禁卡
    answer: :func:`bot.intake.inquiry.carried_topic`). The answer then goes through the usual
    coverage check and hand-over."""
    if not after_an_answer:
        return False
    if carried_topic(text, last_topic, after_an_answer):
        return True
    if not FOLLOW_UP.fullmatch((text or "").strip()):
        return False
    pick = topic_from_parse(parse_data)
    return pick.topic != UNKNOWN_TOPIC and pick.confidence >= MIN_TOPIC_CONFIDENCE
