"""How the desks name a conversation, and the agents' list of finished conversations.

A case is named as people know it — community, address and resident (the name they gave and the
phone masked as everywhere else, ``bot.tickets.masking``) — from the conversation's latest ticket,
never by its internal id (``r-1d5d8484``). A conversation without a ticket has no address yet: it is
named by what is known (the community, 地址未提供, 居民) and when it started.

Finished conversations are those an agent ended (``conversations.resolved_at``); agents search them
by resident (name or phone digits), address, a word of the conversation and the local day it ended.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import LOCAL_TZ, as_utc
from bot.conversations.status import Status
from bot.inbound import clean_text
from bot.storage.models import Community, Conversation, Message, Ticket
from bot.tickets.masking import mask_phone

NO_ADDRESS = "地址未提供"
NO_NAME = "居民"
FINISHED_LIMIT = 50
MAX_QUERY = 50
_DIGITS = re.compile(r"\d+")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else as_utc(moment).isoformat()


def _latest_tickets(session: Session, ids: list[str]) -> dict[str, Any]:
    if not ids:
        return {}
    latest = sa.select(sa.func.max(Ticket.id)).where(Ticket.conversation_id.in_(ids)).group_by(Ticket.conversation_id)
    columns = (Ticket.conversation_id, Ticket.address, Ticket.contact_name, Ticket.contact_phone, Ticket.number)
    return {row.conversation_id: row for row in session.execute(sa.select(*columns).where(Ticket.id.in_(latest)))}


def _label(community: str, ticket: Any, started: datetime | None) -> dict[str, Any]:
    address = (ticket.address if ticket is not None else "") or NO_ADDRESS
    name = (ticket.contact_name if ticket is not None else "") or NO_NAME
    phone = mask_phone(ticket.contact_phone) if ticket is not None and ticket.contact_phone else ""
    resident = f"{name} {phone}".strip()
    return {
        "community": community,
        "address": address,
        "resident": resident,
        "title": " · ".join(part for part in (community, address, resident) if part),
        "ticket": ticket.number if ticket is not None else None,
        "started_at": _iso(started),
    }


def names(session: Session, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each conversation's ``case``: ``{community, address, resident, title, ticket, started_at}``;
    two queries whatever the number of conversations."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return {}
    tickets = _latest_tickets(session, ids)
    # the conversation's community (issue 13); one with none belongs to the first community
    first = session.execute(sa.select(Community.name).order_by(Community.id).limit(1)).scalar() or ""
    rows = session.execute(
        sa.select(Conversation.id, Conversation.created_at, Community.name)
        .outerjoin(Community, Community.id == Conversation.community_id)
        .where(Conversation.id.in_(ids))
    ).all()
    known = {row.id: (row.name or first, row.created_at) for row in rows}
    return {cid: _label(known.get(cid, (first, None))[0], tickets.get(cid), known.get(cid, (first, None))[1]) for cid in ids}


def name(session: Session, conversation_id: str) -> dict[str, Any]:
    return names(session, [conversation_id])[conversation_id]


def parse_day(raw: str | None) -> date | None:
    """``?day=YYYY-MM-DD`` (a local day, 2000–2099); raises ValueError for anything else."""
    if not raw:
        return None
    day = date.fromisoformat(raw.strip()) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()) else None
    if day is None or not 2000 <= day.year <= 2099:
        raise ValueError(raw)
    return day


def finished(
    session: Session,
    query: str = "",
    day: date | None = None,
    limit: int = FINISHED_LIMIT,
    communities: frozenset[int] | None = None,
    agent: str = "",
) -> list[dict[str, Any]]:
    """Conversations an agent ended, the latest first, matching every given criterion: ``query`` in
    the resident's name, phone (digits), the address or any message's text; ``day`` the local day it
    ended. ``communities``: only those of these communities or that ``agent`` held (issue 13 §6: an
    agent sees the communities they serve; ``None``: every community)."""
    query = clean_text(query or "").strip()[:MAX_QUERY]  # no NUL or lone surrogate reaches the database
    select = sa.select(Conversation.id, Conversation.status, Conversation.resolved_at, Conversation.assigned_agent).where(
        Conversation.resolved_at.is_not(None)
    )
    if communities is not None:
        select = select.where(sa.or_(Conversation.community_id.in_(sorted(communities)), Conversation.assigned_agent == agent))
    if day is not None:
        since = datetime.combine(day, time(), LOCAL_TZ).astimezone(timezone.utc)
        select = select.where(Conversation.resolved_at >= since, Conversation.resolved_at < since + timedelta(days=1))
    if query:
        like = "%" + re.sub(r"([\\%_])", r"\\\1", query) + "%"  # the words as typed: % and _ are no wildcards
        matches = [Ticket.address.like(like, escape="\\"), Ticket.contact_name.like(like, escape="\\")]
        digits = "".join(_DIGITS.findall(query))
        if len(digits) >= 4:
            matches.append(Ticket.contact_phone.like(f"%{digits}%"))
        by_ticket = sa.select(Ticket.conversation_id).where(sa.or_(*matches))
        by_text = sa.select(Message.conversation_id).where(Message.text.like(like, escape="\\"))
        select = select.where(sa.or_(Conversation.id.in_(by_ticket), Conversation.id.in_(by_text)))
    rows = session.execute(select.order_by(Conversation.resolved_at.desc()).limit(max(1, limit))).all()
    labels = names(session, [r.id for r in rows])
    last = _last_texts(session, [r.id for r in rows])
    return [
        {
            "id": r.id,
            "status": Status(r.status).value,
            "resolved_at": _iso(r.resolved_at),
            "agent": r.assigned_agent,
            "case": labels[r.id],
            "last_text": last.get(r.id, "")[:120],
        }
        for r in rows
    ]


def _last_texts(session: Session, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    latest = sa.select(sa.func.max(Message.id)).where(Message.conversation_id.in_(ids), Message.role == "resident").group_by(Message.conversation_id)
    return dict(session.execute(sa.select(Message.conversation_id, Message.text).where(Message.id.in_(latest))).all())
