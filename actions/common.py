"""Helpers shared by the actions: polite sending, catalogue texts and slot access."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import texts
from bot.intake.complaint import is_bare_opener
from bot.intake.validation import declines_phone
from bot.nlu.openers import is_inquiry_opener, is_repair_opener
from bot.politeness import address, check
from bot.settings import rasa_urls

logger = logging.getLogger(__name__)

INTAKE_TEXT_INTENTS = ("/",)
# The forms whose case goes on when the resident has no phone or will not give it, and what they are
# told then (actions/forms.py for a decline in words, actions.ActionDenyInForm for one read as a no).
PHONE_DECLINED_TEXTS = {"repair_form": "repair.phone_declined", "complaint_form": "complaint.phone_declined"}


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


CLARIFY = "action_clarify_intent"  # the question 「请问您是想：」 with a button for each kind of case


def names_a_kind(text: str) -> bool:
    """「报修」「我要投诉」「咨询」: the message only names a kind of case (bot.nlu.openers, the
    complaint's bare opener) — after the clarifying question, one of its buttons typed."""
    return bool(text.strip()) and (is_repair_opener(text) or is_inquiry_opener(text) or is_bare_opener(text))


def resident_text(tracker: Tracker) -> str:
    """What the resident wrote; a button payload (``/repair``) stands for the text before it, and so
    does a choice of the clarifying question typed instead of tapped (「报修」 after 「请问您是想：」:
    the case is what the resident wrote before, 「我家暖气不热」, not asked for again)."""
    text = latest_text(tracker)
    if text.startswith("/"):
        return tracker.get_slot("pending_text") or ""
    if names_a_kind(text) and previous_action(tracker) == CLARIFY:
        return tracker.get_slot("pending_text") or text
    return text


def parse_of(tracker: Tracker, text: str) -> dict[str, Any]:
    """How the model read ``text`` when the resident sent it: the latest message's parse, or an
    earlier message's (the one a button or a typed choice stands for, :func:`resident_text`)."""
    if text == latest_text(tracker):
        return tracker.latest_message or {}
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("text") == text:
            return event.get("parse_data") or {}
    return {}


PARSE_TIMEOUT = 2.0  # seconds one Rasa server may take to read a clause before the next is asked
# Straight to our own Rasa servers: never through an HTTP proxy the host's environment names for
# the outside world (urllib would send 127.0.0.1 to it unless no_proxy says otherwise).
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def parse_alone(text: str) -> dict[str, Any] | None:
    """How the model reads ``text`` on its own: a question asked beside a case (「我家厨房水管漏水了
    另外物业费什么时候交」, bot.intake.asides), whose topic the whole message blurs — the repair's
    words pulled the fee question's answer to a hand-over. Rasa's ``/model/parse`` on the clause,
    from the first server that answers (``RASA_URLS``); None when none does, and the whole
    message's reading stands."""
    body = json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")
    for url in rasa_urls():
        request = urllib.request.Request(f"{url}/model/parse", data=body, headers={"Content-Type": "application/json"}, method="POST")
        try:
            with _DIRECT.open(request, timeout=PARSE_TIMEOUT) as answer:
                parsed = json.loads(answer.read().decode("utf-8"))
        except (OSError, ValueError) as error:
            logger.warning("could not parse a clause alone at %s: %s", url, error)
            continue
        if isinstance(parsed, dict) and isinstance(parsed.get("intent"), dict):
            return parsed
    return None


def latest_entity(tracker: Tracker, entity: str) -> str | None:
    for found in (tracker.latest_message or {}).get("entities") or []:
        if found.get("entity") == entity and found.get("value"):
            return str(found["value"])
    return None


def slots(tracker: Tracker, *names: str) -> dict[str, Any]:
    return {name: tracker.get_slot(name) for name in names}


def before_this_message(tracker: Tracker, slot: str) -> tuple[Any, str | None]:
    """The slot's value and the active form as they were when the resident's latest message came
    (Rasa fills slots from the message before a form's validation runs: ``get_slot`` already
    holds the new candidate)."""
    value: Any = None
    loop: str | None = None
    at_message: tuple[Any, str | None] = (None, None)
    for event in tracker.events:
        kind = event.get("event")
        if kind == "user":
            at_message = (value, loop)
        elif kind == "slot" and event.get("name") == slot:
            value = event.get("value")
        elif kind == "active_loop":
            loop = event.get("name")
    return at_message


def earlier_texts(tracker: Tracker) -> Iterator[str]:
    """What the resident wrote before the latest message, latest first, back to the end of the
    last form (the current form's first message included)."""
    events = reversed(tracker.events)
    for event in events:  # up to and including the latest message
        if event.get("event") == "user":
            break
    for event in events:
        kind = event.get("event")
        if kind == "active_loop" and event.get("name") is None:
            return
        if kind == "user" and event.get("text"):
            yield str(event["text"])


def added_to(tracker: Tracker, slot: str, form: str, text: str) -> str:
    """``text`` added to what the resident already said for ``slot`` in this ``form`` (a message
    with more about the case while another question is asked); ``text`` alone when the form
    starts with it or nothing was said yet."""
    earlier, loop = before_this_message(tracker, slot)
    if loop != form or not earlier or text in str(earlier).split("；"):
        return text
    return f"{earlier}；{text}"


def _previous_turn(tracker: Tracker) -> Iterator[dict[str, Any]]:
    """The assistant's events between the resident's last two messages, latest first."""
    events = reversed(tracker.events)
    for event in events:  # up to and including the latest message
        if event.get("event") == "user":
            break
    for event in events:
        if event.get("event") == "user":
            return
        yield event


def last_bot_text(tracker: Tracker) -> str:
    """What the assistant said last before the resident's latest message ("" when nothing)."""
    return next((str(e["text"]) for e in _previous_turn(tracker) if e.get("event") == "bot" and e.get("text")), "")


def previous_action(tracker: Tracker) -> str | None:
    """The assistant's last action before the resident's latest message (``action_listen`` aside)."""
    return next(
        (e.get("name") for e in _previous_turn(tracker) if e.get("event") == "action" and e.get("name") != "action_listen"),
        None,
    )


def phone_declined_text(tracker: Tracker, form: str | None) -> str | None:
    """What the resident is told when their answer to the phone question declines it (「没有」
    「不方便留电话」), or None when the answer is no such thing or the form needs a phone."""
    key = PHONE_DECLINED_TEXTS.get(form or "")
    if key and tracker.get_slot("requested_slot") == "phone" and declines_phone(latest_text(tracker)):
        return texts.render(key)
    return None
