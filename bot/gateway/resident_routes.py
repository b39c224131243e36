"""Resident endpoints: ``GET /api/resident/config`` (the widget's texts and limits),
``POST /api/resident/session``, ``GET /api/resident/history[?after=<message id>]``, ``/ws/resident``,
``POST /api/resident/attachments?filename=…&client_id=…`` (a photo), ``GET /api/attachments/<id>``,
``POST /api/resident/rating``.

Messages carry the widget's ``client_id`` (frames: ``bot.gateway.frames``); a resend of a stored
one is echoed before the rate limit counts it, so a reconnecting outbox is never refused for
messages the server already holds. After a reconnect the widget asks for ``?after=`` the last id
it shows."""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from bot import communities, texts
from bot.conversations.events import Posted
from bot.gateway import attachments, ratings
from bot.gateway.agent_auth import REFUSALS, current_account, refusal
from bot.gateway.draining import RESTART_CLOSE_CODE, RESTART_CLOSE_REASON
from bot.gateway.errors import ErrorResponse, frame_errors
from bot.gateway.frames import ResidentFrame, parse
from bot.gateway.offloop import in_session
from bot.gateway.relay import (
    FEATURES,
    KNOWN_FEATURES,
    echo_stored,
    emergency_rules,
    handle_resident_photo,
    handle_resident_text,
    outlive_the_socket,
    stored_message,
    wants,
)
from bot.gateway.state import Gateway
from bot.gateway.tokens import new_resident_id, sign, verify
from bot.gateway.transcript import history, parse_after, valid_client_id
from bot.gateway.visibility import sees_conversation
from bot.gateway.web import bearer_token, json_body, receive, release, same_origin, text_field
from bot.gateway.widget_config import widget_config
from bot.roles import CONSOLE_ROLES
from bot.storage import session_scope
from bot.storage.models import Conversation

logger = logging.getLogger(__name__)
bp = Blueprint("resident")


def _gateway(request: Request) -> Gateway:
    return request.app.ctx.gateway


