"""The ``messages`` table on SQLite and PostgreSQL: what ``store`` hands to the browsers is what
a reload reads back, payloads included."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from bot.gateway.transcript import history, store
from bot.storage import session_scope
from bot.storage.models import Message


def test_stored_frames_are_what_history_reads_back(database_url: str) -> None:
    with session_scope() as session:
        sent = [
            store(session, "r1", "resident", "厨房漏水了"),
            store(session, "r1", "bot", "请问您的房号是？", {"buttons": [{"title": "确认", "payload": "/affirm"}]}),
            store(session, "r2", "resident", "别人的会话"),
            store(session, "r1", "agent", "您好，我是客服小王。", {"agent": "小王"}),
        ]
    with session_scope() as session:
        assert history(session, "r1") == [sent[0], sent[1], sent[3]]
        assert history(session, "r2") == [sent[2]]
        without_payload = session.execute(sa.select(Message.payload).where(Message.id == sent[0]["id"])).scalar_one()
    assert sent[0]["id"] < sent[1]["id"] < sent[2]["id"] < sent[3]["id"]
    assert sent[1]["buttons"] == [{"title": "确认", "payload": "/affirm"}] and sent[3]["agent"] == "小王"
    assert without_payload is None
    assert datetime.fromisoformat(sent[0]["created_at"]).utcoffset() is not None


def test_a_refused_role_stores_nothing(database_url: str) -> None:
    try:
        with session_scope() as session:
            store(session, "r1", "resident", "你好")
            store(session, "r1", "hacker", "x")
    except ValueError:
        pass
    else:
        raise AssertionError("an unknown role was stored")
    with session_scope() as session:
        assert history(session, "r1") == []
