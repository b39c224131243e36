"""Low-confidence turns: ask which of the two best guesses the resident meant.

The question and the buttons' titles are catalogue texts (``clarify.*`` in bot/texts/zh_CN.yml).
"""

from __future__ import annotations

from typing import Any

# The intents a resident may be offered, each with a button title clarify.choice.<intent>.
CHOICES = ("repair", "complaint", "inquiry", "emergency", "ticket_status", "request_human")
HUMAN = "request_human"
FILLERS = ("repair", "inquiry", "complaint")


def clarify_choices(intent_ranking: list[dict[str, Any]], limit: int = 2) -> list[str]:
    """The top guesses (nlu_fallback and chit-chat left out), filled up to ``limit``, then a human."""
    choices: list[str] = []
    for candidate in intent_ranking:
        name = candidate.get("name")
        if isinstance(name, str) and name in CHOICES and name != HUMAN and name not in choices and len(choices) < limit:
            choices.append(name)
    for name in FILLERS:
        if len(choices) < limit and name not in choices:
            choices.append(name)
    return [*choices, HUMAN]
