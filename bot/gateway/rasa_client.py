"""Talking to Rasa: the REST channel for residents' text, the HTTP API for tracker events."""

from __future__ import annotations

import logging
from typing import Any

import httpx

logger = logging.getLogger(__name__)

RASA_MAX_TEXT = 5000


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, timed out or returned an error)."""


class RasaClient:
    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(timeout=timeout)

    async def send(self, sender: str, text: str) -> list[dict[str, Any]]:
        """Forward a resident's text; Rasa's replies (``text``, ``buttons``…)."""
        try:
            reply = await self._client.post(f"{self.base_url}/webhooks/rest/webhook", json={"sender": sender, "message": text[:RASA_MAX_TEXT]})
            reply.raise_for_status()
            data = reply.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(str(error)) from error
        return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        try:
            reply = await self._client.post(
                f"{self.base_url}/conversations/{conversation_id}/tracker/events", params={"include_events": "NONE"}, json=events
            )
            reply.raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailable(str(error)) from error

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
        try:
            reply = await self._client.get(f"{self.base_url}/conversations/{conversation_id}/tracker", params={"include_events": "NONE"})
            reply.raise_for_status()
            data = reply.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(str(error)) from error
        slots = data.get("slots") if isinstance(data, dict) else None
        return {k: v for k, v in (slots or {}).items() if v not in (None, "", [], {}) and not k.startswith("requested_slot")}

    async def close(self) -> None:
        await self._client.aclose()
