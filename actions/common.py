"""Helpers shared by the actions: polite sending, catalogue texts and slot access."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import texts
from bot.politeness import address, check

logger = logging.getLogger(__name__)

INTAKE_TEXT_INTENTS = ("/",)


def say(dispatcher: CollectingDispatcher, text: str, buttons: list[dict[str, str]] | None = None) -> None:
    """Send a message; an impolite sentence is a bug, logged loudly (tests fail on it)."""
    violations = check(text)
    if violations:
        logger.error("Impolite bot message %r: %s", text, violations)
    dispatcher.utter_message(text=text, buttons=buttons or [])


def to_resident(tracker: Tracker, text: str) -> str:
    """``text`` led by the resident's honorific when surname and title are known (王先生，…)."""
    return address(tracker.get_slot("surname"), tracker.get_slot("title"), text)


def addressed(tracker: Tracker, key: str, **values: Any) -> str:
    """The catalogue text for ``key``, addressed to the resident (:func:`to_resident`)."""
    return to_resident(tracker, texts.render(key, **values))


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def resident_text(tracker: Tracker) -> str:
    """What the resident wrote; a button payload (``/repair``) stands for the text before it."""
    text = latest_text(tracker)
    if text.startswith("/"):
        return tracker.get_slot("pending_text") or ""
    return text


def latest_entity(tracker: Tracker, entity: str) -> str | None:
    for found in (tracker.latest_message or {}).get("entities") or []:
        if found.get("entity") == entity and found.get("value"):
            return str(found["value"])
    return None


def slots(tracker: Tracker, *names: str) -> dict[str, Any]:
    return {name: tracker.get_slot(name) for name in names}
