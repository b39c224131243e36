"""Draining on SIGTERM (and Ctrl-C): no new turns, running turns finish, sockets closed, then exit.

Sanic stops its loop on SIGTERM and then runs the ``before_server_stop`` listeners while the loop,
the listening socket and every open WebSocket still work; :func:`drain` runs there
(``bot.gateway.app``). Meanwhile:

- a resident's message is still stored (and a live emergency still raised to the agents by the
  gateway's own rules), but no new Rasa turn starts — one could be cut by the exit — and the
  resident is told politely that the assistant is restarting (``bot.gateway.relay``);
- a turn already running (Rasa asked, its replies not yet stored) finishes, up to
  ``GATEWAY_DRAIN_SECONDS`` — also one whose socket has dropped (it runs on, shielded);
- ``/readyz`` answers 503, so a load balancer sends new residents to another gateway, and new
  WebSockets are closed at once with 1012.

Then every socket is closed with 1012 (RFC 6455's "service restart": the widget and the console
reconnect with back-off, here or at another gateway), and the messages that crossed the close are
given a moment to be stored before Sanic finishes its own shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from bot.gateway.hub import Hub

logger = logging.getLogger(__name__)

RESTART_CLOSE_CODE = 1012  # RFC 6455 registry: "Service Restart"
RESTART_CLOSE_REASON = "restarting"
SETTLE_SECONDS = 0.2
AFTER_CLOSE_SECONDS = 2.0  # messages already in flight when the sockets close are stored in this time


class Draining(RuntimeError):
    """The gateway is draining: this message is stored, but no new Rasa turn starts."""


class Drain:
    """Whether this gateway still starts turns, and how many resident messages it is handling now."""

    def __init__(self) -> None:
        self.draining = False
        self.running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Count a resident's frame from its arrival (before the rate limit and the resident's turn
        lock) until its replies are stored: the drain waits for all of them."""
        self.running += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.running -= 1
            if self.running == 0:
                self._idle.set()

    def refuse_new_turns(self) -> None:
        """From now on a resident's message is stored and answered politely, not sent to Rasa."""
        if not self.draining:
            self.draining = True
            logger.info("draining: no new turns; %d message(s) being handled", self.running)

    async def wait_idle(self, seconds: float) -> bool:
        """Wait until no message is being handled; False if ``seconds`` passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except asyncio.TimeoutError:
            return False
        return True


async def close_socket(socket: Any) -> None:
    try:
        await socket.close(code=RESTART_CLOSE_CODE, reason=RESTART_CLOSE_REASON)
    except Exception as error:  # already closed or broken: nothing left to close
        logger.debug("socket not closed cleanly: %s", error)


async def _settled(state: Drain, turns: set[asyncio.Task], deadline: float) -> bool:
    """Wait until no frame is being handled and no turn is running (one whose socket dropped runs
    on, shielded: bot.gateway.relay.outlive_the_socket); False if ``deadline`` passed first."""
    loop = asyncio.get_running_loop()
    while True:
        if not await state.wait_idle(max(0.0, deadline - loop.time())):
            return False
        running = [turn for turn in turns if not turn.done()]
        if running:
            _, left = await asyncio.wait(running, timeout=max(0.0, deadline - loop.time()))
            if left:
                return False
            continue
        # A frame that arrived while its socket's handler was busy is read right after: let it start.
        await asyncio.sleep(SETTLE_SECONDS)
        if state.running == 0 and all(turn.done() for turn in turns):
            return True


async def drain(state: Drain, hub: Hub, turns: set[asyncio.Task], seconds: float) -> None:
    """Stop starting turns, let the running ones finish (at most ``seconds``), close every socket."""
    state.refuse_new_turns()
    deadline = asyncio.get_running_loop().time() + seconds
    if await _settled(state, turns, deadline):
        logger.info("drained: no message being handled")
    else:
        logger.error("drain timed out after %.0f s with %d message(s) still being handled", seconds, state.running)
    sockets = [socket for group in hub.residents.values() for socket in list(group)] + list(hub.agents)
    await asyncio.gather(*(close_socket(socket) for socket in sockets))
    logger.info("closed %d socket(s) with %d (service restart)", len(sockets), RESTART_CLOSE_CODE)
    await _settled(state, turns, asyncio.get_running_loop().time() + AFTER_CLOSE_SECONDS)
