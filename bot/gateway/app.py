"""The Sanic application: blueprints, static files, the shared Gateway state."""

from __future__ import annotations

import logging

from sanic import Sanic

from bot.gateway import agent_routes, pages, resident_routes, trainer_routes
from bot.gateway.config import GatewayConfig
from bot.gateway.rasa_client import RasaClient
from bot.gateway.ratelimit import RedisRateLimiter
from bot.gateway.state import Gateway
from bot.gateway.web import secure_headers

logger = logging.getLogger(__name__)


def create_app(config: GatewayConfig, name: str = "wuye_gateway") -> Sanic:
    app = Sanic(name)
    app.config.WEBSOCKET_MAX_SIZE = 256 * 1024
    app.config.REQUEST_MAX_SIZE = 256 * 1024
    app.blueprint(pages.bp)
    app.blueprint(resident_routes.bp)
    app.blueprint(agent_routes.bp)
    app.blueprint(trainer_routes.bp)
    app.static("/static", str(pages.STATIC))
    app.register_middleware(secure_headers, "response")

    @app.listener("before_server_start")
    async def _start(app: Sanic, _loop: object) -> None:
        app.ctx.gateway = gateway = Gateway(config, RasaClient(config.rasa_url))
        if config.redis_url:
            from bot.gateway.pubsub import RedisFanout

            gateway.hub.attach(RedisFanout(config.redis_url, config.redis_prefix))
            logger.info("delivery shared with other gateway processes through Redis (%s)", config.redis_prefix)
        logger.info("gateway on port %s, Rasa at %s", config.port, config.rasa_url)

    @app.listener("after_server_stop")
    async def _stop(app: Sanic, _loop: object) -> None:
        gateway = app.ctx.gateway
        await gateway.rasa.close()
        if gateway.hub.fanout is not None:
            await gateway.hub.fanout.close()
        if isinstance(gateway.limiter, RedisRateLimiter):
            await gateway.limiter.close()

    return app
