"""Simulated residents and agents for the cluster benchmarks and the fault-injection test.

A :class:`Resident` behaves as the widget does (``bot/gateway/static/widget/chat.js`` and
``lib/outbox.js``): every message gets a client id and waits in an outbox until the server echoes
the stored message with that id; when the socket drops it reconnects with back-off — to the next
gateway of its list, as a load balancer would send it to one that is up — asks
``/api/resident/history?after=<last id>`` for what it missed, then sends its outbox again. What it
saw is kept per stored message id, so a turn's answer is the first bot message stored after the
resident's own message, however it arrived (frame or history).

An :class:`AgentConsole` listens on ``/ws/agent`` and records every ``alert`` frame, reconnecting
the same way. Both record times on ``time.monotonic()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import websockets

from bot import texts
from bot.gateway.aftercare import alerted_while_busy_text
from bot.safety import joined_kinds

# The gateway's own replies when it could not run a turn (Rasa down, or this gateway draining; for
# a live emergency, the danger's instructions): polite, but not the assistant's answer to the message.
NOT_AN_ANSWER = frozenset(
    {texts.render("message.assistant_busy"), texts.render("message.assistant_restarting")}
    | {alerted_while_busy_text(kind) for kind in joined_kinds()}
)


def ws_base(base: str) -> str:
    return base.replace("http://", "ws://", 1).replace("https://", "wss://", 1)


@dataclass
class Sent:
    """One message a resident sent, and what became of it."""

    client_id: str
    text: str
    sent_at: float
    message_id: int | None = None  # the stored message's id, from its echo (or the history)
    echoed_at: float | None = None
    answered_at: float | None = None  # when the assistant's answer to it was first seen
    answer: str | None = None
    not_answered: list[str] = field(default_factory=list)  # the gateway's "busy"/"restarting" replies to it
    sends: int = 1  # 1 + how often the outbox sent it again after a reconnect

    @property
    def reply_ms(self) -> float | None:
        return None if self.answered_at is None else (self.answered_at - self.sent_at) * 1000


class Resident:
    """One resident's widget: a session, a reconnecting socket, an outbox of client ids."""

    def __init__(self, gateways: Sequence[str], http: aiohttp.ClientSession, home: int = 0, backoff: tuple[float, float] = (0.2, 2.0)) -> None:
        self.gateways = [g.rstrip("/") for g in gateways]
        self.at = home % len(self.gateways)
        self.http = http
        self.backoff = backoff
        self.resident_id = ""
        self.token = ""
        self.sent: list[Sent] = []
        self.outbox: dict[str, Sent] = {}
        self.by_client: dict[str, Sent] = {}
        self.messages: dict[int, dict[str, Any]] = {}  # every stored message of the conversation seen
        self.seen_at: dict[int, float] = {}
        self.last_id = 0
        self.drops = 0  # established connections lost
        self.visits: list[tuple[float, str]] = []  # (when, gateway) of every established connection
        self.connected = asyncio.Event()
        self._socket: Any = None
        self._changed = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task | None = None

    @property
    def gateway(self) -> str:
        return self.gateways[self.at]

    async def start(self, timeout: float = 30.0) -> Resident:
        """A session (from this resident's gateway, else the next that answers), then the socket."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                async with self.http.post(f"{self.gateway}/api/resident/session", json={"token": None}) as reply:
                    reply.raise_for_status()
                    session = await reply.json()
                break
            except (aiohttp.ClientError, asyncio.TimeoutError):
                if time.monotonic() > deadline:
                    raise
                self.at = (self.at + 1) % len(self.gateways)
                await asyncio.sleep(self.backoff[0])
        self.resident_id, self.token = session["resident_id"], session["token"]
        self._task = asyncio.get_running_loop().create_task(self._run())
        await asyncio.wait_for(self.connected.wait(), timeout)
        return self

    async def close(self) -> None:
        self._closing = True
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    # ------------------------------------------------------------------ the socket

    async def _run(self) -> None:
        delay = self.backoff[0]
        while not self._closing:
            base = self.gateway
            established = False
            try:
                url = f"{ws_base(base)}/ws/resident?token={self.token}&features=typing"
                async with websockets.connect(url, open_timeout=5, close_timeout=1, max_size=2**22) as socket:
                    await self._resync(base)
                    self._socket, established = socket, True
                    self.visits.append((time.monotonic(), base))
                    self.connected.set()
                    delay = self.backoff[0]
                    for sent in list(self.outbox.values()):  # the outbox, oldest first
                        sent.sends += 1
                        await socket.send(self._frame(sent))
                    async for raw in socket:
                        self._on_frame(json.loads(raw))
            except (OSError, asyncio.TimeoutError, websockets.WebSocketException, aiohttp.ClientError, ValueError):
                pass
            finally:
                self._socket = None
                self.connected.clear()
            if self._closing:
                return
            if established:
                self.drops += 1
            self.at = (self.at + 1) % len(self.gateways)  # the load balancer sends it to another gateway
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self.backoff[1])

    async def _resync(self, base: str) -> None:
        """What was stored after the last message this resident saw (the widget's ``?after=``)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.get(f"{base}/api/resident/history", params={"after": str(self.last_id)}, headers=headers) as reply:
            reply.raise_for_status()
            for message in (await reply.json())["messages"]:
                self._ingest(message)

    @staticmethod
    def _frame(sent: Sent) -> str:
        return json.dumps({"type": "message", "text": sent.text, "client_id": sent.client_id}, ensure_ascii=False)

    def _on_frame(self, frame: dict[str, Any]) -> None:
        if frame.get("type") == "message" and isinstance(frame.get("message"), dict):
            self._ingest(frame["message"])

    def _ingest(self, message: dict[str, Any]) -> None:
        message_id = message.get("id")
        if not isinstance(message_id, int):
            return
        now = time.monotonic()
        self.messages.setdefault(message_id, message)
        self.seen_at.setdefault(message_id, now)
        self.last_id = max(self.last_id, message_id)
        sent = self.by_client.get(message.get("client_id") or "")
        if message.get("role") == "resident" and sent is not None and sent.message_id is None:
            sent.message_id, sent.echoed_at = message_id, now
            self.outbox.pop(sent.client_id, None)
        self._changed.set()

    # ------------------------------------------------------------------ saying something

    async def _until(self, condition: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 1.0))
        return True

    def answer_to(self, sent: Sent) -> dict[str, Any] | None:
        """The assistant's answer to ``sent``: the first bot message stored after it that is not
        the gateway's "busy"/"restarting" reply (those are noted on ``sent``)."""
        if sent.message_id is None:
            return None
        for message_id in sorted(i for i in self.messages if i > sent.message_id):
            message = self.messages[message_id]
            if message.get("role") != "bot":
                continue
            if message.get("text") in NOT_AN_ANSWER:
                if message["text"] not in sent.not_answered:
                    sent.not_answered.append(message["text"])
                continue
            if sent.answered_at is None:
                sent.answered_at, sent.answer = self.seen_at[message_id], message.get("text")
            return message
        return None

    async def send(self, text: str) -> Sent:
        """Put ``text`` in the outbox and send it (if the socket is down, the reconnect sends it)."""
        sent = Sent(uuid.uuid4().hex, text, time.monotonic())
        self.sent.append(sent)
        self.by_client[sent.client_id] = self.outbox[sent.client_id] = sent
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.send(self._frame(sent))
        return sent

    async def echoed(self, sent: Sent, timeout: float) -> bool:
        return await self._until(lambda: sent.message_id is not None, timeout)

    async def answered(self, sent: Sent, timeout: float) -> bool:
        return await self._until(lambda: self.answer_to(sent) is not None, timeout)

    async def refused(self, sent: Sent, timeout: float) -> bool:
        """Whether the gateway answered ``sent`` with its "busy"/"restarting" reply within ``timeout``."""
        return await self._until(lambda: self.answer_to(sent) is None and bool(sent.not_answered), timeout)

    async def say(self, text: str, answer_timeout: float = 30.0, echo_timeout: float = 120.0) -> Sent:
        """Send, wait for the echo (resending across reconnects), then for the answer."""
        sent = await self.send(text)
        if await self.echoed(sent, echo_timeout):
            await self.answered(sent, answer_timeout)
        return sent


