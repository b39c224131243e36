"""Resident endpoints: ``POST /api/resident/session``, ``GET /api/resident/history``, ``/ws/resident``,
``POST /api/resident/attachments`` (a photo), ``GET /api/attachments/<id>``, ``POST /api/resident/rating``."""

from __future__ import annotations

import json
import logging

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.gateway import attachments, ratings
from bot.gateway.agent_auth import current_agent
from bot.gateway.frames import RATE_LIMIT_REPLY, ResidentFrame, parse
from bot.gateway.relay import FEATURES, KNOWN_FEATURES, handle_resident_photo, handle_resident_text, wants
from bot.gateway.state import Gateway
from bot.gateway.tokens import new_resident_id, sign, verify
from bot.gateway.transcript import history
from bot.gateway.web import same_origin
from bot.storage import session_scope

logger = logging.getLogger(__name__)
bp = Blueprint("resident")


def _gateway(request: Request) -> Gateway:
    return request.app.ctx.gateway


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


@bp.post("/api/resident/session")
async def session(request: Request) -> HTTPResponse:
    """Keep a valid token, or issue a new random resident id and its token."""
    secret = _gateway(request).config.secret
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = {}
    token = body.get("token") if isinstance(body, dict) else None
    resident_id = verify(secret, token)
    if resident_id is None:
        resident_id = new_resident_id()
        token = sign(secret, resident_id)
    return response.json({"resident_id": resident_id, "token": token})


@bp.get("/api/resident/history")
async def resident_history(request: Request) -> HTTPResponse:
    resident_id = verify(_gateway(request).config.secret, _bearer(request))
    if resident_id is None:
        return response.json({"error": attachments.UNAUTHORIZED_REPLY}, status=401)
    with session_scope() as db:
        return response.json({"resident_id": resident_id, "messages": history(db, resident_id)})


@bp.websocket("/ws/resident")
async def resident_socket(request: Request, ws) -> None:  # type: ignore[no-untyped-def]
    gateway = _gateway(request)
    resident_id = verify(gateway.config.secret, request.args.get("token"))
    if resident_id is None or not same_origin(request):
        await ws.close(code=4401, reason="unauthorized")
        return
    sockets = gateway.hub.residents[resident_id]
    sockets.add(ws)
    FEATURES[ws] = KNOWN_FEATURES.intersection(request.args.get("features", "").split(","))
    try:
        while True:
            raw = await ws.recv()
            if raw is None:
                break
            frame = parse(raw)
            if not isinstance(frame, ResidentFrame):
                await ws.send(json.dumps({"type": "notice", "text": frame}, ensure_ascii=False))
            elif not await gateway.limiter.allow_async(resident_id):
                notice = {"type": "notice", "text": RATE_LIMIT_REPLY}
                if wants(ws, "refused"):
                    notice["refused"] = frame.text
                await ws.send(json.dumps(notice, ensure_ascii=False))
            else:
                await handle_resident_text(gateway, resident_id, frame.text, frame.command)
    finally:
        sockets.discard(ws)


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
    """A photo as the raw request body (``?filename=`` optional), Bearer token of the resident."""
    gateway = _gateway(request)
    resident_id = verify(gateway.config.secret, _bearer(request))
    data = await _read_body(request)
    if resident_id is None:
        return response.json({"error": attachments.UNAUTHORIZED_REPLY}, status=401)
    refused = attachments.problem(data)
    if refused:
        return response.json({"error": refused[1]}, status=refused[0])
    if not await gateway.limiter.allow_async(resident_id):
        return response.json({"error": RATE_LIMIT_REPLY}, status=429)
    message = await handle_resident_photo(gateway, resident_id, data, request.args.get("filename"))
    return response.json({"message": message})


@bp.get("/api/attachments/<attachment_id:int>")
async def attachment(request: Request, attachment_id: int) -> HTTPResponse:
    """The photo's bytes, to its resident (``?token=``, an <img> sends no headers) or a logged-in agent."""
    resident_id = verify(_gateway(request).config.secret, request.args.get("token") or _bearer(request))
    agent = None if resident_id else current_agent(request)
    if resident_id is None and agent is None:
        return response.json({"error": attachments.UNAUTHORIZED_REPLY}, status=401)
    with session_scope() as db:
        found = attachments.load(db, attachment_id)
        if found is None or (agent is None and found.conversation_id != resident_id):
            return response.json({"error": "没有找到这张照片"}, status=404)
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
    resident_id = verify(gateway.config.secret, _bearer(request))
    if resident_id is None:
        return response.json({"error": attachments.UNAUTHORIZED_REPLY}, status=401)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return response.json({"error": ratings.BAD_LEVEL_REPLY}, status=400)
    async with gateway.hub.locks[resident_id]:
        with session_scope() as db:
            outcome = ratings.rate(db, resident_id, body.get("level"), body.get("resolution"))
    if outcome.message is None:
        return response.json({"error": outcome.error}, status=outcome.status)
    frame = {"type": "message", "message": outcome.message}
    await gateway.hub.to_resident(resident_id, frame)
    await gateway.hub.to_agents(frame)
    return response.json({"message": outcome.message})
