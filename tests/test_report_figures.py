"""bot.reports.figures on seeded data (tests/report_support.py), SQLite and PostgreSQL: every figure
equals the same figure computed directly in SQL here, written independently of the module."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from bot.clock import ShiftedClock
from bot.reports.figures import OVERALL, Scope, figures
from bot.storage import session_scope
from bot.storage.database import get_engine
from bot.surveys.form import AREA_LABELS
from bot.tickets.service import CATEGORIES
from tests.report_support import FIRST_DAY, LAST_DAY, seed

SCOPE = Scope(FIRST_DAY, LAST_DAY)


class Dialect:
    """The few expressions SQLite and PostgreSQL spell differently."""

    def __init__(self, name: str) -> None:
        self.sqlite = name == "sqlite"

    def day(self, column: str) -> str:
        return f"date({column}, '+8 hours')" if self.sqlite else f"to_char(({column} AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD')"

    def seconds(self, later: str, earlier: str) -> str:
        return f"((julianday({later}) - julianday({earlier})) * 86400.0)" if self.sqlite else f"EXTRACT(EPOCH FROM ({later} - {earlier}))"

    def moment(self, value: datetime) -> Any:
        utc = value.astimezone(timezone.utc)
        return utc.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else utc

    def least(self, a: str, b: str) -> str:
        return f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL OR {a} <= {b} THEN {a} ELSE {b} END"


def median(values_sql: str, partition: str = "") -> str:
    """The median of ``values_sql``'s column ``v`` (per ``partition`` column ``k``), with window functions."""
    over = "PARTITION BY k ORDER BY v" if partition else "ORDER BY v"
    count = "PARTITION BY k" if partition else ""
    key = "k, " if partition else ""
    group = "GROUP BY k" if partition else ""
    return f"""WITH d AS ({values_sql}), o AS (SELECT {key}v, ROW_NUMBER() OVER ({over}) AS rn, COUNT(*) OVER ({count}) AS n FROM d)
               SELECT {key}AVG(v) FROM o WHERE rn IN ((n + 1) / 2, (n + 2) / 2) {group}"""


def query(sql: str, **params: Any) -> list[Any]:
    with get_engine().connect() as connection:
        return list(connection.execute(sa.text(sql), params).all())


def r4(part: float, whole: float) -> float | None:
    return None if not whole else round(part / whole, 4)


