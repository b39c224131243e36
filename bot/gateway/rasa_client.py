"""Talking to Rasa: the REST channel for residents' text, the HTTP API for tracker events — on one
Rasa server or on several (a cluster, ``RASA_URLS``).

**Which server.** Each conversation sticks to one server, chosen by rendezvous hashing (highest
random weight, HRW): every server gets a score from a hash of its URL and the conversation id, and
the conversation goes to the highest score that is up. Every gateway process computes the same
choice on its own, with no shared table; adding or losing a server moves only the conversations it
gains or had (about 1/N of them), where ``hash % N`` would move nearly all. Rasa keeps nothing of a
conversation between turns — the tracker is read from the shared tracker store (``DATABASE_URL``)
on every turn, and Rasa's lock store in Redis serialises one conversation's turns across servers
(``bot.processes`` writes it into the endpoints) — so a move loses nothing; sticking spreads the
conversations evenly and keeps one conversation's turns from queueing for its lock on two servers.

**Down.** A server that refuses the connection, does not answer in time or answers 5xx is out of
rotation for at least :data:`DOWN_SECONDS`, and then until a probe (``GET /status``, every
:data:`PROBE_SECONDS`; 200 only once its model is loaded) answers. Meanwhile its conversations go
to the next server of their own ranking. When every server is out, they are all still tried, the
conversation's own first: one server (the default) behaves exactly as before the cluster.

**Retrying.** A request that never reached Rasa (the connection could not be made) goes to the
next server at once. One that did — it timed out, got a 5xx or lost its connection mid-answer — is
not repeated: Rasa may have run the turn (its actions, a ticket), so the caller gets
:class:`RasaUnavailable`, as with one server, and the next message of the conversation goes to the
next server.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot import timings
from bot.nlu import RASA_MAX_TEXT

logger = logging.getLogger(__name__)

DOWN_SECONDS = 5.0  # a server that failed is out of rotation at least this long
PROBE_SECONDS = 1.0  # how often a server out of rotation is probed
CONNECT_SECONDS = 3.0  # a server that does not accept the connection within this is down


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, timed out or returned an error)."""


class _NotReached(RasaUnavailable):
    """The request never reached the server (no connection): safe to send to another one."""


def rank(servers: Iterable[str], conversation_id: str) -> list[str]:
    """``servers`` in the conversation's order of preference (rendezvous hashing: the highest score
    first). The same on every gateway process, whatever the order the servers are listed in."""

    def score(server: str) -> bytes:
        return hashlib.blake2b(f"{server}\n{conversation_id}".encode("utf-8", "surrogatepass"), digest_size=8).digest()

    return sorted(servers, key=score, reverse=True)


@dataclass
class RasaServer:
    """One Rasa server and whether it is in rotation."""

    url: str
    down_until: float = 0.0  # monotonic; 0 while in rotation
    error: str = ""  # why it went out of rotation

    @property
    def up(self) -> bool:
        return self.down_until == 0.0

    def state(self) -> dict[str, Any]:
        return {"url": self.url, "in_rotation": self.up, **({} if self.up else {"error": self.error})}


