"""The REST channel's edge (bot/channels/resident_rest.py; issue 11: bad input never reaches a 5xx).

Its parser takes any body (Hypothesis, in process); through a real Rasa with the trained model
(``rasa_stack``) any body gets 200 or a polite 400/413 — never Rasa's 500 — and a message with a
lone surrogate or a NUL is answered and kept in the tracker with U+FFFD in their place (the entity
extractor used to raise on the surrogate). What the channel hands Rasa is stored by the tracker
store on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from itertools import count

import pytest
from hypothesis import example, given, settings
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.resident_rest import MAX_BODY_BYTES, parse_request
from bot.inbound import clean_text
from bot.processes import Stack
from bot.settings import PROJECT_ROOT
from bot.storage.tracker_store import DatabaseUrlTrackerStore
from tests.edge_support import as_json, odd_text, raw_bodies
from tests.rasa_support import post
from tests.test_rasa_conversations import is_polite

WEBHOOK = "/webhooks/rest/webhook"
REST_FIELDS = {"sender": odd_text, "message": odd_text, "metadata": odd_text, "input_channel": odd_text}
senders = count()


def _sender() -> str:
    return f"edge-{uuid.uuid4().hex[:8]}-{next(senders)}"


# --------------------------------------------------------------------------- the parser, in process


@settings(max_examples=400)
@given(raw_bodies(REST_FIELDS))
def test_the_parser_takes_any_body_and_hands_on_only_clean_text(body: bytes) -> None:
    payload, problem = parse_request(body)
    if payload is None:
        assert problem
        return
    assert problem is None
    for value in (payload["sender"], payload.get("message") or "", payload.get("input_channel") or ""):
        assert isinstance(value, str) and value == clean_text(value)
    json.dumps(payload).encode("utf-8")  # everything in it can be written


def test_the_parser_replaces_lone_surrogates_and_nul() -> None:
    payload, _ = parse_request(b'{"sender": "a\\u0000", "message": "\\ud800\\u6f0f\\u6c34", "metadata": {"k\\u0000": "\\udfff"}}')
    assert payload == {"sender": "a\ufffd", "message": "\ufffd漏水", "metadata": {"k\ufffd": "\ufffd"}}


def test_what_the_channel_hands_rasa_is_stored_by_the_tracker_store(database_url: str) -> None:
    """On PostgreSQL too: the tracker store writes the cleaned sender and text."""
    payload, _ = parse_request(b'{"sender": "rest-\\u0000-edge", "message": "\\u71c3\\u6c14\\u0000\\ud800"}')
    store = DatabaseUrlTrackerStore(domain=Domain.load(str(PROJECT_ROOT / "domain.yml")))
    tracker = DialogueStateTracker.from_events(payload["sender"], [ActionExecuted("action_listen"), UserUttered(payload["message"])])
    asyncio.run(store.save(tracker))
    restored = asyncio.run(store.retrieve(payload["sender"]))
    assert restored is not None and restored.latest_message.text == "燃气\ufffd\ufffd"
    store.engine.dispose()


# --------------------------------------------------------------------------- through a real Rasa


def test_a_lone_surrogate_or_a_nul_is_answered_and_kept(rasa_stack: Stack) -> None:
    for raw, kept in (("\\ud800\\u53a8\\u623f\\u6f0f\\u6c34", "\ufffd厨房漏水"), ("\\u6f0f\\u0000\\u6c34", "漏\ufffd水")):
        sender = _sender()
        status, replies = post(rasa_stack.rasa_port, WEBHOOK, f'{{"sender": "{sender}", "message": "{raw}"}}'.encode())
        assert status == 200 and replies and all(is_polite(r.get("text", "")) for r in replies), replies
        status, tracker = _tracker(rasa_stack, sender)
        assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == [kept]


def _tracker(stack: Stack, sender: str) -> tuple[int, dict]:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{stack.rasa_port}/conversations/{sender}/tracker", timeout=30) as reply:
        return reply.status, json.loads(reply.read())


@pytest.mark.parametrize("command", ["/", "/nonexistent_intent", '/rate{"rating": 5}', '/inform{"phone": ["x"]}', "/repair{bad", "/affirm"])
def test_commands_of_any_shape_get_an_answer(rasa_stack: Stack, command: str) -> None:
    status, replies = post(rasa_stack.rasa_port, WEBHOOK, {"sender": _sender(), "message": command})
    assert status == 200 and isinstance(replies, list), replies


def test_an_oversized_body_gets_a_polite_413(rasa_stack: Stack) -> None:
    body = as_json({"sender": _sender(), "message": "漏" * MAX_BODY_BYTES}).encode()
    status, replies = post(rasa_stack.rasa_port, WEBHOOK, body)
    assert status == 413 and is_polite(replies[0]["text"])


@settings(max_examples=30)
@given(raw_bodies(REST_FIELDS))
@example(b'{"sender": "edge-x", "message": "hi", "input_channel": 5}')
@example(b'{"sender": "edge-y", "message": "hi", "metadata": {"a": 1e400}}')
def test_any_body_gets_an_answer_and_never_a_server_error(rasa_stack: Stack, body: bytes) -> None:
    status, replies = post(rasa_stack.rasa_port, WEBHOOK, body)
    assert status in (200, 400), (status, replies)
    assert isinstance(replies, list)
    if status == 400:
        assert is_polite(replies[0]["text"])


@settings(max_examples=25)
@given(odd_text)
def test_odd_but_valid_text_is_answered_and_kept(rasa_stack: Stack, text: str) -> None:
    sender = _sender()
    body = as_json({"sender": sender, "message": text}).encode()
    status, replies = post(rasa_stack.rasa_port, WEBHOOK, body)
    assert status == 200 and isinstance(replies, list), replies
    kept = clean_text(json.loads(body)["message"]).strip()  # Rasa strips a message (UserMessage)
    if kept:
        _, tracker = _tracker(rasa_stack, sender)
        assert [e["text"] for e in tracker["events"] if e["event"] == "user"][-1] == kept
