"""Low-confidence turns: ask which of the two best guesses the resident meant."""

from __future__ import annotations

from typing import Any

INTENT_CHOICES = {
    "repair": "我要报修",
    "complaint": "我要投诉",
    "inquiry": "我想咨询",
    "emergency": "紧急求助",
    "ticket_status": "查询工单进度",
    "request_human": "转人工客服",
}
QUESTION = "抱歉，我想确认一下您的意思，请问您是想："


def clarify_buttons(intent_ranking: list[dict[str, Any]], limit: int = 2) -> list[dict[str, str]]:
    """Buttons for the top guesses (nlu_fallback and chit-chat left out), plus a human."""
    buttons: list[dict[str, str]] = []
    for candidate in intent_ranking:
        name = candidate.get("name")
        if name in INTENT_CHOICES and name != "request_human" and len(buttons) < limit:
            buttons.append({"title": INTENT_CHOICES[name], "payload": f"/{name}"})
    if len(buttons) < limit:
        for name in ("repair", "inquiry", "complaint"):
            if len(buttons) < limit and all(b["payload"] != f"/{name}" for b in buttons):
                buttons.append({"title": INTENT_CHOICES[name], "payload": f"/{name}"})
    buttons.append({"title": INTENT_CHOICES["request_human"], "payload": "/request_human"})
    return buttons
