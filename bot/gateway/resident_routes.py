"""Resident endpoints: ``POST /api/resident/session``, ``GET /api/resident/history``, ``/ws/resident``."""

from __future__ import annotations

import json
import logging

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.gateway.frames import RATE_LIMIT_REPLY, ResidentFrame, parse
from bot.gateway.relay import handle_resident_text
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
        return response.json({"error": "身份校验未通过，请刷新页面后重试"}, status=401)
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
    try:
        while True:
            raw = await ws.recv()
            if raw is None:
                break
            frame = parse(raw)
            if not isinstance(frame, ResidentFrame):
                await ws.send(json.dumps({"type": "notice", "text": frame}, ensure_ascii=False))
            elif not gateway.limiter.allow(resident_id):
                await ws.send(json.dumps({"type": "notice", "text": RATE_LIMIT_REPLY}, ensure_ascii=False))
            else:
                await handle_resident_text(gateway, resident_id, frame.text, frame.command)
    finally:
        sockets.discard(ws)
