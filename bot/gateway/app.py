"""The Sanic application: blueprints, static files, the shared Gateway state, the background loops
(turn recovery, the callback schedule), the drain on SIGTERM, and the edge: the size limits, path
ids, cleaned query values and the one error handler (bot.gateway.errors)."""

from __future__ import annotations

import asyncio
import logging

from sanic import Sanic

from bot import settings
from bot.gateway import (
    admin_routes,
    aftercare,
    agent_routes,
    callback_routes,
    health,
    manager_routes,
    openapi,
    pages,
    presence,
    resident_routes,
    survey_routes,
    trainer_routes,
)
from bot.gateway.callback_sender import CallbackSchedule
from bot.gateway.config import GatewayConfig
from bot.gateway.draining import drain
from bot.gateway.errors import PoliteErrorHandler
from bot.gateway.rasa_client import RasaClient
from bot.gateway.ratelimit import RedisRateLimiter
from bot.gateway.recovery import Recovery
from bot.gateway.state import Gateway
from bot.gateway.web import clean_query, refuse_bad_handshake, secure_headers
from bot.inbound import ROW_ID_PATTERN, row_id
from bot.nlu import reading

logger = logging.getLogger(__name__)

# The largest request body Sanic reads for a route: JSON bodies (the longest, an agent's reply of at
# most 2,000 characters, is a few kB). A larger body is refused with the polite 413 before it is
# read. The one route that takes more, the photo upload, streams its body and enforces its own
# limit (attachments.MAX_BYTES, 5 MB) with the photo's polite 413 (resident_routes.upload_photo).
REQUEST_MAX_SIZE = 256 * 1024
# The largest WebSocket frame either socket accepts; the websockets library closes the connection
# with 1009 ("message too big") past it, before the gateway sees the frame. A resident's text of
# 40,000 characters fits even with every character JSON-escaped (\uXXXX); every frame that fits
# is answered (stored, or a polite notice), a text over RASA_MAX_TEXT stored whole.
WEBSOCKET_MAX_SIZE = 256 * 1024


def create_app(config: GatewayConfig, name: str = "wuye_gateway") -> Sanic:
    # configure_logging=False: Sanic's lines go through the process's one log format (bot.logs)
    # instead of being printed twice, once by Sanic's own handler.
    app = Sanic(name, error_handler=PoliteErrorHandler(), configure_logging=False)
    app.config.WEBSOCKET_MAX_SIZE = WEBSOCKET_MAX_SIZE
    app.config.REQUEST_MAX_SIZE = REQUEST_MAX_SIZE
    # Every ``<name:int>`` in a route is a row id: past 2⁶³−1 it matches no route (a polite 404)
    # instead of reaching the database (SQLite: OverflowError).
    app.router.register_pattern("int", row_id, ROW_ID_PATTERN)
    app.register_middleware(clean_query, "request")
    app.register_middleware(refuse_bad_handshake, "request")
    app.blueprint(pages.bp)
    app.blueprint(health.bp)
    app.blueprint(resident_routes.bp)
    app.blueprint(agent_routes.bp)
    app.blueprint(trainer_routes.bp)
    app.blueprint(openapi.bp)
    app.blueprint(callback_routes.bp)
    app.blueprint(manager_routes.bp)
    app.blueprint(survey_routes.bp)
    app.blueprint(admin_routes.bp)
    app.static("/static", str(pages.STATIC))
    app.register_middleware(secure_headers, "response")
    aftercare.attach(app)  # unclaimed emergencies are escalated while the server runs
    presence.attach(app)  # consoles marked present; emergencies nobody of their community can take go to every agent

    @app.listener("before_server_start")
    async def _start(app: Sanic, _loop: object) -> None:
        app.ctx.gateway = gateway = Gateway(config, RasaClient(config.rasa_servers))
        if config.redis_url:
            from bot.gateway.pubsub import RedisFanout

            gateway.hub.attach(RedisFanout(config.redis_url, config.redis_prefix))
            logger.info("delivery shared with other gateway processes through Redis (%s)", config.redis_prefix)
        logger.info("gateway on port %s, Rasa at %s", config.port, ", ".join(config.rasa_servers))
        # The early emergency alert reads every message (pinyin, traditional script): load those
        # tables in a thread now rather than stall the event loop ~4 s on the first noisy message.
        # Kept, so a stop during the warm-up ends it instead of leaving a pending task (an ERROR line).
        app.ctx.warm_up = asyncio.get_running_loop().create_task(asyncio.to_thread(reading.warm_up))

    @app.listener("before_server_stop")
    async def _drain(app: Sanic, _loop: object) -> None:
        """SIGTERM or Ctrl-C: Sanic stopped its loop and runs this while sockets still work."""
        gateway = app.ctx.gateway
        await drain(gateway.drain, gateway.hub, gateway.turns, gateway.config.drain_seconds)

    @app.listener("after_server_start")
    async def _recover(app: Sanic, _loop: object) -> None:
        """Take up the turns nobody is answering (bot.gateway.recovery), once the server runs."""
        app.ctx.recovery = Recovery(app.ctx.gateway)
        app.ctx.recovery.start()

    @app.listener("after_server_start")
    async def _start_callbacks(app: Sanic, _loop: object) -> None:
        """Ask the callbacks that fell due in residents' chats (bot.gateway.callback_sender)."""
        app.ctx.callbacks = CallbackSchedule(app.ctx.gateway, settings.callback_poll_seconds())
        app.ctx.callbacks.start()

    # Sanic runs the stop listeners in reverse order of registration: these two background loops
    # stop first, then the drain above lets the running turns finish.
    @app.listener("before_server_stop")
    async def _stop_recovery(app: Sanic, _loop: object) -> None:
        await app.ctx.recovery.stop()

    @app.listener("before_server_stop")
    async def _stop_callbacks(app: Sanic, _loop: object) -> None:
        await app.ctx.callbacks.stop()

    @app.listener("after_server_stop")
    async def _stop(app: Sanic, _loop: object) -> None:
        gateway = app.ctx.gateway
        app.ctx.warm_up.cancel()  # done long ago, or stopped while the tables still load
        await asyncio.gather(app.ctx.warm_up, return_exceptions=True)
        await gateway.turn_locks.close()
        await gateway.rasa.close()
        await gateway.actions.close()
        if gateway.hub.fanout is not None:
            await gateway.hub.fanout.close()
        if isinstance(gateway.limiter, RedisRateLimiter):
            await gateway.limiter.close()

    return app
