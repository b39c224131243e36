"""Gateway settings (read through bot.settings): port, the Rasa servers' and the action server's
addresses, the signing secret, the drain time, when an unclaimed emergency is escalated."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot import settings
from bot.settings import DATA_DIR

SECRET_FILE_NAME = "gateway_secret"


def load_secret(data_dir: Path = DATA_DIR) -> bytes:
    """``GATEWAY_SECRET``, or a random secret generated once and kept in ``data/`` (mode 0600)."""
    value = settings.gateway_secret()
    if value:
        return value.encode()
    path = data_dir / SECRET_FILE_NAME
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


@dataclass(frozen=True)
class GatewayConfig:
    port: int
    rasa_url: str  # the one-server form; a cluster lists every server in ``rasa_urls``
    secret: bytes
    rate_limit: int = 20
    rate_window: float = 10.0
    session_hours: float = 12.0
    redis_url: str = ""
    redis_prefix: str = "wuye"
    action_server_url: str = settings.DEFAULT_ACTION_SERVER_URL
    drain_seconds: float = 20.0
    turn_lease_seconds: float = 30.0
    turn_stale_seconds: float = 600.0
    escalation_seconds: float = 120.0  # an unclaimed emergency is escalated after this (bot.gateway.aftercare)
    unserved_seconds: float = 30.0  # an emergency of a community with nobody logged in goes to every agent after this (bot.gateway.presence)
    rasa_urls: tuple[str, ...] = ()

    @property
    def rasa_servers(self) -> tuple[str, ...]:
        """Every Rasa server this gateway talks to (``RASA_URLS``, else ``RASA_URL`` alone)."""
        return self.rasa_urls or (self.rasa_url,)

    @classmethod
    def from_env(cls) -> GatewayConfig:
        rasa_urls = settings.rasa_urls()
        return cls(
            port=settings.gateway_port(),
            rasa_url=rasa_urls[0],
            rasa_urls=rasa_urls,
            secret=load_secret(),
            rate_limit=settings.gateway_rate_limit(),
            rate_window=settings.gateway_rate_window(),
            redis_url=settings.redis_url(),
            redis_prefix=settings.redis_prefix(),
            action_server_url=settings.action_server_url(),
            drain_seconds=settings.gateway_drain_seconds(),
            turn_lease_seconds=settings.turn_lease_seconds(),
            turn_stale_seconds=settings.turn_stale_seconds(),
            escalation_seconds=settings.emergency_escalation_seconds(),
            unserved_seconds=settings.unserved_emergency_seconds(),
        )
