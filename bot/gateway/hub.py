"""Open WebSockets: each resident's tabs and every agent console, and sending to them.

With a :class:`~bot.gateway.pubsub.RedisFanout` attached, every frame also reaches the sockets of
the other gateway processes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.gateway.pubsub import RedisFanout

logger = logging.getLogger(__name__)


class Socket(Protocol):
    async def send(self, data: str) -> None: ...


class Hub:
    def __init__(self) -> None:
        self.residents: dict[str, set[Socket]] = defaultdict(set)
        self.agents: dict[Socket, str] = {}
        # Orders one resident's turns inside this process; across processes the database is the
        # source of truth (statuses change with conditional updates, messages are appended).
        self.locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.fanout: RedisFanout | None = None

    def attach(self, fanout: RedisFanout) -> None:
        self.fanout = fanout
        fanout.start(self.deliver_local)

    async def _send(self, sockets: list[Socket], frame: dict[str, Any]) -> None:
        data = json.dumps(frame, ensure_ascii=False)
        for socket in sockets:
            try:
                await socket.send(data)
            except Exception as error:  # a closed socket is dropped by its own handler
                logger.debug("send failed: %s", error)

    async def deliver_local(self, target: str, resident_id: str | None, frame: dict[str, Any]) -> None:
        if target == "resident" and resident_id:
            await self._send(list(self.residents.get(resident_id, ())), frame)
        elif target == "agents":
            await self._send(list(self.agents), frame)

    async def to_resident(self, resident_id: str, frame: dict[str, Any]) -> None:
        await self.deliver_local("resident", resident_id, frame)
        if self.fanout is not None:
            await self.fanout.publish("resident", resident_id, frame)

    async def to_agents(self, frame: dict[str, Any]) -> None:
        await self.deliver_local("agents", None, frame)
        if self.fanout is not None:
            await self.fanout.publish("agents", None, frame)
