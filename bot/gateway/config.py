"""Gateway settings from the environment: port, Rasa's address, the signing secret."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.settings import DATA_DIR

SECRET_FILE_NAME = "gateway_secret"


def load_secret(data_dir: Path = DATA_DIR) -> bytes:
    """``GATEWAY_SECRET``, or a random secret generated once and kept in ``data/`` (mode 0600)."""
    value = os.environ.get("GATEWAY_SECRET", "").strip()
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
    rasa_url: str
    secret: bytes
    rate_limit: int = 20
    rate_window: float = 10.0
    session_hours: float = 12.0
    redis_url: str = ""
    redis_prefix: str = "wuye"

    @classmethod
    def from_env(cls) -> GatewayConfig:
        return cls(
            port=int(os.environ.get("PORT", "8000")),
            rasa_url=os.environ.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
            secret=load_secret(),
            rate_limit=int(os.environ.get("GATEWAY_RATE_LIMIT", "20")),
            rate_window=float(os.environ.get("GATEWAY_RATE_WINDOW", "10")),
            redis_url=os.environ.get("REDIS_URL", "").strip(),
            redis_prefix=os.environ.get("REDIS_PREFIX", "wuye").strip() or "wuye",
        )
