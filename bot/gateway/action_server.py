"""Whether the action server can run Rasa's custom actions, as far as this gateway knows.

When the action server is down, Rasa still runs a resident's turn: it logs the failed custom action
("Bot will continue, but the actions events are lost") and its REST channel answers with nothing,
or with only the responses before the failure. Almost every answer of this assistant is a custom
action (``action_greet``, ``action_answer_inquiry``, the forms' validation), so the resident would
get silence for a message Rasa counts as done.

The gateway notices it the first time Rasa answers a turn with nothing: it asks the action server
(``GET /health``) and, if that does not answer, takes the turn back (:mod:`bot.gateway.relay`:
Rasa's tracker is rewound, the message waits again, the resident is told politely) and marks the
action server *down*. While it is down no turn goes to Rasa — each message is stored, waits, and
the resident is told — and a probe asks ``/health`` every :data:`PROBE_SECONDS`; when it answers,
the recovery (:mod:`bot.gateway.recovery`) replays the waiting turns in order. Nothing is probed
while all is well: a gateway whose Rasa answers never asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp

logger = logging.getLogger(__name__)

PROBE_SECONDS = 1.0  # how often a down action server is asked again
CHECK_SECONDS = 5.0  # how long one ``/health`` may take; slower counts as up (busy, not down)


class ActionServer:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.down = False
        self._probe: asyncio.Task[None] | None = None

    async def answers(self) -> bool:
        """Whether the action server is up: ``GET /health`` answers below 500, or is only slow (a
        busy machine; Rasa's own calls wait longer). Down: the connection is refused or lost, or
        it answers 5xx."""
        try:
            timeout = aiohttp.ClientTimeout(total=CHECK_SECONDS)
            async with aiohttp.ClientSession(timeout=timeout) as session, session.get(f"{self.url}/health") as reply:
                return reply.status < 500
        except asyncio.TimeoutError:
            logger.warning("action server %s is slow to answer /health: counted as up", self.url)
            return True
        except (aiohttp.ClientError, OSError):
            return False

    async def check(self) -> bool:
        """Ask the action server now; when it does not answer, mark it down until a probe says
        otherwise. Whether it answered."""
        if await self.answers():
            return True
        self.mark_down()
        return False

    def mark_down(self) -> None:
        if not self.down:
            logger.error("action server %s does not answer: residents' turns wait until it does", self.url)
        self.down = True
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(self._probe_until_up())

    async def _probe_until_up(self) -> None:
        while self.down:
            await asyncio.sleep(PROBE_SECONDS)
            if await self.answers():
                self.down = False
                logger.info("action server %s answers again: the waiting turns are replayed", self.url)

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._probe
