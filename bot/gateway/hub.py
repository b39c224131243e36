"""Open WebSockets: each resident's tabs and every agent console, and sending to them."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class Socket(Protocol):
    async def send(self, data: str) -> None: ...


class Hub:
    def __init__(self) -> None:
        self.residents: dict[str, set[Socket]] = defaultdict(set)
        self.agents: dict[Socket, str] = {}
        self.locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def _send(self, sockets: list[Socket], frame: dict[str, Any]) -> None:
        data = json.dumps(frame, ensure_ascii=False)
        for socket in sockets:
            try:
                await socket.send(data)
            except Exception as error:  # a closed socket is dropped by its own handler
                logger.debug("send failed: %s", error)

    async def to_resident(self, resident_id: str, frame: dict[str, Any]) -> None:
        await self._send(list(self.residents.get(resident_id, ())), frame)

    async def to_agents(self, frame: dict[str, Any]) -> None:
        await self._send(list(self.agents), frame)
