"""The manager's dashboard and reports (issue 14, DOMAIN §6, seed 003 「客户满意度调查」, seed 004).

- ``GET /manager``: the page (charts drawn by the vendored Apache ECharts, static/vendor/echarts).
- ``GET /api/manager/figures?start=YYYY-MM-DD&end=YYYY-MM-DD[&community=N]``: every figure as JSON
  (bot.reports.figures); by default the current month up to today.
- ``GET /api/manager/report.xlsx?month=YYYY-MM`` (or ``start``/``end``): the monthly 报表, the same
  figures as an Excel workbook, one sheet per table (bot.reports.workbook).

Manager role only (``requires_role``): agents and trainers get 403. The query is read at the edge:
dates are ``YYYY-MM-DD`` between :data:`FIRST_DAY` and :data:`LAST_DAY`, the community an id
(bot.inbound.row_id); anything else is a 400 with what to write instead (bot/gateway/openapi.yml).
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.clock import LOCAL_TZ, utcnow
from bot.gateway.agent_auth import requires_role
from bot.gateway.agents import LoggedIn
from bot.gateway.errors import error_json
from bot.inbound import row_id
from bot.reports.figures import Scope, figures
from bot.reports.workbook import workbook_bytes
from bot.roles import MANAGER_ROLES
from bot.storage import session_scope

bp = Blueprint("manager")
MAX_DAYS = 366
# The days a report may cover. A period is turned into UTC instants a day past its end
# (bot.reports.figures.Scope), which Python cannot do at the ends of its calendar (year 1 or 9999:
# OverflowError); no data of this product lies outside these years.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BadScope(ValueError):
    pass


def _day(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadScope("日期格式应为 YYYY-MM-DD") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadScope(f"日期应在{FIRST_DAY.year}年至{LAST_DAY.year}年之间")
    return day


def scope_of(request: Request) -> Scope:
    """The period (and community) a request asks for; the current month by default."""
    today = utcnow().astimezone(LOCAL_TZ).date()
    month = request.args.get("month", "").strip()
    if month:
        try:
            start = _day(month + "-01")
        except BadScope:
            raise BadScope(f"月份格式应为 YYYY-MM，在{FIRST_DAY.year}年至{LAST_DAY.year}年之间") from None
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    else:
        start = _day(request.args.get("start", "").strip() or today.replace(day=1).isoformat())
        end = _day(request.args.get("end", "").strip() or today.isoformat())
    if end < start or (end - start).days >= MAX_DAYS:
        raise BadScope(f"结束日期不能早于开始日期，期间最长{MAX_DAYS}天")
    community = request.args.get("community", "").strip()
    try:
        return Scope(start, end, row_id(community) if community else None)
    except ValueError:  # "²" passed str.isdigit() and then failed int(); 20 digits failed the database
        raise BadScope("小区编号有误") from None


@bp.get("/api/manager/figures")
@requires_role(*MANAGER_ROLES)
async def manager_figures(request: Request, account: LoggedIn) -> HTTPResponse:
    try:
        scope = scope_of(request)
    except BadScope as error:
        return error_json(400, "bad_request", str(error))
    with session_scope() as session:
        return response.json(figures(session, scope))


@bp.get("/api/manager/report.xlsx")
@requires_role(*MANAGER_ROLES)
async def monthly_report(request: Request, account: LoggedIn) -> HTTPResponse:
    try:
        scope = scope_of(request)
    except BadScope as error:
        return error_json(400, "bad_request", str(error))
    with session_scope() as session:
        data = workbook_bytes(figures(session, scope))
    name = f"报表_{scope.start.isoformat()}_{scope.end.isoformat()}.xlsx"
    headers = {"Content-Disposition": f"attachment; filename=\"report.xlsx\"; filename*=UTF-8''{quote(name)}", "Cache-Control": "no-store"}
    return response.raw(data, content_type=XLSX, headers=headers)
