"""What the console's queue shows: pending conversations (urgent first, longest waiting first)
and the conversations agents are handling.

The snapshot is rebuilt and sent to every console on each change to the queue, so it reads
columns, not ORM objects: five queries whatever the queue's length."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from bot.callbacks.rules import UNHAPPY_CALLBACK
from bot.clock import utcnow
from bot.conversations.alerts import EMERGENCY
from bot.conversations.capabilities import Account, View, capabilities
from bot.conversations.lifecycle import RELEASED, assigned, waiting
from bot.conversations.sla import respond_by
from bot.conversations.status import Priority, Status
from bot.conversations.turns import UNANSWERED
from bot.conversations.unserved import Scope, can_see, served_now
from bot.gateway import cases
from bot.settings import unserved_emergency_seconds
from bot.storage.models import Community, Conversation, HandoffRequest, Message, Ticket, community_or_default

REASONS = {EMERGENCY: "紧急情况", "request_human": "要求人工", UNANSWERED: "助手未及时回复", UNHAPPY_CALLBACK: "回访不满意", RELEASED: "原客服账号已停用"}
CONVERSATION_COLUMNS = (
    Conversation.id, Conversation.status, Conversation.priority, Conversation.waiting_since, Conversation.assigned_agent,
    community_or_default(Conversation.community_id).label("community_id"),
)
LISTS = (Status.PENDING.value, Status.ASSIGNED.value)  # the snapshot's two lists, named after their status


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _latest_requests(session: Session, ids: list[str]) -> dict[str, Row]:
    latest = (
        sa.select(sa.func.max(HandoffRequest.id)).where(HandoffRequest.conversation_id.in_(ids)).group_by(HandoffRequest.conversation_id)
    )
    columns = (
        HandoffRequest.conversation_id, HandoffRequest.reason, HandoffRequest.summary, HandoffRequest.ticket_id, HandoffRequest.escalations,
        HandoffRequest.created_at, HandoffRequest.everyone_at, HandoffRequest.handled_at,
    )
    return {r.conversation_id: r for r in session.execute(sa.select(*columns).where(HandoffRequest.id.in_(latest)))}


def _last_resident_texts(session: Session, ids: list[str]) -> dict[str, str]:
    latest = (
        sa.select(sa.func.max(Message.id))
        .where(Message.conversation_id.in_(ids), Message.role == "resident")
        .group_by(Message.conversation_id)
    )
    rows = session.execute(sa.select(Message.conversation_id, Message.text).where(Message.id.in_(latest)))
    return {conversation_id: text for conversation_id, text in rows}


def _respond_by_of_tickets(session: Session, ticket_ids: list[int]) -> dict[int, datetime | None]:
    if not ticket_ids:
        return {}
    return dict(session.execute(sa.select(Ticket.id, Ticket.respond_by).where(Ticket.id.in_(ticket_ids))).all())


def _community_names(session: Session) -> dict[int, str]:
    return dict(session.execute(sa.select(Community.id, Community.name)).all())


def _unserved(request: Row | None, community_id: int | None, served: frozenset[int] | None, wait: float) -> dict[str, Any]:
    """For an emergency waiting unclaimed: opened to every agent (when), or — while nobody of its
    community is logged in — when it will be (issue 13 §5: the wait is shown in the console)."""
    if request is None or request.reason != EMERGENCY or request.handled_at is not None:
        return {"everyone": False, "everyone_at": None, "everyone_after": None}
    if request.everyone_at is not None:
        return {"everyone": True, "everyone_at": _iso(request.everyone_at), "everyone_after": None}
    if served is not None and community_id not in served:
        return {"everyone": False, "everyone_at": None, "everyone_after": _iso(request.created_at + timedelta(seconds=wait))}
    return {"everyone": False, "everyone_at": None, "everyone_after": None}


def _items(session: Session, conversations: list[Row]) -> list[dict[str, Any]]:
    """The queue rows, in at most five more queries whatever the queue's length."""
    if not conversations:
        return []
    ids = [c.id for c in conversations]
    requests = _latest_requests(session, ids)
    texts = _last_resident_texts(session, ids)
    deadlines = _respond_by_of_tickets(session, [r.ticket_id for r in requests.values() if r.ticket_id])
    labels = cases.names(session, ids)  # community · address · resident, never the internal id
    names = _community_names(session)
    served = served_now(session, utcnow())
    wait = unserved_emergency_seconds()
    items = []
    for conversation in conversations:
        request = requests.get(conversation.id)
        items.append({
            "community_id": conversation.community_id,
            "community": names.get(conversation.community_id, ""),
            **_unserved(request, conversation.community_id, served, wait),
            "id": conversation.id,
            "case": labels[conversation.id],
            "status": Status(conversation.status).value,
            "priority": conversation.priority,
            "emergency": conversation.priority == Priority.EMERGENCY,
            "waiting_since": conversation.waiting_since.isoformat() if conversation.waiting_since else None,
            "assigned_agent": conversation.assigned_agent,
            "reason": REASONS.get(request.reason, request.reason) if request else "",
            "summary": request.summary if request else "",
            "last_text": texts.get(conversation.id, "")[:120],
            "escalations": request.escalations if request else 0,  # unclaimed-emergency alarms so far (bot.conversations.escalation)
            "respond_by": _iso(respond_by(conversation.priority, conversation.waiting_since, deadlines.get(request.ticket_id) if request else None)),
        })
    return items


def snapshot(session: Session) -> dict[str, Any]:
    """The same for every console; :func:`for_account` keeps what the viewer may see and adds what
    it may do. ``now`` is the server's clock, so consoles count SLA time by it and not by their own
    computer's clock; ``unserved_wait_seconds``: how long an emergency of a community with nobody
    logged in waits before every agent is alerted."""
    return {
        "now": utcnow().isoformat(),
        "unserved_wait_seconds": unserved_emergency_seconds(),
        Status.PENDING.value: _items(session, session.execute(waiting(*CONVERSATION_COLUMNS)).all()),
        Status.ASSIGNED.value: _items(session, session.execute(assigned(*CONVERSATION_COLUMNS)).all()),
    }


def _sees(item: dict[str, Any], account: Account) -> bool:
    scope = Scope(item.get("community_id"), item.get("assigned_agent"), bool(item.get("everyone")))
    return can_see(scope, account.name, getattr(account, "communities", None))


def for_account(queue: dict[str, Any], account: Account) -> dict[str, Any]:
    """The snapshot (or queue frame) as ``account`` sees it: only the conversations it may see
    (issue 13 §6), each item with its ``capabilities``."""
    return {
        **queue,
        **{
            name: [
                {**item, "capabilities": capabilities(View(item["status"], item["assigned_agent"]), account).as_dict()}
                for item in queue[name]
                if _sees(item, account)
            ]
            for name in LISTS
            if name in queue
        },
    }
