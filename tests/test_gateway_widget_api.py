"""The widget's server side: photo upload and serving, linking photos to tickets (SQLite and
PostgreSQL), the satisfaction rating, typing frames. A real gateway process on SQLite; Rasa is
deliberately unreachable (a photo never goes to Rasa; the typing frames bracket the failed call)."""

from __future__ import annotations

import asyncio
import json
import struct
import zlib
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
import websockets

from bot import texts
from bot.conversations.lifecycle import request_handoff
from bot.conversations.status import Priority
from bot.gateway.attachments import MAX_BYTES, MAX_MB, sniff, store_photo
from bot.gateway.ratings import bad_level_reply
from bot.storage import session_scope, upgrade
from bot.storage.models import Attachment, Message, SatisfactionRating, Ticket
from bot.tickets.rules import REPAIR_DEADLINES
from bot.tickets.service import NewTicket, create_ticket
from tests.gateway_support import cookie_header, login, make_agent, resident_session, running_gateway, ws_url
from tests.standin_rasa import unreachable_url

UNLINKED_REPLY, WRONG_TYPE_REPLY = texts.render("photo.unlinked"), texts.render("photo.wrong_type")
TOO_LARGE_REPLY = texts.render("photo.too_large", max_mb=MAX_MB)
RATE_LIMIT_REPLY, RASA_DOWN_REPLY = texts.render("message.too_fast"), texts.render("message.assistant_busy")
NOT_RESOLVED_REPLY, ALREADY_RATED_REPLY = texts.render("rating.not_resolved"), texts.render("rating.already_rated")
BAD_LEVEL_REPLY = bad_level_reply()


def linked_reply(number: str) -> str:
    return texts.render("photo.linked", number=number)


