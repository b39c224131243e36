"""Every figure of the manager's dashboard and the monthly 报表, computed in one place.

The dashboard (``/manager``), the JSON API (``GET /api/manager/figures``) and the workbook
(bot.reports.workbook) all show what :func:`figures` returns: a dict of tables, each a list of rows
with the same keys. A test (tests/test_report_figures.py) computes the same numbers directly in
SQL on seeded data and compares them.

The period is a range of local days (Asia/Shanghai), both ends included. ``community_id``
(issue 13) narrows the rows that carry a community — tickets (cases, SLA, open tickets),
satisfaction answers and callbacks; the emergency and supervision tables are the company's
(:func:`_in_community` is the one place to bind it).

Definitions (DOMAIN §2–§6; stated on the page as well):

- **cases by class per day**: tickets opened per local day, by class (咨询, 报修, 投诉, 紧急求助).
- **SLA** (DOMAIN §2–§5, bot.tickets.rules): tickets opened in the period, by class and priority.
  Responded = the first of: an agent's first reply in its conversation (``tickets.responded_at``),
  the first change of status by a person, an agent taking the conversation of its handoff request;
  resolved = the first 已完成/已关闭. A ticket counts for a deadline once it is
  met or has passed; in time = at or before ``respond_by``/``resolve_by``.
- **emergencies** (DOMAIN §5): emergency handoff requests made in the period; time to alert = from
  the resident's message (the latest before the request) to the consoles' alert; time to claim =
  from that message to an agent taking the conversation.
- **open tickets**: now, by class: not 已完成/已关闭; overdue = past ``resolve_by``.
- **callbacks** (DOMAIN §6, bot.callbacks): callbacks whose window opens in the period, by kind;
  due = window open and not done (asked in the chat or on the phone list); overdue = window closed
  before done. The callback rate = first callbacks done ÷ (done + overdue); those still inside
  their window are not counted yet. Targets: complaints 100 %, repairs 90 %.
- **satisfaction** (seed 003 「客户满意度的测评」): answers given in the period. 客户满意率 = answers
  满意 or 非常满意 ÷ all answers; 客户满意度指数 = the mean of the weights 非常满意 100, 满意 80,
  一般 60, 不满意 40, 很不满意 20 (= 20 × the mean score). Per area of seed 003's form, and overall
  (every answer, every area); the trend is the overall rate and index per local day.
- **supervision** (seed 004): per agent, in the period: conversations claimed, the median first
  response (from the start of the resident's wait to the agent's first reply), replies refused by
  the politeness checker, and the satisfaction of the conversations the agent resolved.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.callbacks.rules import RATE_TARGETS
from bot.callbacks.status import State, state_of
from bot.clock import LOCAL_TZ, as_utc, utcnow
from bot.conversations.activity import CLAIMED, FIRST_REPLY, REFUSED
from bot.satisfaction import SCALE
from bot.storage.models import AgentActivity, Callback, HandoffRequest, Message, SatisfactionRating, Ticket, TicketEvent
from bot.surveys.form import AREA_LABELS
from bot.tickets.service import CATEGORIES

EMERGENCY = "emergency"  # the handoff request's reason (bot.conversations.alerts.EMERGENCY)
DONE_STATUSES = ("resolved", "closed")
WEIGHTS = {level.score: level.score * 20 for level in SCALE}  # 5 → 100 … 1 → 20
OVERALL = "全部合计"  # the satisfaction table's last row: every answer of every area


@dataclass(frozen=True)
class Scope:
    start: date
    end: date  # included
    community_id: int | None = None

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), LOCAL_TZ).astimezone(timezone.utc)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), LOCAL_TZ).astimezone(timezone.utc)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def local_day(moment: datetime) -> date:
    return as_utc(moment).astimezone(LOCAL_TZ).date()


def rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def satisfaction_index(scores: list[int]) -> float | None:
    return None if not scores else round(sum(WEIGHTS[s] for s in scores) / len(scores), 2)


def _in_community(query: sa.sql.Select, column: Any, scope: Scope) -> sa.sql.Select:
    return query if scope.community_id is None or column is None else query.where(column == scope.community_id)


def _seconds(later: datetime, earlier: datetime) -> float:
    return (as_utc(later) - as_utc(earlier)).total_seconds()


# --------------------------------------------------------------------------- tickets


def _tickets(session: Session, scope: Scope) -> list[Any]:
    query = sa.select(Ticket.id, Ticket.category, Ticket.priority, Ticket.created_at, Ticket.respond_by, Ticket.resolve_by, Ticket.responded_at).where(
        Ticket.created_at >= scope.since, Ticket.created_at < scope.until
    )
    return list(session.execute(_in_community(query, Ticket.community_id, scope)).all())


def cases_by_day(session: Session, scope: Scope) -> list[dict[str, Any]]:
    counts: dict[date, dict[str, int]] = {day: dict.fromkeys(CATEGORIES, 0) for day in scope.days()}
    for ticket in _tickets(session, scope):
        counts[local_day(ticket.created_at)][ticket.category] += 1
    return [{"date": day.isoformat(), **row, "total": sum(row.values())} for day, row in counts.items()]


def sla(session: Session, scope: Scope, now: datetime) -> list[dict[str, Any]]:
    tickets = _tickets(session, scope)
    ids = [t.id for t in tickets]
    responded: dict[int, datetime] = {t.id: t.responded_at for t in tickets if t.responded_at is not None}  # an agent's first reply
    resolved: dict[int, datetime] = {}
    if ids:
        for event in session.execute(sa.select(TicketEvent.ticket_id, TicketEvent.status, TicketEvent.created_at).where(TicketEvent.ticket_id.in_(ids))):
            if event.status != "new":
                responded[event.ticket_id] = min(responded.get(event.ticket_id, event.created_at), event.created_at, key=as_utc)
            if event.status in DONE_STATUSES:
                resolved[event.ticket_id] = min(resolved.get(event.ticket_id, event.created_at), event.created_at, key=as_utc)
        handled = sa.select(HandoffRequest.ticket_id, HandoffRequest.handled_at).where(HandoffRequest.ticket_id.in_(ids), HandoffRequest.handled_at.is_not(None))
        for request in session.execute(handled):
            responded[request.ticket_id] = min(responded.get(request.ticket_id, request.handled_at), request.handled_at, key=as_utc)
    groups: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(("tickets", "respond_due", "responded_in_time", "resolve_due", "resolved_in_time"), 0))
    for ticket in tickets:
        row = groups[(ticket.category, ticket.priority)]
        row["tickets"] += 1
        for deadline, done, due_key, kept_key in (
            (ticket.respond_by, responded.get(ticket.id), "respond_due", "responded_in_time"),
            (ticket.resolve_by, resolved.get(ticket.id), "resolve_due", "resolved_in_time"),
        ):
            if deadline is None or (done is None and as_utc(deadline) >= now):
                continue  # no such deadline, or it has not come yet
            row[due_key] += 1
            if done is not None and as_utc(done) <= as_utc(deadline):
                row[kept_key] += 1
    order = {category: index for index, category in enumerate(CATEGORIES)}
    return [
        {
            "category": category,
            "priority": priority,
            **row,
            "respond_rate": rate(row["responded_in_time"], row["respond_due"]),
            "resolve_rate": rate(row["resolved_in_time"], row["resolve_due"]),
        }
        for (category, priority), row in sorted(groups.items(), key=lambda item: (order.get(item[0][0], 9), item[0][1]))
    ]


def open_tickets(session: Session, scope: Scope, now: datetime) -> list[dict[str, Any]]:
    query = sa.select(Ticket.category, Ticket.resolve_by).where(Ticket.status.not_in(DONE_STATUSES))
    rows = {category: {"category": category, "open": 0, "overdue": 0} for category in CATEGORIES}
    for ticket in session.execute(_in_community(query, Ticket.community_id, scope)):
        rows[ticket.category]["open"] += 1
        if ticket.resolve_by is not None and as_utc(ticket.resolve_by) < now:
            rows[ticket.category]["overdue"] += 1
    return list(rows.values())


# --------------------------------------------------------------------------- emergencies


def emergencies(session: Session, scope: Scope) -> list[dict[str, Any]]:
    requests = session.execute(
        sa.select(HandoffRequest.conversation_id, HandoffRequest.created_at, HandoffRequest.alerted_at, HandoffRequest.handled_at).where(
            HandoffRequest.reason == EMERGENCY, HandoffRequest.created_at >= scope.since, HandoffRequest.created_at < scope.until
        )
    ).all()
    to_alert: list[float] = []
    to_claim: list[float] = []
    for request in requests:
        started = session.execute(
            sa.select(sa.func.max(Message.created_at)).where(
                Message.conversation_id == request.conversation_id, Message.role == "resident", Message.created_at <= request.created_at
            )
        ).scalar() or request.created_at
        if request.alerted_at is not None:
            to_alert.append(_seconds(request.alerted_at, started))
        if request.handled_at is not None:
            to_claim.append(_seconds(request.handled_at, started))

    def summary(values: list[float]) -> tuple[float | None, float | None]:
        return (round(statistics.median(values), 1), round(max(values), 1)) if values else (None, None)

    alert_median, alert_max = summary(to_alert)
    claim_median, claim_max = summary(to_claim)
    return [
        {
            "requests": len(requests),
            "alerted": len(to_alert),
            "alert_median_seconds": alert_median,
            "alert_max_seconds": alert_max,
            "claimed": len(to_claim),
            "claim_median_seconds": claim_median,
            "claim_max_seconds": claim_max,
        }
    ]


# --------------------------------------------------------------------------- callbacks


def callbacks(session: Session, scope: Scope, now: datetime) -> list[dict[str, Any]]:
    query = sa.select(Callback.kind, Callback.attempt, Callback.status, Callback.channel, Callback.due_from, Callback.due_by).where(
        Callback.due_from >= scope.since, Callback.due_from < scope.until
    )
    rows: dict[str, dict[str, Any]] = {kind: {"kind": kind, "callbacks": 0, "upcoming": 0, "due": 0, "overdue": 0, "done": 0} for kind in RATE_TARGETS}
    first: dict[str, dict[str, int]] = {kind: {"done": 0, "overdue": 0} for kind in RATE_TARGETS}
    for callback in session.execute(_in_community(query, Callback.community_id, scope)):
        state = state_of(callback, now)
        row = rows[callback.kind]
        row["callbacks"] += 1
        row[{State.AWAITING: "due"}.get(state, state.value)] += 1
        if callback.attempt == 1 and state in (State.DONE, State.OVERDUE):
            first[callback.kind][state.value] += 1
    return [
        {**row, "rate": rate(first[kind]["done"], first[kind]["done"] + first[kind]["overdue"]), "target": RATE_TARGETS[kind]}
        for kind, row in rows.items()
    ]


# --------------------------------------------------------------------------- satisfaction


def _ratings(session: Session, scope: Scope) -> list[Any]:
    query = sa.select(SatisfactionRating.area, SatisfactionRating.score, SatisfactionRating.agent, SatisfactionRating.created_at).where(
        SatisfactionRating.created_at >= scope.since, SatisfactionRating.created_at < scope.until
    )
    return list(session.execute(_in_community(query, SatisfactionRating.community_id, scope)).all())


def _measure(label_key: str, label: str, scores: list[int]) -> dict[str, Any]:
    satisfied = sum(1 for s in scores if s >= 4)
    return {label_key: label, "answers": len(scores), "satisfied": satisfied, "rate": rate(satisfied, len(scores)), "index": satisfaction_index(scores)}


def satisfaction(session: Session, scope: Scope) -> list[dict[str, Any]]:
    by_area: dict[str, list[int]] = {area: [] for area in AREA_LABELS}
    everything: list[int] = []
    for rating in _ratings(session, scope):
        by_area.setdefault(rating.area, []).append(rating.score)
        everything.append(rating.score)
    return [*(_measure("area", area, scores) for area, scores in by_area.items()), _measure("area", OVERALL, everything)]


def satisfaction_trend(session: Session, scope: Scope) -> list[dict[str, Any]]:
    by_day: dict[date, list[int]] = {day: [] for day in scope.days()}
    for rating in _ratings(session, scope):
        by_day[local_day(rating.created_at)].append(rating.score)
    return [_measure("date", day.isoformat(), scores) for day, scores in by_day.items()]


# --------------------------------------------------------------------------- supervision


def supervision(session: Session, scope: Scope) -> list[dict[str, Any]]:
    facts = session.execute(
        sa.select(AgentActivity.agent, AgentActivity.kind, AgentActivity.seconds).where(AgentActivity.created_at >= scope.since, AgentActivity.created_at < scope.until)
    ).all()
    agents: dict[str, dict[str, Any]] = defaultdict(lambda: {"handled": 0, "first_responses": [], "refused": 0, "scores": []})
    for fact in facts:
        row = agents[fact.agent]
        if fact.kind == CLAIMED:
            row["handled"] += 1
        elif fact.kind == FIRST_REPLY and fact.seconds is not None:
            row["first_responses"].append(fact.seconds)
        elif fact.kind == REFUSED:
            row["refused"] += 1
    for rating in _ratings(session, scope):
        if rating.agent:
            agents[rating.agent]["scores"].append(rating.score)
    table = []
    for name in sorted(agents):
        row = agents[name]
        scores = row["scores"]
        table.append(
            {
                "agent": name,
                "handled": row["handled"],
                "median_first_response_seconds": round(statistics.median(row["first_responses"]), 1) if row["first_responses"] else None,
                "refused_replies": row["refused"],
                "ratings": len(scores),
                "rate": rate(sum(1 for s in scores if s >= 4), len(scores)),
                "index": satisfaction_index(scores),
            }
        )
    return table


# --------------------------------------------------------------------------- everything


def figures(session: Session, scope: Scope, now: datetime | None = None) -> dict[str, Any]:
    """Every table of the dashboard and the workbook, for ``scope``, as of ``now``."""
    now = now or utcnow()
    return {
        "period": {"start": scope.start.isoformat(), "end": scope.end.isoformat(), "community_id": scope.community_id, "as_of": as_utc(now).isoformat()},
        "cases_by_day": cases_by_day(session, scope),
        "sla": sla(session, scope, now),
        "emergencies": emergencies(session, scope),
        "open_tickets": open_tickets(session, scope, now),
        "callbacks": callbacks(session, scope, now),
        "satisfaction": satisfaction(session, scope),
        "satisfaction_trend": satisfaction_trend(session, scope),
        "supervision": supervision(session, scope),
    }
