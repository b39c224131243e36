"""Everything a running gateway shares: settings, open sockets, the notifier, the Rasa client, what
it knows of the action server, the rate limit, the turn locks, this process's hold on the turns it
runs, and the drain."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from dataclasses import dataclass, field

from bot.conversations.turns import Lease
from bot.gateway.action_server import ActionServer
from bot.gateway.config import GatewayConfig
from bot.gateway.draining import Drain
from bot.gateway.hub import Hub
from bot.gateway.notifier import Notifier
from bot.gateway.rasa_client import RasaClient
from bot.gateway.ratelimit import RateLimiter, RedisRateLimiter
from bot.gateway.turn_locks import TurnLocks


def process_name() -> str:
    """This process among the gateways sharing the database: host, pid and a random part (a
    restarted process is a new owner; its predecessor's turns are taken up when their leases lapse)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Gateway:
    config: GatewayConfig
    rasa: RasaClient
    hub: Hub = field(default_factory=Hub)
    drain: Drain = field(default_factory=Drain)
    notifier: Notifier = field(init=False)
    limiter: RateLimiter | RedisRateLimiter = field(init=False)
    login_limiter: RateLimiter = field(init=False)
    # Residents' turns running to their end although the socket that brought them closed
    # (bot.gateway.relay.outlive_the_socket); held here, as asyncio keeps only weak references.
    turns: set[asyncio.Task] = field(default_factory=set)
    turn_locks: TurnLocks = field(init=False)
    lease: Lease = field(init=False)  # this process's hold on the turns it runs (bot.conversations.turns)
    running: set[int] = field(default_factory=set)  # ids of the messages whose turns it runs now (leases renewed)
    actions: ActionServer = field(init=False)  # down: no turn goes to Rasa (bot.gateway.action_server)

    def __post_init__(self) -> None:
        self.notifier = Notifier(self.hub)
        self.lease = Lease(process_name(), self.config.turn_lease_seconds)
        self.actions = ActionServer(self.config.action_server_url)
        self.turn_locks = TurnLocks.create(self.config.redis_url, self.config.redis_prefix, self.config.turn_lease_seconds)
        if self.config.redis_url:
            self.limiter = RedisRateLimiter(self.config.redis_url, self.config.rate_limit, self.config.rate_window, self.config.redis_prefix)
        else:
            self.limiter = RateLimiter(self.config.rate_limit, self.config.rate_window)
        self.login_limiter = RateLimiter(10, 60.0)