def r(value: Any, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


@pytest.fixture
def seeded(database_url: str, clock: ShiftedClock) -> tuple[dict[str, Any], Dialect, dict[str, Any]]:
    now = seed(clock)
    with session_scope() as session:
        result = figures(session, SCOPE, now)
    sql = Dialect(get_engine().dialect.name)
    bounds = {"since": sql.moment(SCOPE.since), "until": sql.moment(SCOPE.until), "now": sql.moment(now)}
    return result, sql, bounds


def test_cases_by_class_per_day(seeded: tuple[dict[str, Any], Dialect, dict[str, Any]]) -> None:
    result, sql, b = seeded
    rows = query(f"SELECT {sql.day('created_at')} AS day, category, COUNT(*) FROM tickets WHERE created_at >= :since AND created_at < :until GROUP BY 1, 2", **b)
    expected = {(day, category): count for day, category, count in rows}
    assert sum(expected.values()) > 20
    for row in result["cases_by_day"]:
        assert {c: row[c] for c in CATEGORIES} == {c: expected.get((row["date"], c), 0) for c in CATEGORIES}, row["date"]
        assert row["total"] == sum(row[c] for c in CATEGORIES)
    assert len(result["cases_by_day"]) == 7


def test_sla_compliance_by_priority(seeded: tuple[dict[str, Any], Dialect, dict[str, Any]]) -> None:
    result, sql, b = seeded
    responded = sql.least(
        "t.responded_at",  # an agent's first reply in the ticket's conversation (migration 0009)
        sql.least(
            "(SELECT MIN(e.created_at) FROM ticket_events e WHERE e.ticket_id = t.id AND e.status <> 'new')",
            "(SELECT MIN(h.handled_at) FROM handoff_requests h WHERE h.ticket_id = t.id AND h.handled_at IS NOT NULL)",
        ),
    )
    resolved = "(SELECT MIN(e.created_at) FROM ticket_events e WHERE e.ticket_id = t.id AND e.status IN ('resolved', 'closed'))"
    rows = query(
        f"""SELECT category, priority, COUNT(*),
               SUM(CASE WHEN respond_by IS NOT NULL AND (r IS NOT NULL OR respond_by < :now) THEN 1 ELSE 0 END),
               SUM(CASE WHEN respond_by IS NOT NULL AND r IS NOT NULL AND r <= respond_by THEN 1 ELSE 0 END),
               SUM(CASE WHEN resolve_by IS NOT NULL AND (d IS NOT NULL OR resolve_by < :now) THEN 1 ELSE 0 END),
               SUM(CASE WHEN resolve_by IS NOT NULL AND d IS NOT NULL AND d <= resolve_by THEN 1 ELSE 0 END)
            FROM (SELECT t.category, t.priority, t.respond_by, t.resolve_by, {responded} AS r, {resolved} AS d
                  FROM tickets t WHERE t.created_at >= :since AND t.created_at < :until) x
            GROUP BY category, priority""",
        **b,
    )
    expected = {(c, p): (n, rd, rk, dd, dk) for c, p, n, rd, rk, dd, dk in rows}
    got = {(row["category"], row["priority"]): (row["tickets"], row["respond_due"], row["responded_in_time"], row["resolve_due"], row["resolved_in_time"]) for row in result["sla"]}
    assert got == expected
    assert any(v[1] != v[2] for v in got.values()) and any(v[2] for v in got.values())  # some late, some in time
    for row in result["sla"]:
        assert row["respond_rate"] == r4(row["responded_in_time"], row["respond_due"])
        assert row["resolve_rate"] == r4(row["resolved_in_time"], row["resolve_due"])


def test_emergency_time_to_alert_and_to_claim(seeded: tuple[dict[str, Any], Dialect, dict[str, Any]]) -> None:
    result, sql, b = seeded
    started = "COALESCE((SELECT MAX(m.created_at) FROM messages m WHERE m.conversation_id = h.conversation_id AND m.role = 'resident' AND m.created_at <= h.created_at), h.created_at)"
    base = "FROM handoff_requests h WHERE h.reason = 'emergency' AND h.created_at >= :since AND h.created_at < :until"
    [(requests, alerted, claimed)] = query(f"SELECT COUNT(*), COUNT(h.alerted_at), COUNT(h.handled_at) {base}", **b)
    alert = f"SELECT {sql.seconds('h.alerted_at', started)} AS v {base} AND h.alerted_at IS NOT NULL"
    claim = f"SELECT {sql.seconds('h.handled_at', started)} AS v {base} AND h.handled_at IS NOT NULL"
    [(alert_median,)] = query(median(alert), **b)
    [(claim_median,)] = query(median(claim), **b)
    [(alert_max,)] = query(f"SELECT MAX(v) FROM ({alert}) a", **b)
    [(claim_max,)] = query(f"SELECT MAX(v) FROM ({claim}) c", **b)
    [row] = result["emergencies"]
    assert (row["requests"], row["alerted"], row["claimed"]) == (requests, alerted, claimed) == (3, 3, 3)
    assert (row["alert_median_seconds"], row["alert_max_seconds"]) == (r(alert_median, 1), r(alert_max, 1))
    assert (row["claim_median_seconds"], row["claim_max_seconds"]) == (r(claim_median, 1), r(claim_max, 1))


def test_open_and_overdue_tickets(seeded: tuple[dict[str, Any], Dialect, dict[str, Any]]) -> None:
    result, _, b = seeded
    rows = query(
        "SELECT category, COUNT(*), SUM(CASE WHEN resolve_by IS NOT NULL AND resolve_by < :now THEN 1 ELSE 0 END) FROM tickets WHERE status NOT IN ('resolved', 'closed') GROUP BY category",
        now=b["now"],
    )
    expected = {c: (n, int(o)) for c, n, o in rows}
    assert {row["category"]: (row["open"], row["overdue"]) for row in result["open_tickets"] if row["open"]} == expected
    assert any(o for _, o in expected.values())


def test_callbacks_due_done_overdue_and_the_rates(seeded: tuple[dict[str, Any], Dialect, dict[str, Any]]) -> None:
    result, _, b = seeded
    rows = query(
        """SELECT kind, COUNT(*),
               SUM(CASE WHEN status <> 'done' AND due_from > :now THEN 1 ELSE 0 END),
               SUM(CASE WHEN status <> 'done' AND due_from <= :now AND due_by >= :now THEN 1 ELSE 0 END),
               SUM(CASE WHEN status <> 'done' AND due_by < :now THEN 1 ELSE 0 END),
               SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END),
               SUM(CASE WHEN attempt = 1 AND status = 'done' THEN 1 ELSE 0 END),
               SUM(CASE WHEN attempt = 1 AND status <> 'done' AND due_by < :now THEN 1 ELSE 0 END)
           FROM callbacks WHERE due_from >= :since AND due_from < :until GROUP BY kind""",
        **b,
    )
    expected = {kind: tuple(int(v) for v in values) for kind, *values in rows}
    got = {row["kind"]: row for row in result["callbacks"]}
    assert set(expected) <= set(got)
    for kind, (total, upcoming, due, overdue, done, first_done, first_overdue) in expected.items():
        row = got[kind]
        assert (row["callbacks"], row["upcoming"], row["due"], row["overdue"], row["done"]) == (total, upcoming, due, overdue, done), kind
        assert row["rate"] == r4(first_done, first_done + first_overdue)
    assert got["complaint"]["target"] == 1.0 and got["repair"]["target"] == 0.9
    assert sum(row["done"] for row in result["callbacks"]) >= 3 and sum(row["overdue"] for row in result["callbacks"]) >= 1


def test_satisfaction_rate_and_index_per_area_overall_and_by_day(seeded: tuple[dict[str, Any], Dialect, dict[str, Any]]) -> None:
    result, sql, b = seeded
    measure = "COUNT(*), SUM(CASE WHEN score >= 4 THEN 1 ELSE 0 END), AVG(score * 20.0)"
    where = "FROM satisfaction_ratings WHERE created_at >= :since AND created_at < :until"
    by_area = {area: (n, int(s), i) for area, n, s, i in query(f"SELECT area, {measure} {where} GROUP BY area", **b)}
    [(n_all, s_all, i_all)] = query(f"SELECT {measure} {where}", **b)
    rows = {row["area"]: row for row in result["satisfaction"]}
    assert list(rows) == [*AREA_LABELS, OVERALL]
    for area, (n, s, i) in {**by_area, OVERALL: (n_all, int(s_all), i_all)}.items():
        assert (rows[area]["answers"], rows[area]["satisfied"], rows[area]["rate"], rows[area]["index"]) == (n, s, r4(s, n), r(i, 2)), area
    by_day = {day: (n, int(s), i) for day, n, s, i in query(f"SELECT {sql.day('created_at')}, {measure} {where} GROUP BY 1", **b)}
    for row in result["satisfaction_trend"]:
        n, s, i = by_day.get(row["date"], (0, 0, None))
        assert (row["answers"], row["satisfied"], row["rate"], row["index"]) == (n, s, r4(s, n), r(i, 2)), row["date"]


def test_supervision_per_agent(seeded: tuple[dict[str, Any], Dialect, dict[str, Any]]) -> None:
    result, _, b = seeded
    where = "created_at >= :since AND created_at < :until"
    counts = query(
        f"""SELECT agent, SUM(CASE WHEN kind = 'claimed' THEN 1 ELSE 0 END), SUM(CASE WHEN kind = 'refused' THEN 1 ELSE 0 END)
            FROM agent_activity WHERE {where} GROUP BY agent""",
        **b,
    )
    medians = dict(query(median(f"SELECT agent AS k, seconds AS v FROM agent_activity WHERE kind = 'first_reply' AND seconds IS NOT NULL AND {where}", partition="k"), **b))
    ratings = {a: (n, int(s), i) for a, n, s, i in query(
        f"SELECT agent, COUNT(*), SUM(CASE WHEN score >= 4 THEN 1 ELSE 0 END), AVG(score * 20.0) FROM satisfaction_ratings WHERE agent IS NOT NULL AND {where} GROUP BY agent", **b)}
    rows = {row["agent"]: row for row in result["supervision"]}
    assert set(rows) == {a for a, _, _ in counts} | set(ratings) == {"客服甲", "客服乙"}
    for agent, handled, refused in counts:
        n, s, i = ratings.get(agent, (0, 0, None))
        row = rows[agent]
        assert (row["handled"], row["refused_replies"], row["median_first_response_seconds"]) == (handled, refused, r(medians.get(agent), 1)), agent
        assert (row["ratings"], row["rate"], row["index"]) == (n, r4(s, n), r(i, 2)), agent
    assert rows["客服乙"]["refused_replies"] == 1 and rows["客服甲"]["handled"] == 3