class RasaClient:
    """aiohttp (Rasa's own HTTP client, with a C parser): under the chat benchmark, httpx's pure
    Python request path was the largest single cost of the gateway's turn."""

    def __init__(self, servers: str | Iterable[str], timeout: float = 60.0) -> None:
        urls = [servers] if isinstance(servers, str) else list(servers)
        self.servers = {url.rstrip("/"): RasaServer(url.rstrip("/")) for url in urls}
        if not self.servers:
            raise ValueError("a Rasa client needs at least one server")
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=CONNECT_SECONDS)
        self._session: aiohttp.ClientSession | None = None
        self._probe: asyncio.Task | None = None
        self._timings = timings.recorder("gateway")

    @property
    def base_url(self) -> str:
        """The first configured server (the one-server form)."""
        return next(iter(self.servers))

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:  # made inside the running loop, on first use
            self._session = aiohttp.ClientSession(timeout=self._timeout, connector=aiohttp.TCPConnector(limit=200))
        return self._session

    def route(self, conversation_id: str) -> list[RasaServer]:
        """The servers to try for this conversation, in order: those in rotation by its ranking,
        then those out of rotation (a last resort, so one server is always tried)."""
        ranked = [self.servers[url] for url in rank(self.servers, conversation_id)]
        return [s for s in ranked if s.up] + [s for s in ranked if not s.up]

    def state(self) -> list[dict[str, Any]]:
        """Every server and whether it is in rotation (``/healthz``)."""
        return [server.state() for server in self.servers.values()]

    def _mark_down(self, server: RasaServer, error: str) -> None:
        if server.up:
            logger.warning("Rasa server %s out of rotation: %s", server.url, error)
        server.down_until, server.error = time.monotonic() + DOWN_SECONDS, error
        if len(self.servers) > 1 and (self._probe is None or self._probe.done()):
            self._probe = asyncio.get_running_loop().create_task(self._probe_until_up())

    def _mark_up(self, server: RasaServer) -> None:
        if not server.up:
            logger.info("Rasa server %s back in rotation", server.url)
        server.down_until, server.error = 0.0, ""

    async def _answers(self, server: RasaServer) -> bool:
        try:
            async with self._client().get(f"{server.url}/status", timeout=aiohttp.ClientTimeout(total=PROBE_SECONDS * 2)) as reply:
                return reply.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def _probe_until_up(self) -> None:
        """Probe the servers out of rotation until every one is back (their minimum time first)."""
        while down := [s for s in self.servers.values() if not s.up]:
            await asyncio.sleep(PROBE_SECONDS)
            now = time.monotonic()
            for server in down:
                if now >= server.down_until and await self._answers(server):
                    self._mark_up(server)

    async def _once(self, server: RasaServer, method: str, path: str, **kwargs: Any) -> Any:
        try:
            async with self._client().request(method, f"{server.url}{path}", **kwargs) as reply:
                if reply.status >= 500:
                    self._mark_down(server, f"HTTP {reply.status}")
                reply.raise_for_status()
                data = await reply.json(content_type=None)
        except aiohttp.ClientConnectorError as error:  # refused, unreachable: nothing was sent
            self._mark_down(server, str(error) or type(error).__name__)
            raise _NotReached(str(error)) from error
        except aiohttp.ServerTimeoutError as error:
            self._mark_down(server, str(error) or "timeout")
            if isinstance(error.__cause__, asyncio.TimeoutError) and str(error).startswith("Connection timeout"):
                raise _NotReached(str(error)) from error  # aiohttp's connect timeout: nothing was sent
            raise RasaUnavailable(str(error) or "timeout") from error
        except asyncio.TimeoutError as error:
            self._mark_down(server, "timeout")
            raise RasaUnavailable("timeout") from error
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError) as error:
            self._mark_down(server, str(error) or type(error).__name__)  # lost mid-request: maybe ran
            raise RasaUnavailable(str(error) or type(error).__name__) from error
        except (aiohttp.ClientError, ValueError) as error:  # 4xx, a body that is no JSON
            raise RasaUnavailable(str(error) or type(error).__name__) from error
        self._mark_up(server)  # it answered (also one tried as the last resort while out of rotation)
        return data

    async def _request(self, conversation_id: str, method: str, path: str, **kwargs: Any) -> tuple[Any, RasaServer]:
        """The answer of the first server that takes the request, and which one it was."""
        failures: list[str] = []
        for server in self.route(conversation_id):
            try:
                return await self._once(server, method, path, **kwargs), server
            except _NotReached as error:
                failures.append(f"{server.url}: {error}")
        raise RasaUnavailable("; ".join(failures))

    async def send(self, sender: str, text: str) -> list[dict[str, Any]]:
        """Forward a resident's text; Rasa's replies (``text``, ``buttons``…)."""
        started = timings.now()
        data, server = await self._request(sender, "POST", "/webhooks/rest/webhook", json={"sender": sender, "message": text[:RASA_MAX_TEXT]})
        if self._timings is not None:
            self._timings.write(sender=sender, server=server.url, sent=started, replied=timings.now())
        return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        path = f"/conversations/{conversation_id}/tracker/events"
        await self._request(conversation_id, "POST", path, params={"include_events": "NONE"}, json=events)

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
        data, _ = await self._request(conversation_id, "GET", f"/conversations/{conversation_id}/tracker", params={"include_events": "NONE"})
        slots = data.get("slots") if isinstance(data, dict) else None
        return {k: v for k, v in (slots or {}).items() if v not in (None, "", [], {}) and not k.startswith("requested_slot")}

    async def active_form(self, conversation_id: str, timeout: float = 2.0) -> str | None:
        """The form Rasa is filling in this conversation (``repair_form`` …), None when none is, or
        when Rasa does not answer within ``timeout``: a photo's acknowledgement must not ask the
        resident a question of its own in the middle of a form's (bot.gateway.relay)."""
        try:
            data, _ = await asyncio.wait_for(
                self._request(conversation_id, "GET", f"/conversations/{conversation_id}/tracker", params={"include_events": "NONE"}), timeout
            )
        except (RasaUnavailable, asyncio.TimeoutError):
            return None
        loop = data.get("active_loop") if isinstance(data, dict) else None
        name = loop.get("name") if isinstance(loop, dict) else None
        return str(name) if name else None

    async def alive(self, timeout: float = 3.0) -> bool:
        """Whether a Rasa server answers (``GET /``) — any of them, those in rotation first: the
        recovery asks before it replays the turns that waited, so a resident's typing bubble does
        not flicker while Rasa is down; with one server of several up, the turns go to that one."""
        servers = sorted(self.servers.values(), key=lambda server: not server.up)
        for server in servers:
            try:
                async with self._client().get(f"{server.url}/", timeout=aiohttp.ClientTimeout(total=timeout)) as reply:
                    if reply.status < 500:
                        return True
            except (aiohttp.ClientError, asyncio.TimeoutError):
                continue
        return False

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
        if self._session is not None:
            await self._session.close()
