"""Everything a running gateway shares: settings, open sockets, the Rasa client, the rate limit."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.gateway.config import GatewayConfig
from bot.gateway.hub import Hub
from bot.gateway.queueview import snapshot
from bot.gateway.rasa_client import RasaClient
from bot.gateway.ratelimit import RateLimiter, RedisRateLimiter
from bot.storage import session_scope


@dataclass
class Gateway:
    config: GatewayConfig
    rasa: RasaClient
    hub: Hub = field(default_factory=Hub)
    limiter: RateLimiter | RedisRateLimiter = field(init=False)
    login_limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        if self.config.redis_url:
            self.limiter = RedisRateLimiter(self.config.redis_url, self.config.rate_limit, self.config.rate_window, self.config.redis_prefix)
        else:
            self.limiter = RateLimiter(self.config.rate_limit, self.config.rate_window)
        self.login_limiter = RateLimiter(10, 60.0)

    async def broadcast_queue(self) -> None:
        with session_scope() as session:
            queue = snapshot(session)
        await self.hub.to_agents({"type": "queue", **queue})
