"""The stand-in Rasa (tests/standin_rasa.py) answers as Rasa's HTTP API does for the calls the
product makes, so the tests that use it stand on what it promises: replies per text, a pause after a
handoff until ``resume``, the tracker, ``PUT /model``, failures, going down and coming back."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
import sqlalchemy as sa

from bot.conversations.lifecycle import conversation_status
from bot.storage import session_scope
from bot.storage.models import HandoffRequest, Ticket
from tests.standin_rasa import StandInRasa, unreachable_url


def call(url: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            raw = reply.read()
            return reply.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def say(rasa: StandInRasa, sender: str, text: str) -> list[dict[str, Any]]:
    status, reply = call(f"{rasa.url}/webhooks/rest/webhook", "POST", {"sender": sender, "message": text})
    assert status == 200, reply
    return reply


def test_replies_per_text_echo_otherwise_and_everything_is_recorded(standin_rasa: StandInRasa) -> None:
    standin_rasa.replies["我家漏水"] = [{"text": "请确认", "buttons": [{"title": "确认", "payload": "/affirm"}]}]
    assert say(standin_rasa, "r1", "我家漏水") == [{"recipient_id": "r1", "text": "请确认", "buttons": [{"title": "确认", "payload": "/affirm"}]}]
    assert say(standin_rasa, "r1", "你好") == [{"recipient_id": "r1", "text": "收到：你好"}]
    assert standin_rasa.webhook == [{"sender": "r1", "message": "我家漏水"}, {"sender": "r1", "message": "你好"}]
    status, tracker = call(f"{standin_rasa.url}/conversations/r1/tracker")
    assert status == 200 and [e["text"] for e in tracker["events"] if e["event"] == "user"] == ["我家漏水", "你好"]
    assert call(f"{standin_rasa.url}/conversations/r1/tracker?include_events=NONE")[1]["events"] is None


def test_a_handoff_goes_through_the_real_intake_and_pauses_until_resume(db: str) -> None:
    with StandInRasa(database_url=db, handoffs={"转人工"}, slots={"r2": {"address": "3-2-102"}}) as rasa:
        assert say(rasa, "r2", "转人工")[0]["text"]
        with session_scope(db) as session:
            assert conversation_status(session, "r2") == "pending"
            assert session.execute(sa.select(HandoffRequest.reason)).scalars().all() == ["request_human"]
        assert say(rasa, "r2", "我还在等") == []  # paused: recorded, not answered
        status, _ = call(f"{rasa.url}/conversations/r2/tracker/events?include_events=NONE", "POST", [{"event": "resume"}])
        assert status == 200 and rasa.appended("r2") == [[{"event": "resume"}]]
        assert say(rasa, "r2", "好的") == [{"recipient_id": "r2", "text": "收到：好的"}]
        assert call(f"{rasa.url}/conversations/r2/tracker")[1]["slots"] == {"address": "3-2-102"}


def test_an_emergency_goes_through_the_real_intake(db: str) -> None:
    with StandInRasa(database_url=db, emergencies={"厨房着火了 快来人"}) as rasa:
        [reply] = say(rasa, "r3", "厨房着火了 快来人")
    with session_scope(db) as session:
        ticket = session.execute(sa.select(Ticket)).scalar_one()
        assert ticket.number in reply["text"] and (ticket.category, ticket.subcategory) == ("emergency", "fire")
        assert session.execute(sa.select(HandoffRequest.reason)).scalars().all() == ["emergency"]


def test_put_model_status_and_failures(standin_rasa: StandInRasa) -> None:
    assert call(f"{standin_rasa.url}/model", "PUT", {"model_file": "/models/a.tar.gz"}) == (204, None)
    assert standin_rasa.loads == ["/models/a.tar.gz"]
    assert call(f"{standin_rasa.url}/status")[1]["model_file"] == "/models/a.tar.gz"
    standin_rasa.failure = 500
    assert call(f"{standin_rasa.url}/webhooks/rest/webhook", "POST", {"sender": "r4", "message": "你好"})[0] == 500
    standin_rasa.failure = None
    url = standin_rasa.url
    standin_rasa.go_down()
    with pytest.raises(urllib.error.URLError):
        call(f"{url}/status")
    standin_rasa.come_back()
    assert standin_rasa.url == url and call(f"{url}/status")[0] == 200
    with pytest.raises(urllib.error.URLError):
        call(f"{unreachable_url()}/status")


def test_a_held_reply_waits_for_release(standin_rasa: StandInRasa) -> None:
    standin_rasa.hold_containing = "慢"
    standin_rasa.release.clear()
    replies: list[Any] = []
    worker = threading.Thread(target=lambda: replies.append(say(standin_rasa, "r5", "请慢慢看")))
    worker.start()
    worker.join(0.5)
    assert worker.is_alive() and replies == []
    standin_rasa.release.set()
    worker.join(10)
    assert replies == [[{"recipient_id": "r5", "text": "收到：请慢慢看"}]]
