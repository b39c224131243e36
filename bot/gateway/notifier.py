"""The one place that turns conversation events into what the sockets receive.

After Chatwoot's ``app/listeners/action_cable_listener.rb``: the lifecycle's transitions return
events (:mod:`bot.conversations.events`); routes, the console's actions and the relay hand them
here and never build frames themselves. Every frame goes through the hub, so with ``REDIS_URL`` it
reaches the sockets of every gateway process.

Frames (JSON over ``/ws/resident`` and ``/ws/agent``):

- ``{"type": "message", "message": {…}}``: a stored message (``bot.gateway.transcript``: ``id``,
  ``conversation_id``, ``role``, ``text``, ``buttons``, ``agent``, ``event``, ``attachment``,
  ``created_at``, ``client_id`` — the widget's id for a resident's message, else null — and
  ``callback``: a callback question's card or answer, bot.gateway.callback_sender), to the
  resident and, unless the bot is talking to the resident alone, to the consoles. A resend of a
  stored client id is answered with the stored message again, to the resident only; readers merge
  by ``id``. Agent join, leave
  and resolve notices and the ticket-done notice are stored as ``system`` messages first, their
  ``event`` naming the notice (``join``, ``leave``, ``resolved``, ``ticket_resolved``: the widget's
  protocol, not conversation statuses).
- ``{"type": "alert", "conversation_id": …, "status": "pending"}``: a handoff request entered the
  queue; once per request (``bot.conversations.alerts.claim_alerts``).
- ``{"type": "queue", "pending": […], "assigned": […]}``: the console's queue after every change;
  each console receives every item with the ``capabilities`` of its own account
  (:func:`bot.gateway.queueview.for_account`).
- ``{"type": "callbacks"}``: the 回访 list changed; each console reloads it (``GET /api/agent/callbacks``,
  with its own capabilities).
- ``{"type": "callback_alert", "callback": …, "ticket": …, "level": …, "resolved": …}``: a resident
  was unhappy at a callback (bot.callbacks.events.CallbackUnhappy); the consoles flash it.
- ``{"type": "escalation", "conversation_id": …, "request_id": …, "step": 1…3, "waited_seconds": …,
  "kind": "lift", "label": "电梯困人"}``: an emergency nobody has claimed for
  ``EMERGENCY_ESCALATION_SECONDS`` (and again after each further period): to every console, once per
  step across gateway processes (bot.conversations.escalation). Distinct from ``alert`` so the
  console can be louder (a longer alarm, a banner); the resident got an honest notice (a ``bot``
  message with ``event: "escalated"``), which the consoles get as a ``message`` frame too. The queue
  items carry ``escalations`` (the steps so far) for a console that connects later.
- ``{"type": "typing", "on": true|false}``: the assistant is working on the resident's message (the
  widget's 「对方正在输入…」), only to the resident's sockets that asked for the ``typing`` feature,
  on every gateway process.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from bot import texts
from bot.callbacks.events import CallbacksChanged, CallbackUnhappy
from bot.conversations.events import (
    CaseDetailsAdded,
    Claimed,
    Escalated,
    Event,
    HandedBack,
    OpenedToEveryone,
    Posted,
    Queued,
    Released,
    Reopened,
    Resolved,
    TicketCompleted,
    Withdrawn,
)
from bot.gateway.hub import Hub, Socket
from bot.gateway.offloop import in_thread
from bot.gateway.queueview import for_account, snapshot
from bot.gateway.transcript import store
from bot.gateway.visibility import scoped, visible_to, with_scope
from bot.safety import procedure_for
from bot.storage import session_scope

MESSAGE, ALERT, QUEUE, TYPING, ESCALATION = "message", "alert", "queue", "typing", "escalation"
CALLBACKS, CALLBACK_ALERT = "callbacks", "callback_alert"
Published = Event | CallbacksChanged | CallbackUnhappy


def for_viewer(frame: dict[str, Any], account: Any) -> dict[str, Any] | None:
    """A frame as one console sees it: the queue with that account's items and capabilities; a
    frame about a conversation only for an account that may see it (bot.gateway.visibility)."""
    if frame.get("type") == QUEUE:
        return for_account(frame, account)
    return visible_to(frame, account)


class Notifier:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        hub.view = for_viewer
        self._refresh = QueueRefresh(self._send_queue)

    async def publish(self, *events: Published) -> None:
        """Send each event's frames, then the queue once if any of them changed it."""
        queue_changed = False
        for event in events:
            queue_changed = await self._send(event) or queue_changed
        if queue_changed:
            await self.queue()

    async def _send(self, event: Published) -> bool:
        """The event's frames; True when the console's queue changed."""
        if isinstance(event, CallbacksChanged):
            await self.hub.to_agents({"type": CALLBACKS})
            return False
        if isinstance(event, CallbackUnhappy):
            frame = {
                "type": CALLBACK_ALERT,
                "callback": event.callback_id,
                "ticket": event.ticket_number,
                "conversation_id": event.conversation_id,
                "level": event.level,
                "resolved": event.resolved,
                "follow_up_ticket": event.follow_up_ticket,
            }
            await self.hub.to_agents(self._scoped(event.conversation_id, frame))
            await self.hub.to_agents({"type": CALLBACKS})
            return False
        if isinstance(event, Queued):
            frame = {"type": ALERT, "conversation_id": event.conversation_id, "status": event.status.value}
            await self.hub.to_agents(with_scope(frame, event.scope) if event.scope else self._scoped(event.conversation_id, frame))
            return True
        if isinstance(event, OpenedToEveryone):
            # Nobody of its community is logged in: every console is alerted, louder (issue 13 §5).
            frame = {"type": ALERT, "conversation_id": event.conversation_id, "status": "pending", "everyone": True, "waited_seconds": event.waited_seconds}
            await self.hub.to_agents(self._scoped(event.conversation_id, frame))
            return True
        if isinstance(event, Escalated):
            label = procedure_for(event.kind).label
            frame = {"type": ESCALATION, "conversation_id": event.conversation_id, "request_id": event.request_id, "step": event.step}
            await self.hub.to_agents(self._scoped(event.conversation_id, {**frame, "waited_seconds": event.waited_seconds, "kind": event.kind, "label": label}))
            return True
        # Residents are told the agent's display name (客服张明), never the login name.
        if isinstance(event, Claimed):
            agent = event.shown_as
            await self._notice(event.conversation_id, texts.render("agent.joined", agent=agent), {"agent": agent, "event": "join"})
            return True
        if isinstance(event, HandedBack):
            agent = event.shown_as
            await self._notice(event.conversation_id, texts.render("agent.left", agent=agent), {"agent": agent or None, "event": "leave"})
            return True
        if isinstance(event, Released):
            await self._notice(event.conversation_id, texts.render("agent.released", agent=event.shown_as), {"agent": event.shown_as or None, "event": "released"})
            frame = {"type": ALERT, "conversation_id": event.conversation_id, "status": "pending"}
            await self.hub.to_agents(self._scoped(event.conversation_id, frame))
            return True
        if isinstance(event, Resolved):
            await self._notice(event.conversation_id, texts.render("agent.resolved"), {"agent": event.shown_as or None, "event": "resolved"})
            return True
        if isinstance(event, Withdrawn):  # the resident took back their request: out of every queue
            await self._notice(event.conversation_id, texts.render("human.withdrawn"), {"event": "withdrawn"})
            return True
        if isinstance(event, Reopened):
            return False  # resolved conversations are in no console's queue; the relay resumes Rasa
        if isinstance(event, CaseDetailsAdded):
            return True  # the queue names the case by its address and resident (bot.gateway.cases)
        if isinstance(event, Posted):
            await self._message(event.conversation_id, event.message, event.to_agents)
            return False
        if isinstance(event, TicketCompleted):
            text = texts.render("agent.ticket_done", number=event.number)
            await self._notice(event.conversation_id, text, {"agent": event.agent, "event": "ticket_resolved", "ticket": event.number})
            return False
        raise TypeError(f"not a conversation event: {event!r}")

    async def _notice(self, conversation_id: str, text: str, payload: dict[str, Any]) -> None:
        """A system message in the conversation: stored, then shown to the resident and the consoles."""
        with session_scope() as session:
            message = store(session, conversation_id, "system", text, payload)
        await self._message(conversation_id, message, to_agents=True)

    async def _message(self, conversation_id: str, message: dict[str, Any], to_agents: bool) -> None:
        frame = {"type": MESSAGE, "message": message}
        await self.hub.to_resident(conversation_id, frame)
        if to_agents:
            await self.hub.to_agents(self._scoped(conversation_id, frame))

    @staticmethod
    def _scoped(conversation_id: str | None, frame: dict[str, Any]) -> dict[str, Any]:
        """A frame about a conversation goes only to the consoles that may see it (issue 13 §6)."""
        if not conversation_id:
            return frame
        with session_scope() as session:
            return scoped(session, conversation_id, frame)

    async def typing(self, conversation_id: str, on: bool) -> None:
        """Show or hide the resident's "对方正在输入…" bubble (sockets with the ``typing`` feature)."""
        await self.hub.to_resident(conversation_id, {"type": TYPING, "on": on}, feature=TYPING)

    async def queue(self) -> None:
        """The queue to every console (after a change the events did not carry: a paused
        conversation's new message, a ticket attached to a waiting emergency).

        The snapshot's queries (a dozen milliseconds with a long queue) run in a worker thread,
        not on the event loop, where they delayed every other socket's frames — the next
        emergency's alert among them. Changes that come while a snapshot is being read share the
        next one (:class:`QueueRefresh`): each caller returns once a snapshot read after its
        change has been sent, and consoles never get an older queue after a newer one."""
        await self._refresh.run()

    async def _send_queue(self) -> None:
        await self.hub.to_agents(await in_thread(self.queue_frame))

    @staticmethod
    def queue_frame() -> dict[str, Any]:
        with session_scope() as session:
            return {"type": QUEUE, **snapshot(session)}

    async def greet(self, socket: Socket, account: Any) -> None:
        """A console that just connected gets the queue as its account sees it."""
        frame = await in_thread(self.queue_frame)
        await socket.send(json.dumps(for_viewer(frame, account), ensure_ascii=False))


class QueueRefresh:
    """One queue snapshot at a time; changes that arrive meanwhile are covered by the next.

    ``run()`` counts a change, then waits its turn: if a snapshot begun after the change has been
    sent by then, there is nothing left to do; otherwise it reads and sends one, which covers every
    change counted before it began. So bursts of changes (forty emergencies in a minute) cost a
    few snapshots, not one each, and they go out in the order they were read."""

    def __init__(self, send: Callable[[], Awaitable[None]]) -> None:
        self._send = send
        self._turn = asyncio.Lock()
        self._changes = 0  # changes counted so far
        self._covered = 0  # changes covered by the last snapshot sent

    async def run(self) -> None:
        self._changes += 1
        mine = self._changes
        async with self._turn:
            if self._covered >= mine:
                return
            covers = self._changes  # the snapshot read now sees every change counted until here
            await self._send()
            self._covered = covers