@bp.get("/api/resident/config")
async def config(request: Request) -> HTTPResponse:
    """The widget's texts, limits and satisfaction levels; public, so any page may embed the widget."""
    return response.json(widget_config(), headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"})


@bp.post("/api/resident/session")
async def session(request: Request) -> HTTPResponse:
    """Keep a valid token, or issue a new random resident id and its token; the conversation
    belongs to the community the widget was opened for (``community``: its slug; none: the
    token's own community, else the default one). A token whose conversation belongs to another
    community than the one asked for is not reused: the resident gets a new conversation there,
    and never sees the other community's (issue 13 §6)."""
    secret = _gateway(request).config.secret
    body = json_body(request)
    token = body.get("token")
    slug = text_field(body, "community").strip()
    known = verify(secret, token)
    found = await in_session(_open_session, known, slug)
    if found is None:
        return response.json({"error": texts.render("message.unknown_community")}, status=404)
    resident_id, community = found
    if resident_id != known:
        token = sign(secret, resident_id)
    return response.json({"resident_id": resident_id, "token": token, "community": community.public()})


def _open_session(db: Session, resident_id: str | None, slug: str) -> tuple[str, communities.CommunityRecord] | None:
    """The resident's conversation (a new one when ``resident_id`` is None or, asked for another
    community, already started in its own) bound to its community: (resident id, community); None
    for an unknown community. One transaction, in a worker thread (bot.gateway.offloop): residents
    arrive while others chat."""
    wanted = communities.community_by_slug(db, slug) if slug else None
    if slug and wanted is None:
        return None
    if resident_id is not None and wanted is not None and communities.community_id_of_conversation(db, resident_id) != wanted.id and _started(db, resident_id):
        resident_id = None  # that conversation is another community's
    if resident_id is None:
        resident_id = new_resident_id()
    target = wanted or communities.community_of_conversation(db, resident_id)
    community = communities.get_community(db, communities.bind_conversation(db, resident_id, target.id))
    assert community is not None
    return resident_id, community


def _started(db, resident_id: str) -> bool:  # type: ignore[no-untyped-def]
    """The conversation exists (a row: it belongs to a community already)."""
    return db.execute(sa.select(Conversation.id).where(Conversation.id == resident_id)).first() is not None


@bp.get("/api/resident/history")
async def resident_history(request: Request) -> HTTPResponse:
    """The conversation (its last 1000 messages), or with ``?after=<id>`` the messages stored
    after that id, oldest first (what a reconnecting widget missed)."""
    resident_id = verify(_gateway(request).config.secret, bearer_token(request))
    if resident_id is None:
        return response.json({"error": texts.render("message.unauthorized")}, status=401)
    try:
        after = parse_after(request.args.get("after"))
    except ValueError:
        return response.json({"error": texts.render("message.bad_request")}, status=400)
    with session_scope() as db:
        return response.json({"resident_id": resident_id, "messages": history(db, resident_id, after=after)})


@bp.websocket("/ws/resident")
async def resident_socket(request: Request, ws) -> None:  # type: ignore[no-untyped-def]
    gateway = _gateway(request)
    resident_id = verify(gateway.config.secret, request.args.get("token"))
    if resident_id is None or not same_origin(request):
        await ws.close(code=4401, reason="unauthorized")
        return
    if gateway.drain.draining:  # this gateway is stopping: the widget reconnects (to another one)
        await ws.close(code=RESTART_CLOSE_CODE, reason=RESTART_CLOSE_REASON)
        return
    sockets = gateway.hub.residents[resident_id]
    sockets.add(ws)
    FEATURES[ws] = KNOWN_FEATURES.intersection(request.args.get("features", "").split(","))
    try:
        while True:
            raw = await receive(ws)
            if raw is None:
                break
            # A SIGTERM's drain waits until this frame is handled; an unexpected error is logged and
            # answered with a polite notice, and the socket stays open (bot.gateway.errors).
            async with gateway.drain.turn(), frame_errors(ws):
                frame = parse(raw)
                if not isinstance(frame, ResidentFrame):
                    await ws.send(json.dumps({"type": "notice", "text": frame}, ensure_ascii=False))
                    continue
                emergency = emergency_rules(frame.text, frame.command)
                live = emergency is not None and emergency.is_emergency
                # A live emergency goes to its alert without a look for a stored copy first (a read
                # in a worker thread, which may queue behind others): the alert's own transaction
                # finds a resend by its unique client id, echoes it and alerts nobody twice. Nor is
                # a resident in danger ever told to slow down: the rate limit is for the rest.
                if not live and await echo_stored(gateway, resident_id, frame.client_id):
                    continue  # a resend of a stored message: echoed, not counted, not run again
                if not live and not await gateway.limiter.allow_async(resident_id):
                    notice = {"type": "notice", "text": texts.render("message.too_fast")}
                    if wants(ws, "refused"):
                        notice["refused"] = frame.text
                        if frame.client_id:
                            notice["client_id"] = frame.client_id
                    await ws.send(json.dumps(notice, ensure_ascii=False))
                    continue
                await outlive_the_socket(gateway, handle_resident_text(gateway, resident_id, frame.text, frame.command, frame.client_id, emergency))
    finally:
        sockets.discard(ws)
        release(ws)  # a closed tab leaves nothing pending (bot.gateway.web.receive)


# Bytes read (and thrown away) past the limit so the browser gets the polite answer, not a reset.
DRAIN_LIMIT = 4 * attachments.MAX_BYTES


async def _read_body(request: Request) -> bytes:
    """The streamed body, at most ``MAX_BYTES + 1`` of it kept."""
    kept = bytearray()
    total = 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            break
        total += len(chunk)
        if len(kept) <= attachments.MAX_BYTES:
            kept += chunk[: attachments.MAX_BYTES + 1 - len(kept)]
        if total > DRAIN_LIMIT:
            break
    return bytes(kept)


@bp.post("/api/resident/attachments", stream=True)
async def upload_photo(request: Request) -> HTTPResponse:
    """A photo as the raw request body (``?filename=``, ``?client_id=`` optional), Bearer token of
    the resident. A resent upload with a stored ``client_id`` answers the stored message."""
    gateway = _gateway(request)
    resident_id = verify(gateway.config.secret, bearer_token(request))
    data = await _read_body(request)
    if resident_id is None:
        return response.json({"error": texts.render("message.unauthorized")}, status=401)
    client_id = request.args.get("client_id")
    if client_id is not None and not valid_client_id(client_id):
        return response.json({"error": texts.render("message.bad_request")}, status=400)
    refused = attachments.problem(data)
    if refused:
        return response.json({"error": refused[1]}, status=refused[0])
    earlier = stored_message(resident_id, client_id)
    if earlier is not None:  # a resent upload: not counted again
        return response.json({"message": earlier})
    if not await gateway.limiter.allow_async(resident_id):
        return response.json({"error": texts.render("message.too_fast")}, status=429)
    message = await outlive_the_socket(gateway, handle_resident_photo(gateway, resident_id, data, request.args.get("filename"), client_id))
    return response.json({"message": message})


@bp.get("/api/attachments/<attachment_id:int>")
async def attachment(request: Request, attachment_id: int) -> HTTPResponse:
    """The photo's bytes, to its resident (``?token=``, an <img> sends no headers) or a logged-in
    account of the agent console (agent, manager; not a trainer: 403)."""
    resident_id = verify(_gateway(request).config.secret, request.args.get("token") or bearer_token(request))
    agent = None if resident_id else current_account(request)
    if resident_id is None and agent is None:
        return response.json({"error": texts.render("message.unauthorized")}, status=401)
    if agent is not None and agent.role not in CONSOLE_ROLES:
        return refusal(403, "role", REFUSALS[CONSOLE_ROLES])
    with session_scope() as db:
        found = attachments.load(db, attachment_id)
        if found is None or (agent is None and found.conversation_id != resident_id):
            return response.json({"error": texts.render("photo.not_found")}, status=404)
        if agent is not None and not sees_conversation(db, agent, found.conversation_id):  # another community's (issue 13 §6)
            return response.json({"error": texts.render("photo.not_found")}, status=404)
        data, content_type = bytes(found.data), found.content_type
    return response.raw(
        data,
        content_type=content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Content-Disposition": "inline",
        },
    )


@bp.post("/api/resident/rating")
async def rating(request: Request) -> HTTPResponse:
    """``{"level": "满意", "resolution": <id of the resolved notice>}`` with the resident's token."""
    gateway = _gateway(request)
    resident_id = verify(gateway.config.secret, bearer_token(request))
    if resident_id is None:
        return response.json({"error": texts.render("message.unauthorized")}, status=401)
    try:
        body = json_body(request)
    except ErrorResponse:
        return response.json({"error": ratings.bad_level_reply()}, status=400)
    async with gateway.turn_locks.hold(resident_id):
        with session_scope() as db:
            outcome = ratings.rate(db, resident_id, body.get("level"), body.get("resolution"))
    if outcome.message is None:
        return response.json({"error": outcome.error}, status=outcome.status)
    await gateway.notifier.publish(Posted(resident_id, outcome.message))
    return response.json({"message": outcome.message})
