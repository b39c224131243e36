"""The gateway's callback schedule: every few seconds, ask the callbacks that fell due in the
residents' chats and move unanswered ones to the agents' phone list.

Runs in every gateway process, started and stopped with Sanic's lifecycle (:class:`CallbackSchedule`, bot.gateway.app), on the
product's clock (``bot.clock.utcnow``, which tests move). Several processes find the same due
callback; each claims it with a conditional UPDATE (:func:`bot.callbacks.desk.claim_for_chat`) and
stores the question in the same transaction, so exactly one asks it, once, also across restarts.
The question is then delivered live through the notifier (over Redis to the resident's process),
or waits in the history for the resident's next visit.

The question names the case: the ticket number, its class and the resident's own words (as far
as the assistant may repeat them, ``bot.politeness.scripts.echo``), asks whether it is fixed, and
offers the five levels and a remark as buttons (the widget's callback card).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from bot import texts
from bot.callbacks import desk
from bot.callbacks.events import CallbacksChanged
from bot.clock import LOCAL_TZ, as_utc, utcnow
from bot.conversations.events import Posted
from bot.gateway.state import Gateway
from bot.gateway.transcript import store
from bot.gateway.turn_locks import TurnLockBusy
from bot.politeness.scripts import echo
from bot.storage import session_scope
from bot.tickets.service import CATEGORY_LABELS

logger = logging.getLogger(__name__)
PROBLEM_CHARS = 30  # how much of the resident's description the question repeats


def question(asked: desk.ChatCallback) -> str:
    created = as_utc(asked.ticket_created_at).astimezone(LOCAL_TZ)
    problem = echo(asked.description.strip().splitlines()[0][:PROBLEM_CHARS] if asked.description.strip() else "")
    return texts.render(
        "callback.ask", date=f"{created.month}月{created.day}日", category=CATEGORY_LABELS.get(asked.kind, asked.kind), number=asked.ticket_number, problem=problem
    )


def card(asked: desk.ChatCallback) -> dict[str, Any]:
    """What the widget's card needs (its texts come with the widget's config)."""
    return {"id": asked.callback_id, "ticket": asked.ticket_number, "kind": asked.kind, "attempt": asked.attempt}


async def _ask(gateway: Gateway, callback_id: int, conversation_id: str, now: datetime) -> dict[str, Any] | None:
    """Claim the callback and store its question in one transaction, between the resident's turns
    (the conversation's turn lock, not waited for: bot.gateway.turn_locks), so the question never
    lands between a resident's message and the assistant's answer. None when another process won."""
    async with gateway.turn_locks.hold(conversation_id, wait=False):
        with session_scope() as session:
            asked = desk.claim_for_chat(session, callback_id, now)
            if asked is None:
                return None
            message = store(session, asked.conversation_id, "bot", question(asked), {"callback": card(asked)})
            desk.attach_message(session, callback_id, message["id"])
            return message


async def run_once(gateway: Gateway) -> int:
    """Ask every due chat callback this process wins; move unanswered ones to the phone list.
    How many questions this process sent."""
    now = utcnow()
    with session_scope() as session:
        due = desk.conversations_of(session, desk.due_for_chat(session, now))
    sent = 0
    for callback_id, conversation_id in due.items():
        try:
            message = await _ask(gateway, callback_id, conversation_id, now)
        except TurnLockBusy:
            continue  # the resident is in the middle of a turn: asked next round, not inside it
        if message is None:
            continue  # another process asked it
        sent += 1
        await gateway.notifier.publish(Posted(conversation_id, message, to_agents=True))
    with session_scope() as session:
        moved = desk.move_unanswered(session, now)
    if sent or moved:
        logger.info("callbacks: %d asked in the chat, %d moved to the phone list", sent, moved)
        await gateway.notifier.publish(CallbacksChanged())
    return sent


class CallbackSchedule:
    """The schedule's loop in this process: started after the server starts and stopped before it
    stops (bot.gateway.app), like the turn recovery beside it."""

    def __init__(self, gateway: Gateway, every: float) -> None:
        self.gateway = gateway
        self.every = every
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run_forever())

    async def stop(self) -> None:
        """Cancel the loop; a round cut here committed each question with its claim, or neither."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run_forever(self) -> None:
        while True:
            try:
                await run_once(self.gateway)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database was away for a moment: the next round tries again
                logger.exception("callback schedule round failed")
            await asyncio.sleep(self.every)