class AgentConsole:
    """An agent's console socket: every ``alert`` frame with the time it arrived."""

    def __init__(self, gateways: Sequence[str], cookie: str, home: int = 0) -> None:
        self.gateways = [g.rstrip("/") for g in gateways]
        self.at = home % len(self.gateways)
        self.cookie = cookie
        self.alerts: list[tuple[str, float]] = []
        self.connected = asyncio.Event()
        self.drops = 0
        self._closing = False
        self._task: asyncio.Task | None = None

    async def start(self, timeout: float = 30.0) -> AgentConsole:
        self._task = asyncio.get_running_loop().create_task(self._run())
        await asyncio.wait_for(self.connected.wait(), timeout)
        return self

    async def _run(self) -> None:
        while not self._closing:
            established = False
            try:
                url = f"{ws_base(self.gateways[self.at])}/ws/agent"
                async with websockets.connect(url, extra_headers={"Cookie": self.cookie}, open_timeout=5, close_timeout=1, max_size=2**24) as socket:
                    established = True
                    self.connected.set()
                    async for raw in socket:
                        frame = json.loads(raw)
                        if frame.get("type") == "alert":
                            self.alerts.append((str(frame.get("conversation_id")), time.monotonic()))
            except (OSError, asyncio.TimeoutError, websockets.WebSocketException, ValueError):
                pass
            finally:
                self.connected.clear()
            if self._closing:
                return
            self.drops += int(established)
            self.at = (self.at + 1) % len(self.gateways)
            await asyncio.sleep(0.3)

    async def close(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


async def log_in(http: aiohttp.ClientSession, base: str, name: str, password: str) -> tuple[str, str]:
    """An agent's session cookie (as a ``Cookie`` header) and CSRF token."""
    async with http.post(f"{base.rstrip('/')}/api/agent/login", json={"name": name, "password": password}) as reply:
        reply.raise_for_status()
        body = await reply.json()
        cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in reply.cookies.items())
    return cookie, body["csrf"]
