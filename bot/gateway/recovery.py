"""Turns nobody is answering, found and answered: each gateway process runs this beside its sockets.

A resident's message whose turn was cut — the gateway process that stored it was killed, Rasa was
down or died mid-turn, the gateway drained — stays ``pending`` in the database
(:mod:`bot.conversations.turns`). Every gateway process runs two loops (started after the server
starts, cancelled before it stops; ``bot.gateway.app``):

- the *heartbeat* renews the leases of the turns this process runs, every third of
  ``TURN_LEASE_SECONDS``, so nobody takes over a turn that is only slow; when the process dies the
  leases lapse and the turns become orphans;
- the *sweep*, about every second: conversations whose oldest waiting message is older than
  ``TURN_STALE_SECONDS`` are handed to the agents with a plain notice to the resident (even while
  Rasa is still down — an agent answers instead); then, if Rasa answers ``GET /`` and the action
  server is not known to be down (:mod:`bot.gateway.action_server`), conversations
  whose oldest waiting turn nobody holds are replayed through the normal turn path
  (:func:`bot.gateway.relay.answer_waiting`), oldest first within each conversation.

Of several gateway processes sweeping at once, each conversation is taken by one: the turn lock
(``wait=False``: a held lock means someone is answering it) and, underneath, the conditional UPDATE
that claims each turn. A replay whose Rasa call fails although Rasa answered the probe (an error for
that one message) is retried after a lease's time, not in a loop, until it goes stale and an agent
gets it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.conversations import turns
from bot.gateway.offloop import in_session
from bot.gateway.relay import answer_waiting
from bot.gateway.state import Gateway
from bot.gateway.turn_locks import TurnLockBusy

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 1.0  # how soon an orphaned turn is seen (and Rasa's return noticed)
RASA_DOWN_MAX_SECONDS = 5.0  # while Rasa is down, probe it at most this far apart (from 1 s, doubling)


class Recovery:
    def __init__(self, gateway: Gateway, sweep_seconds: float = SWEEP_SECONDS) -> None:
        self.gateway = gateway
        self.sweep_seconds = sweep_seconds
        self._tasks: list[asyncio.Task[None]] = []
        self._next_probe = 0.0
        self._probe_delay = sweep_seconds

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._heartbeat()), loop.create_task(self._sweep_forever())]

    async def stop(self) -> None:
        """Cancel both loops; a replay cut here releases its turn for another process."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _heartbeat(self) -> None:
        lease = self.gateway.lease
        while True:
            await asyncio.sleep(lease.seconds / 3)
            try:
                await in_session(self.renew)
            except Exception:  # the database is away for a moment: try again next beat
                logger.exception("could not renew this process's turn leases")

    def renew(self, session: Session) -> int:
        running = sorted(self.gateway.running)
        if not running:
            return 0
        return turns.renew(session, running, self.gateway.lease, utcnow())

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:  # never let one bad turn stop the recovery of the others
                logger.exception("recovery sweep failed")
            await asyncio.sleep(self.sweep_seconds)

    async def sweep(self) -> None:
        """One pass: hand stale waiting turns to the agents, then replay the orphaned ones."""
        gateway = self.gateway
        now = utcnow()
        for conversation_id in await in_session(turns.overdue, now - timedelta(seconds=gateway.config.turn_stale_seconds)):
            await self._answer(conversation_id)  # the stale turns are flagged, Rasa is not asked
        orphaned = await in_session(turns.orphaned, utcnow())
        if not orphaned or not await self._rasa_answers():
            return
        logger.info("replaying the waiting turns of %d conversation(s)", len(orphaned))
        for conversation_id in orphaned:
            if not await self._answer(conversation_id, retry_after=gateway.lease.seconds):
                self._rasa_failed()
                return

    async def _answer(self, conversation_id: str, retry_after: float = 0.0) -> bool:
        """The conversation's waiting turns, unless another turn of it is running now (then its
        holder answers them in order). False when Rasa could not answer."""
        try:
            return await answer_waiting(self.gateway, conversation_id, wait=False, retry_after=retry_after)
        except TurnLockBusy:
            return True

    async def _rasa_answers(self) -> bool:
        loop = asyncio.get_running_loop()
        if loop.time() < self._next_probe or self.gateway.actions.down:
            return False  # a down action server: its probe (bot.gateway.action_server) says when it is back
        if await self.gateway.rasa.alive():
            self._probe_delay = self.sweep_seconds
            self._next_probe = 0.0
            return True
        self._rasa_failed()
        return False

    def _rasa_failed(self) -> None:
        self._next_probe = asyncio.get_running_loop().time() + self._probe_delay
        self._probe_delay = min(self._probe_delay * 2, RASA_DOWN_MAX_SECONDS)
