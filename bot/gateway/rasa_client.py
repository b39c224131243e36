"""Talking to Rasa: the REST channel for residents' text, the HTTP API for tracker events."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

RASA_MAX_TEXT = 5000


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, timed out or returned an error)."""


class RasaClient:
    """aiohttp (Rasa's own HTTP client, with a C parser): under the chat benchmark, httpx's pure
    Python request path was the largest single cost of the gateway's turn."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:  # made inside the running loop, on first use
            self._session = aiohttp.ClientSession(timeout=self._timeout, connector=aiohttp.TCPConnector(limit=200))
        return self._session

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            async with self._client().request(method, f"{self.base_url}{path}", **kwargs) as reply:
                reply.raise_for_status()
                return await reply.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise RasaUnavailable(str(error) or type(error).__name__) from error

    async def send(self, sender: str, text: str) -> list[dict[str, Any]]:
        """Forward a resident's text; Rasa's replies (``text``, ``buttons``…)."""
        data = await self._request("POST", "/webhooks/rest/webhook", json={"sender": sender, "message": text[:RASA_MAX_TEXT]})
        return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        await self._request("POST", f"/conversations/{conversation_id}/tracker/events", params={"include_events": "NONE"}, json=events)

    async def resume(self, conversation_id: str) -> None:
        """Unpause the tracker. Messages recorded while paused have no ``action_listen`` before
        them, so the policies would see a state no rule matches (and fall back, then replay the
        emergency action): an ``action_listen`` after the resume gives the next turn a clean start."""
        await self.append_events(conversation_id, [{"event": "resume"}, {"event": "action", "name": "action_listen"}])

    async def record_agent_reply(self, conversation_id: str, text: str, agent: str) -> None:
        """Best effort: the tracker keeps the agent's words as a bot utterance for context."""
        try:
            await self.append_events(conversation_id, [{"event": "bot", "text": text, "metadata": {"agent": agent}}])
        except RasaUnavailable as error:
            logger.warning("could not record the agent reply in Rasa's tracker: %s", error)

    async def slots(self, conversation_id: str) -> dict[str, Any]:
        """The tracker's non-empty slots (what the bot collected), for the console."""
        data = await self._request("GET", f"/conversations/{conversation_id}/tracker", params={"include_events": "NONE"})
        slots = data.get("slots") if isinstance(data, dict) else None
        return {k: v for k, v in (slots or {}).items() if v not in (None, "", [], {}) and not k.startswith("requested_slot")}

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