def png(width: int = 2, height: int = 2) -> bytes:
    """A real (decodable) RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x1a\x7b\xd5" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def ticket_for(conversation_id: str) -> NewTicket:
    return NewTicket(
        category="repair",
        subcategory="漏水",
        priority="一般",
        description="卫生间漏水",
        department="工程部",
        deadlines=REPAIR_DEADLINES["一般"],
        address="3-2-102",
        contact_phone="13800138000",
        conversation_id=conversation_id,
    )


@pytest.fixture(scope="module")
def gateway_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database this module's gateway process uses (not conftest's per-test ``db``)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('widgetapi') / 'gw.db'}"
    upgrade(url)
    make_agent(url, "小李")
    return url


@pytest.fixture(scope="module")
def base(gateway_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("gwlog") / "gateway.log"
    with running_gateway(gateway_database, unreachable_url(), log) as url:
        yield url


def upload(base: str, token: str | None, data: bytes, content_type: str = "image/png", filename: str = "漏水.png") -> httpx.Response:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(f"{base}/api/resident/attachments", params={"filename": filename}, content=data, headers=headers, timeout=60)


def rows(gateway_database: str, model: type, conversation_id: str) -> list:
    with session_scope(gateway_database) as session:
        return list(session.execute(sa.select(model).where(model.conversation_id == conversation_id)).scalars())


# --------------------------------------------------------------------------- sniffing


def test_types_are_decided_by_the_bytes() -> None:
    assert sniff(png()) == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0" + b"\x00" * 20) == "image/jpeg"
    assert sniff(b"GIF89a" + b"\x00" * 10) == "image/gif"
    assert sniff(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == "image/webp"
    for bad in (b"", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"%PDF-1.7", b"RIFF\x10\x00\x00\x00WAVE", b"GIF90a"):
        assert sniff(bad) is None


# --------------------------------------------------------------------------- upload over HTTP


def test_good_photo_is_stored_served_to_its_owner_and_acknowledged(base: str, gateway_database: str) -> None:
    alice, bob = resident_session(base), resident_session(base)
    image = png()
    reply = upload(base, alice["token"], image, content_type="image/jpeg", filename="C:\\相册\\漏水.png")
    assert reply.status_code == 200, reply.text
    message = reply.json()["message"]
    attachment = message["attachment"]
    assert set(attachment) == {"id", "url", "content_type", "filename"}
    assert attachment["content_type"] == "image/png"  # the bytes decide, not the header
    assert attachment["filename"] == "漏水.png" and attachment["url"] == f"/api/attachments/{attachment['id']}"
    assert message["role"] == "resident" and message["text"] == "[图片]"

    (row,) = rows(gateway_database, Attachment, alice["resident_id"])
    assert row.data == image and row.size == len(image) and row.message_id == message["id"] and row.ticket_id is None
    stored = rows(gateway_database, Message, alice["resident_id"])
    assert [(m.role, m.text) for m in stored] == [("resident", "[图片]"), ("bot", UNLINKED_REPLY)]  # Rasa not asked

    history = httpx.get(f"{base}/api/resident/history", headers={"Authorization": f"Bearer {alice['token']}"}).json()["messages"]
    assert history[0]["attachment"] == attachment

    url = base + attachment["url"]
    own = httpx.get(url, params={"token": alice["token"]})
    assert own.status_code == 200 and own.content == image
    assert own.headers["content-type"] == "image/png" and own.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(url, params={"token": bob["token"]}).status_code == 404
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, params={"token": alice["resident_id"] + "." + "0" * 64}).status_code == 401
    assert httpx.get(f"{base}/api/attachments/999999", params={"token": alice["token"]}).status_code == 404
    agent, _ = login(base, "小李")
    assert agent.get(attachment["url"]).content == image


@pytest.mark.parametrize(
    ("data", "content_type", "status", "error"),
    [
        (b"just some text, not a photo", "image/jpeg", 415, WRONG_TYPE_REPLY),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml", 415, WRONG_TYPE_REPLY),
        (b"\xff\xd8\xff\xe0" + b"\x00" * MAX_BYTES, "image/jpeg", 413, TOO_LARGE_REPLY),
    ],
    ids=["text-as-jpeg", "svg", "oversize"],
)
def test_refused_uploads_answer_politely_and_store_nothing(base: str, gateway_database: str, data: bytes, content_type: str, status: int, error: str) -> None:
    r = resident_session(base)
    reply = upload(base, r["token"], data, content_type=content_type)
    assert reply.status_code == status and reply.json() == {"error": error}
    assert rows(gateway_database, Message, r["resident_id"]) == [] and rows(gateway_database, Attachment, r["resident_id"]) == []


def test_upload_needs_a_valid_token(base: str, gateway_database: str) -> None:
    r = resident_session(base)
    assert upload(base, None, png()).status_code == 401
    assert upload(base, r["resident_id"] + "." + "f" * 64, png()).status_code == 401
    assert upload(base, r["token"], b"").status_code == 400
    assert rows(gateway_database, Attachment, r["resident_id"]) == []


def test_photo_joins_the_existing_ticket_and_reaches_the_agent(base: str, gateway_database: str) -> None:
    r = resident_session(base)
    rid = r["resident_id"]
    with session_scope(gateway_database) as session:
        number = create_ticket(session, ticket_for(rid)).number
        request_handoff(session, rid, reason="request_human", priority=Priority.NORMAL, summary="漏水")
    client, csrf = login(base, "小李")
    assert client.post(f"/api/agent/conversations/{rid}/claim", headers={"X-CSRF-Token": csrf}).status_code == 200
    cookie = cookie_header(client)

    async def agent_sees_photo() -> dict:
        async with websockets.connect(ws_url(base, "/ws/agent"), extra_headers={"Cookie": cookie}) as socket:
            await asyncio.wait_for(socket.recv(), 10)  # the queue
            reply = await asyncio.to_thread(upload, base, r["token"], png(3, 3))
            assert reply.status_code == 200, reply.text
            while True:
                frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
                if frame["type"] == "message":
                    return frame["message"]

    seen = asyncio.run(agent_sees_photo())
    assert seen["conversation_id"] == rid and seen["attachment"]["content_type"] == "image/png"
    (row,) = rows(gateway_database, Attachment, rid)
    with session_scope(gateway_database) as session:
        assert session.get(Ticket, row.ticket_id).number == number
    assert [m.role for m in rows(gateway_database, Message, rid)][-1] == "resident"  # an agent has it: no bot acknowledgement
    assert linked_reply(number) not in [m.text for m in rows(gateway_database, Message, rid)]


def test_bot_acknowledges_a_photo_for_an_existing_ticket(base: str, gateway_database: str) -> None:
    r = resident_session(base)
    with session_scope(gateway_database) as session:
        number = create_ticket(session, ticket_for(r["resident_id"])).number
    assert upload(base, r["token"], png()).status_code == 200
    assert rows(gateway_database, Message, r["resident_id"])[-1].text == linked_reply(number)


# --------------------------------------------------------------------------- rating


def test_rating_once_per_resolution(base: str, gateway_database: str) -> None:
    r = resident_session(base)
    rid, auth = r["resident_id"], {"Authorization": f"Bearer {r['token']}"}
    rate = lambda body: httpx.post(f"{base}/api/resident/rating", json=body, headers=auth)  # noqa: E731
    assert rate({"level": "满意"}).json() == {"error": NOT_RESOLVED_REPLY}
    with session_scope(gateway_database) as session:
        request_handoff(session, rid, reason="request_human", priority=Priority.NORMAL)
    client, csrf = login(base, "小李")
    for step in ("claim", "resolve"):
        assert client.post(f"/api/agent/conversations/{rid}/{step}", headers={"X-CSRF-Token": csrf}).status_code == 200
    resolution = rows(gateway_database, Message, rid)[-1]
    assert resolution.payload["event"] == "resolved"

    assert httpx.post(f"{base}/api/resident/rating", json={"level": "满意"}).status_code == 401
    bad = rate({"level": "还行"})
    assert bad.status_code == 400 and bad.json() == {"error": BAD_LEVEL_REPLY}
    assert rate({"level": "满意", "resolution": resolution.id + 1000}).status_code == 409
    assert rows(gateway_database, SatisfactionRating, rid) == []

    good = rate({"level": "满意", "resolution": resolution.id})
    assert good.status_code == 200, good.text
    assert good.json()["message"]["event"] == "rated" and "满意" in good.json()["message"]["text"]
    again = rate({"level": "很不满意", "resolution": resolution.id})
    assert again.status_code == 409 and again.json() == {"error": ALREADY_RATED_REPLY}
    (rating,) = rows(gateway_database, SatisfactionRating, rid)
    assert (rating.level, rating.score, rating.source) == ("满意", 4, "widget")

    # A new resolution may be rated again.
    with session_scope(gateway_database) as session:
        request_handoff(session, rid, reason="request_human", priority=Priority.NORMAL)
    for step in ("claim", "resolve"):
        assert client.post(f"/api/agent/conversations/{rid}/{step}", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert rate({"level": "很不满意"}).status_code == 200
    assert sorted(x.score for x in rows(gateway_database, SatisfactionRating, rid)) == [1, 4]


# --------------------------------------------------------------------------- typing frames


def test_typing_frames_bracket_the_rasa_call_for_sockets_that_ask(base: str) -> None:
    r = resident_session(base)

    async def talk() -> list[dict]:
        frames: list[dict] = []
        async with websockets.connect(ws_url(base, f"/ws/resident?token={r['token']}&features=typing")) as socket:
            await socket.send(json.dumps({"text": "电梯坏了"}))
            while len(frames) < 4:
                frames.append(json.loads(await asyncio.wait_for(socket.recv(), 30)))
        return frames

    frames = asyncio.run(talk())
    assert [f["type"] for f in frames] == ["message", "typing", "typing", "message"]
    assert frames[1]["on"] is True and frames[2]["on"] is False
    assert frames[3]["message"]["text"] == RASA_DOWN_REPLY


# --------------------------------------------------------------------------- linking, both databases


def test_photos_are_linked_to_the_conversations_ticket(database_url: str) -> None:
    with session_scope(database_url) as session:
        early = store_photo(session, "conv-a", png(), "a.png")
        other = store_photo(session, "conv-b", png(), "b.png")
        assert early.ticket_number is None
    with session_scope(database_url) as session:
        first = create_ticket(session, ticket_for("conv-a"))
        first_id, first_number = first.id, first.number
    with session_scope(database_url) as session:
        attachment_of = {a.message_id: a for a in session.execute(sa.select(Attachment)).scalars()}
        assert attachment_of[early.message["id"]].ticket_id == first_id  # picked up when the ticket was created
        assert attachment_of[other.message["id"]].ticket_id is None  # another conversation's photo is not
        assert bytes(attachment_of[early.message["id"]].data) == png()
    with session_scope(database_url) as session:
        later = store_photo(session, "conv-a", png(4, 4), "c.png")
        assert later.ticket_number == first_number
        second = create_ticket(session, ticket_for("conv-a"))
        second_id = second.id
    with session_scope(database_url) as session:
        latest = store_photo(session, "conv-a", png(5, 5), "d.png")
        attachment_of = {a.message_id: a for a in session.execute(sa.select(Attachment)).scalars()}
        assert attachment_of[later.message["id"]].ticket_id == first_id  # already linked: stays
        assert attachment_of[latest.message["id"]].ticket_id == second_id  # the most recent ticket
        message = session.get(Message, latest.message["id"])
        assert message.payload["attachment"]["id"] == attachment_of[latest.message["id"]].id


def test_rate_limited_text_is_given_back_to_sockets_that_ask(base: str, gateway_database: str) -> None:
    r = resident_session(base)

    async def flood() -> list[dict]:
        notices: list[dict] = []
        async with websockets.connect(ws_url(base, f"/ws/resident?token={r['token']}&features=refused")) as socket:
            for i in range(21):  # the gateway's default limit is 20 per 10 s
                await socket.send(json.dumps({"text": f"第{i}条留言"}))
            received = 0
            while received < 20 * 2 + 1:  # echo + polite reply each, and one notice
                frame = json.loads(await asyncio.wait_for(socket.recv(), 30))
                received += 1
                if frame["type"] == "notice":
                    notices.append(frame)
        return notices

    assert asyncio.run(flood()) == [{"type": "notice", "text": RATE_LIMIT_REPLY, "refused": "第20条留言"}]
    assert "第20条留言" not in [m.text for m in rows(gateway_database, Message, r["resident_id"])]
