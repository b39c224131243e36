"""Client message ids and resync after a reconnect (issue 10 §8, issue 11 §2).

- storage (SQLite and PostgreSQL): a client id is stored once per conversation, the unique index
  decides, messages without one are unconstrained; ``history(after=…)``;
- a real gateway with the relay's stand-in Rasa (it counts turns): a resend after a dropped socket
  is echoed with the stored message and runs no second Rasa turn (no double message, no double
  ticket); a resent photo is stored and acknowledged once; a refused message names its client id;
- two gateway processes on one database (SQLite and PostgreSQL) receiving the same resend at once:
  one message, one turn, both sockets echoed;
- ``?after=`` for the resident and the console, and bad values answered with a polite 400.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import websockets
from sqlalchemy.exc import IntegrityError

from bot import texts
from bot.conversations.lifecycle import ensure_conversation
from bot.gateway.transcript import MAX_MESSAGE_ID, by_client_id, history, parse_after, store
from bot.storage import session_scope, upgrade
from bot.storage.models import Attachment, HandoffRequest, Message, Ticket
from tests.gateway_support import login, make_agent, resident_session, running_gateway, ws_url
from tests.standin_rasa import StandInRasa
from tests.test_gateway_widget_api import png

BAD_REQUEST_REPLY, RATE_LIMIT_REPLY = texts.render("message.bad_request"), texts.render("message.too_fast")
BAD_AFTERS = ["-1", "abc", "1e3", "1.5", " 1", "+1", "", "０", str(MAX_MESSAGE_ID + 1), "9" * 30]


# --------------------------------------------------------------------------- storage, both databases


def test_a_client_id_is_stored_once_per_conversation(database_url: str) -> None:
    with session_scope() as session:
        first = store(session, "r1", "resident", "楼道灯不亮", client_id="c-1")
        store(session, "r2", "resident", "楼道灯不亮", client_id="c-1")  # another conversation's id space
        store(session, "r1", "bot", "收到")  # no client id: any number of them
        store(session, "r1", "bot", "收到")
    with pytest.raises(IntegrityError), session_scope() as session:
        store(session, "r1", "resident", "楼道灯不亮", client_id="c-1")
    with session_scope() as session:
        assert by_client_id(session, "r1", "c-1") == first
        assert by_client_id(session, "r1", "c-2") is None
        assert first["client_id"] == "c-1" and history(session, "r1")[0] == first
        assert [m["client_id"] for m in history(session, "r1")] == ["c-1", None, None]
        assert session.execute(sa.select(sa.func.count()).select_from(Message)).scalar_one() == 4


def test_history_after_an_id_is_what_came_later(database_url: str) -> None:
    with session_scope() as session:
        sent = [store(session, "r1", "resident", f"第{i}条") for i in range(4)]
        store(session, "r2", "resident", "别人的")
    with session_scope() as session:
        assert history(session, "r1", after=sent[1]["id"]) == sent[2:]
        assert history(session, "r1", after=0) == sent
        assert history(session, "r1", after=sent[-1]["id"]) == []
        assert history(session, "r1", after=MAX_MESSAGE_ID) == []
        assert history(session, "r1", after=sent[0]["id"], limit=2) == sent[1:3]  # the oldest missed first


def test_after_values() -> None:
    assert parse_after(None) is None
    assert [parse_after(v) for v in ("0", "17", "007", str(MAX_MESSAGE_ID))] == [0, 17, 7, MAX_MESSAGE_ID]
    for bad in BAD_AFTERS:
        with pytest.raises(ValueError):
            parse_after(bad)


# --------------------------------------------------------------------------- a real gateway


@contextmanager
def stand_in_rasa(database_url: str) -> Iterator[StandInRasa]:
    """The stand-in Rasa (tests/standin_rasa.py): records every turn (``webhook``: the bodies
    posted), answers ``emergencies`` as the emergency action would, waits ``delay`` seconds before
    each answer."""
    with StandInRasa(database_url=database_url) as rasa:
        yield rasa


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, StandInRasa, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('clientids') / 'gw.db'}"
    upgrade(url)
    make_agent(url, "丁")
    with stand_in_rasa(url) as fake:
        log = tmp_path_factory.mktemp("log") / "gw.log"
        with running_gateway(url, fake.url, log, GATEWAY_RATE_LIMIT="3", GATEWAY_RATE_WINDOW="60") as base:
            yield base, fake, url


def turns(fake: StandInRasa, sender: str) -> list[str]:
    return [body["message"] for body in fake.webhook if body["sender"] == sender]


def rows(url: str, model: type, conversation_id: str) -> list[Any]:
    with session_scope(url) as session:
        return list(session.execute(sa.select(model).where(model.conversation_id == conversation_id).order_by(model.id)).scalars())


async def frames_until_quiet(socket: Any, quiet: float) -> list[dict]:
    """Every frame until none arrives for ``quiet`` seconds."""
    frames: list[dict] = []
    try:
        while True:
            frames.append(json.loads(await asyncio.wait_for(socket.recv(), quiet)))
    except asyncio.TimeoutError:
        return frames


async def frames_until(socket: Any, done: Any, quiet: float = 1.5, timeout: float = 20) -> list[dict]:
    """Frames until ``done(frame)``, then whatever else arrives within ``quiet`` seconds."""
    frames: list[dict] = []
    while True:
        frames.append(json.loads(await asyncio.wait_for(socket.recv(), timeout)))
        if done(frames[-1]):
            break
    return frames + await frames_until_quiet(socket, quiet)


async def until(found: Any) -> None:
    """Wait (up to 15 s) until ``found()`` holds: the gateway got there."""
    for _ in range(300):
        if found():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the gateway did not get there")


def is_bot(frame: dict) -> bool:
    return frame["type"] == "message" and frame["message"]["role"] == "bot"


def test_a_resend_after_a_dropped_socket_is_echoed_not_run_again(setup: tuple[str, StandInRasa, str]) -> None:
    """The widget sent an emergency, its socket dropped before the echo; on reconnect it sends the
    same client id again: the stored message comes back, Rasa is not asked twice, one ticket."""
    base, fake, url = setup
    r = resident_session(base)
    text, client_id = "隔壁家里好像出事了 一直没人应门", str(uuid.uuid4())
    fake.emergencies.add(text)
    fake.delay = 1.0
    frame = json.dumps({"type": "message", "text": text, "client_id": client_id}, ensure_ascii=False)
    socket_url = ws_url(base, f"/ws/resident?token={r['token']}")

    def stored_as(role: str) -> bool:
        return any(m.role == role for m in rows(url, Message, r["resident_id"]))

    async def scenario() -> list[dict]:
        async with websockets.connect(socket_url) as first:
            await first.send(frame)
            await until(lambda: stored_as("resident"))  # stored, and the echo on its way
        # the connection dropped mid-turn (the stand-in takes a second), the echo never read
        await until(lambda: stored_as("bot"))  # the turn went on without the socket
        async with websockets.connect(socket_url) as second:
            await second.send(frame)
            await second.send(frame)  # twice, for good measure
            return await frames_until(second, lambda f: f["type"] == "message")

    try:
        frames = asyncio.run(scenario())
    finally:
        fake.emergencies.discard(text)
        fake.delay = 0.0
    stored = [m for m in rows(url, Message, r["resident_id"]) if m.role == "resident"]
    assert [(m.text, m.client_id) for m in stored] == [(text, client_id)]
    assert turns(fake, r["resident_id"]) == [text]
    assert len(rows(url, Ticket, r["resident_id"])) == 1 and len(rows(url, HandoffRequest, r["resident_id"])) == 1
    assert [f["type"] for f in frames] == ["message", "message"], frames  # the two echoes, and no second answer
    assert all(f["message"]["id"] == stored[0].id and f["message"]["client_id"] == client_id for f in frames)
    assert not any(f["type"] == "notice" for f in frames)  # resends are not counted by the rate limit


def test_a_live_emergency_resent_past_the_rate_limit_is_echoed_stored_once_never_refused(setup: tuple[str, StandInRasa, str]) -> None:
    """The gateway's emergency rules flag the text: no look for a stored copy before the alert's
    transaction, which finds the resend itself — one message, one queue entry, an echo per resend;
    and no "too fast" notice, whatever the rate limit (3 a minute here)."""
    base, fake, url = setup
    r = resident_session(base)
    text, client_id = "电梯困人了 我被关在里面 快来人", str(uuid.uuid4())
    fake.emergencies.add(text)
    frame = json.dumps({"type": "message", "text": text, "client_id": client_id}, ensure_ascii=False)

    async def scenario() -> list[dict]:
        async with websockets.connect(ws_url(base, f"/ws/resident?token={r['token']}&features=refused")) as socket:
            await socket.send(frame)
            await until(lambda: any(m.role == "bot" for m in rows(url, Message, r["resident_id"])))
            for _ in range(4):
                await socket.send(frame)
            return await frames_until_quiet(socket, 2.0)

    try:
        frames = asyncio.run(scenario())
    finally:
        fake.emergencies.discard(text)
    stored = [m for m in rows(url, Message, r["resident_id"]) if m.role == "resident"]
    assert [(m.text, m.client_id) for m in stored] == [(text, client_id)]
    assert turns(fake, r["resident_id"]) == [text]
    assert len(rows(url, HandoffRequest, r["resident_id"])) == 1
    echoes = [f for f in frames if f["type"] == "message" and f["message"]["id"] == stored[0].id]
    assert len(echoes) >= 4, frames  # every resend echoed (the first send's echo may have come before)
    assert not any(f["type"] == "notice" for f in frames), frames


def test_a_resident_in_danger_is_never_told_to_slow_down(setup: tuple[str, StandInRasa, str]) -> None:
    """Five live emergencies in a row, past the rate limit (3 a minute here): each is stored and
    none refused; the rate limit still holds for everything else."""
    base, fake, url = setup
    r = resident_session(base)
    texts_sent = [f"着火了 {n}楼冒烟 快来人" for n in range(1, 6)]
    fake.emergencies.update(texts_sent)

    async def scenario() -> list[dict]:
        async with websockets.connect(ws_url(base, f"/ws/resident?token={r['token']}&features=refused")) as socket:
            for text in texts_sent:
                await socket.send(json.dumps({"type": "message", "text": text, "client_id": str(uuid.uuid4())}, ensure_ascii=False))
            await until(lambda: len([m for m in rows(url, Message, r["resident_id"]) if m.role == "resident"]) == len(texts_sent))
            return await frames_until_quiet(socket, 1.0)

    try:
        frames = asyncio.run(scenario())
    finally:
        fake.emergencies.difference_update(texts_sent)
    assert sorted(m.text for m in rows(url, Message, r["resident_id"]) if m.role == "resident") == sorted(texts_sent)
    assert not any(f["type"] == "notice" and "refused" in f for f in frames), frames


def test_the_same_resend_on_two_sockets_while_a_turn_runs(setup: tuple[str, StandInRasa, str]) -> None:
    """Two tabs of one resident send the same client id while a third tab's turn holds the
    conversation: both pass the socket's look for a stored copy, so the later one is caught by the
    insert itself (the unique client id) under the turn lock. One message, one Rasa turn, both
    tabs get its echo, no error notice."""
    base, fake, url = setup
    r = resident_session(base)
    first_text, text, client_id = "请问物业费怎么交", "楼上装修太吵了", str(uuid.uuid4())
    socket_url = ws_url(base, f"/ws/resident?token={r['token']}")

    def second_answer() -> Any:
        answers: list[dict] = []
        return lambda f: is_bot(f) and answers.append(f) is None and len(answers) == 2

    async def scenario() -> tuple[list[dict], list[dict]]:
        async with websockets.connect(socket_url) as one, websockets.connect(socket_url) as two, websockets.connect(socket_url) as three:
            await one.send(json.dumps({"type": "message", "text": first_text, "client_id": "earlier-1"}, ensure_ascii=False))
            await until(lambda: any(m.role == "resident" for m in rows(url, Message, r["resident_id"])))
            frame = json.dumps({"type": "message", "text": text, "client_id": client_id}, ensure_ascii=False)
            await two.send(frame)  # both wait behind the first turn (the stand-in takes a second)
            await three.send(frame)
            return await frames_until(two, second_answer()), await frames_until(three, second_answer())

    fake.delay = 1.0
    try:
        seen_two, seen_three = asyncio.run(scenario())
    finally:
        fake.delay = 0.0
    stored = [m for m in rows(url, Message, r["resident_id"]) if m.role == "resident"]
    assert [(m.text, m.client_id) for m in stored] == [(first_text, "earlier-1"), (text, client_id)]
    assert turns(fake, r["resident_id"]) == [first_text, text]
    assert [m.role for m in rows(url, Message, r["resident_id"])].count("bot") == 2
    for frames in (seen_two, seen_three):
        echoes = [f["message"]["id"] for f in frames if f["type"] == "message" and f["message"]["client_id"] == client_id]
        assert len(echoes) >= 2 and set(echoes) == {stored[1].id}, frames  # the broadcast, and the echo of its own resend
        assert not any(f["type"] == "notice" for f in frames), frames


def test_the_echo_carries_the_client_id_and_other_messages_none(setup: tuple[str, StandInRasa, str]) -> None:
    base, fake, _ = setup
    r = resident_session(base)

    async def talk() -> list[dict]:
        async with websockets.connect(ws_url(base, f"/ws/resident?token={r['token']}")) as socket:
            await socket.send(json.dumps({"type": "message", "text": "电梯有异响", "client_id": "abc_DEF-123"}, ensure_ascii=False))
            await socket.send(json.dumps({"type": "message", "text": "不带编号的旧版消息"}, ensure_ascii=False))
            answers: list[dict] = []
            return await frames_until(socket, lambda f: is_bot(f) and answers.append(f) is None and len(answers) == 2)

    messages = [f["message"] for f in asyncio.run(talk()) if f["type"] == "message"]
    assert len(turns(fake, r["resident_id"])) == 2
    assert [(m["role"], m["client_id"]) for m in messages if m["role"] == "resident"] == [("resident", "abc_DEF-123"), ("resident", None)]
    assert all(m["client_id"] is None for m in messages if m["role"] == "bot")


@pytest.mark.parametrize("client_id", ["", "has space", "x" * 65, 42, ["a"], "中文编号"])
def test_a_malformed_client_id_gets_the_polite_notice(setup: tuple[str, StandInRasa, str], client_id: Any) -> None:
    base, fake, url = setup
    r = resident_session(base)

    async def talk() -> dict:
        async with websockets.connect(ws_url(base, f"/ws/resident?token={r['token']}")) as socket:
            await socket.send(json.dumps({"type": "message", "text": "你好", "client_id": client_id}, ensure_ascii=False))
            return json.loads(await asyncio.wait_for(socket.recv(), 20))

    assert asyncio.run(talk()) == {"type": "notice", "text": texts.render("message.malformed")}
    assert rows(url, Message, r["resident_id"]) == [] and turns(fake, r["resident_id"]) == []


def test_a_refused_message_names_its_client_id(setup: tuple[str, StandInRasa, str]) -> None:
    base, _, url = setup
    r = resident_session(base)

    async def flood() -> list[dict]:
        async with websockets.connect(ws_url(base, f"/ws/resident?token={r['token']}&features=refused")) as socket:
            for i in range(4):  # this gateway allows 3 per minute
                await socket.send(json.dumps({"text": f"第{i}条", "client_id": f"c{i}"}, ensure_ascii=False))
            await socket.send(json.dumps({"text": "第0条", "client_id": "c0"}, ensure_ascii=False))  # a resend: echoed, not refused
            return await frames_until(socket, lambda f: f["type"] == "notice")

    frames = asyncio.run(flood())
    assert [f for f in frames if f["type"] == "notice"] == [{"type": "notice", "text": RATE_LIMIT_REPLY, "refused": "第3条", "client_id": "c3"}]
    assert [m.client_id for m in rows(url, Message, r["resident_id"]) if m.role == "resident"] == ["c0", "c1", "c2"]


def test_a_resent_photo_is_stored_and_acknowledged_once(setup: tuple[str, StandInRasa, str]) -> None:
    base, _, url = setup
    r = resident_session(base)
    headers = {"Authorization": f"Bearer {r['token']}", "Content-Type": "image/png"}
    path = f"{base}/api/resident/attachments?filename=leak.png&client_id=photo-1"
    first = httpx.post(path, content=png(), headers=headers, timeout=30)
    again = httpx.post(path, content=png(), headers=headers, timeout=30)
    assert first.status_code == again.status_code == 200
    assert first.json()["message"] == again.json()["message"]
    assert first.json()["message"]["client_id"] == "photo-1"
    assert len(rows(url, Attachment, r["resident_id"])) == 1
    assert [m.role for m in rows(url, Message, r["resident_id"])] == ["resident", "bot"]  # one acknowledgement
    bad = httpx.post(f"{base}/api/resident/attachments?client_id=no%20spaces", content=png(), headers=headers, timeout=30)
    assert (bad.status_code, bad.json()) == (400, {"error": BAD_REQUEST_REPLY})
    assert len(rows(url, Attachment, r["resident_id"])) == 1


def test_history_after_for_the_resident_and_the_console(setup: tuple[str, StandInRasa, str]) -> None:
    base, _, url = setup
    r = resident_session(base)
    with session_scope(url) as session:
        ensure_conversation(session, r["resident_id"])
        sent = [store(session, r["resident_id"], "resident", f"第{i}条") for i in range(3)]
    resident = {"Authorization": f"Bearer {r['token']}"}

    def resident_history(after: str | None) -> httpx.Response:
        query = "" if after is None else f"?after={after}"
        return httpx.get(f"{base}/api/resident/history{query}", headers=resident, timeout=30)

    assert resident_history(None).json()["messages"] == sent
    assert resident_history(str(sent[0]["id"])).json()["messages"] == sent[1:]
    assert resident_history(str(sent[-1]["id"])).json()["messages"] == []
    client, _ = login(base, "丁")
    console = client.get(f"/api/agent/conversations/{r['resident_id']}", params={"after": sent[1]["id"]})
    assert console.status_code == 200 and console.json()["messages"] == sent[2:]
    assert console.json()["capabilities"] and "tickets" in console.json()
    assert resident_history("").json()["messages"] == sent  # "?after=" with nothing: not asked
    for bad in [value for value in BAD_AFTERS if value]:
        answer = resident_history(bad)
        assert (answer.status_code, answer.json()) == (400, {"error": BAD_REQUEST_REPLY}), bad
        answer = client.get(f"/api/agent/conversations/{r['resident_id']}", params={"after": bad})
        assert answer.status_code == 400 and answer.json()["error"], bad
    assert httpx.get(f"{base}/api/resident/history?after=abc", timeout=30).status_code == 401  # no token: still 401 first


# --------------------------------------------------------------------------- two gateways racing


def test_two_gateways_racing_the_same_resend(database_url: str, tmp_path: Path) -> None:
    """The same client id reaches two gateway processes at once (the widget resent it while its
    first socket's frame was still on the way): the unique index decides; one message, one turn,
    and both sockets see the stored message."""
    with stand_in_rasa(database_url) as fake, ExitStack() as stack:
        fake.delay = 0.3  # the turn is still running when the other process stores its copy
        bases = [
            stack.enter_context(running_gateway(database_url, fake.url, tmp_path / f"gw{i}.log", GATEWAY_RATE_LIMIT="100"))
            for i in range(2)
        ]
        r = resident_session(bases[0])
        sent: list[tuple[str, str]] = []

        async def race(text: str, client_id: str) -> list[list[dict]]:
            frame = json.dumps({"type": "message", "text": text, "client_id": client_id}, ensure_ascii=False)
            sockets = [await websockets.connect(ws_url(base, f"/ws/resident?token={r['token']}")) for base in bases]
            try:
                await asyncio.gather(*(socket.send(frame) for socket in sockets))
                return list(
                    await asyncio.gather(
                        *(frames_until(s, lambda f: f["type"] == "message" and f["message"]["client_id"] == client_id, quiet=0.5) for s in sockets)
                    )
                )
            finally:
                await asyncio.gather(*(socket.close() for socket in sockets))

        for i in range(5):
            text, client_id = f"楼道第{i}层的灯不亮", f"race-{i}"
            seen = asyncio.run(race(text, client_id))
            sent.append((text, client_id))
            # each socket got the stored message for this client id, the same one, once
            echoed = [[f["message"]["id"] for f in frames if f["type"] == "message" and f["message"]["client_id"] == client_id] for frames in seen]
            assert len(echoed[0]) == len(echoed[1]) == 1 and echoed[0] == echoed[1], echoed
    resident = [m for m in rows(database_url, Message, r["resident_id"]) if m.role == "resident"]
    assert [(m.text, m.client_id) for m in resident] == sent
    assert turns(fake, r["resident_id"]) == [text for text, _ in sent]
