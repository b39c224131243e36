"""``/healthz``: the state of each part; ``/readyz``: whether this gateway takes new residents.

The gateway serves residents as long as it can store their messages: with Rasa, the action server
or Redis down it still stores every message, answers politely and raises live emergencies from its
own rules. So ``/healthz`` answers 200 while the database answers — listing the degraded parts, so a
load balancer does not take a gateway out because Rasa restarts — and 503 only when the database
does not. ``/readyz`` answers 503 also while the gateway drains (SIGTERM, ``bot.gateway.draining``),
so new residents go to another gateway.

Each part is probed at once, each within :data:`PROBE_SECONDS`: the database with ``SELECT 1``,
every Rasa server the gateway is configured with (``RASA_URLS``, or ``RASA_URL`` alone) by
``GET /status`` (``--enable-api``, which the gateway's hand-back needs anyway; 409 while no model
is loaded), with ``in_rotation``: whether this gateway's Rasa client sends conversations to it now
(``bot.gateway.rasa_client``: a server that failed stays out until its own probe answers); the
action server by ``GET /health``, Redis (when ``REDIS_URL`` is set) by ``PING``. One Rasa server
down of several is ``degraded``, not down: its conversations went to the others.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import PurePosixPath
from typing import Any

import aiohttp
import sqlalchemy as sa
from redis import asyncio as aioredis
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.gateway.offloop import in_thread
from bot.gateway.state import Gateway
from bot.storage import session_scope

bp = Blueprint("health")
PROBE_SECONDS = 2.0


def _select_one() -> None:
    with session_scope() as session:
        session.execute(sa.text("SELECT 1"))


async def _timed(probe: Callable[[], Awaitable[dict[str, Any] | None]]) -> dict[str, Any]:
    """``{"ok", "ms"}`` and what the probe adds; an error or a timeout is ``ok: false`` with its name."""
    start = time.perf_counter()
    try:
        extra = await asyncio.wait_for(probe(), PROBE_SECONDS)
        part: dict[str, Any] = {"ok": True, **(extra or {})}
    except asyncio.TimeoutError:
        part = {"ok": False, "error": f"no answer within {PROBE_SECONDS:.0f} s"}
    except Exception as error:  # the part is down: say how, never fail the probe itself
        part = {"ok": False, "error": f"{type(error).__name__}: {error}"[:200]}
    part["ms"] = round((time.perf_counter() - start) * 1000, 1)
    return part


async def _database() -> dict[str, Any]:
    return await _timed(lambda: in_thread(_select_one))


async def _http(session: aiohttp.ClientSession, url: str, path: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any]:
        async with session.get(url + path) as reply:
            if reply.status != 200:
                raise RuntimeError(f"HTTP {reply.status}")
            body = await reply.json(content_type=None)
        model = body.get("model_file") if isinstance(body, dict) else None
        return {"model": PurePosixPath(model).name} if isinstance(model, str) else {}

    return {"url": url, **await _timed(probe)}


async def _ping(client: aioredis.Redis) -> None:
    await client.ping()


async def _redis(gateway: Gateway) -> dict[str, Any]:
    fanout = gateway.hub.fanout
    if fanout is not None:
        part = await _timed(lambda: _ping(fanout.client))
        part["subscribed"] = fanout.ready.is_set()  # False while the stream's reader reconnects
        part["waiting"] = fanout.waiting  # frames published here that wait for Redis
        return part
    client = aioredis.from_url(gateway.config.redis_url)
    try:
        return await _timed(lambda: _ping(client))
    finally:
        await client.close()


async def report(gateway: Gateway) -> dict[str, Any]:
    """Every part's state, what is degraded, and whether this gateway is ready for new residents."""
    config = gateway.config
    rasa_urls = list(config.rasa_servers)
    rotation = {server["url"]: server["in_rotation"] for server in gateway.rasa.state()}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=PROBE_SECONDS)) as session:
        probes: list[Awaitable[dict[str, Any]]] = [
            _database(),
            _http(session, config.action_server_url, "/health"),
            *(_http(session, url, "/status") for url in rasa_urls),
        ]
        if config.redis_url:
            probes.append(_redis(gateway))
        database, actions, *rest = await asyncio.gather(*probes)
    rasa = [{**part, "in_rotation": rotation.get(part["url"], False)} for part in rest[: len(rasa_urls)]]
    parts: dict[str, Any] = {"database": database, "rasa": rasa, "actions": actions}
    if config.redis_url:
        parts["redis"] = rest[len(rasa_urls)]
    degraded = [name for name in ("database", "actions", "redis") if name in parts and not parts[name]["ok"]]
    degraded += [f"rasa {part['url']}" for part in rasa if not part["ok"]]
    ready = database["ok"] and not gateway.drain.draining
    return {
        "status": "down" if not database["ok"] else "degraded" if degraded else "ok",
        "ok": database["ok"],  # this gateway can serve residents (store, answer, alert)
        "ready": ready,
        "draining": gateway.drain.draining,
        "handling": gateway.drain.running,  # resident messages being handled now
        "parts": parts,
        "degraded": degraded,
    }


@bp.get("/healthz")
async def healthz(request: Request) -> HTTPResponse:
    body = await report(request.app.ctx.gateway)
    return response.json(body, status=200 if body["ok"] else 503, headers={"Cache-Control": "no-store"})


@bp.get("/readyz")
async def readyz(request: Request) -> HTTPResponse:
    """200 while this gateway takes new residents; 503 while it drains or cannot reach its database."""
    gateway: Gateway = request.app.ctx.gateway
    if gateway.drain.draining:
        return response.json({"ready": False, "reason": "draining"}, status=503, headers={"Cache-Control": "no-store"})
    database = await _database()
    if not database["ok"]:
        return response.json({"ready": False, "reason": "database", "database": database}, status=503, headers={"Cache-Control": "no-store"})
    return response.json({"ready": True}, headers={"Cache-Control": "no-store"})
