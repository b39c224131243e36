"""Periodic surveys (bot.surveys.periodic): a manager opens one, a resident answers it.

- ``POST /api/manager/surveys`` ``{"title", "days", "community_id"?}``: open a survey from now for
  ``days`` days (manager role); ``GET /api/manager/surveys``: the surveys with their response counts.
- ``GET /api/resident/survey`` (resident's token): the open survey this resident has not answered,
  with seed 003's form (areas, items, the one scale, the free-text questions), or ``{"survey": null}``.
- ``POST /api/resident/survey`` ``{"survey": id, "levels": {item: level}, "texts": {…}}``.

The widget offers an open survey once per page and draws the form (static/widget/survey.js);
paper forms collected door to door (the seed's usual way) have no staff screen yet. Bodies are read
at the edge (bot.gateway.web.json_body, text_field; ids through bot.inbound.row_id); the shapes are
in bot/gateway/openapi.yml.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import texts
from bot.clock import utcnow
from bot.communities import community_id_of_conversation
from bot.gateway.agent_auth import requires_role
from bot.gateway.agents import LoggedIn
from bot.gateway.errors import error_json
from bot.gateway.tokens import verify
from bot.gateway.web import bearer_token, json_body, text_field
from bot.inbound import row_id
from bot.roles import MANAGER_ROLES
from bot.satisfaction import LABELS
from bot.storage import session_scope
from bot.storage.models import Survey, SurveyResponse
from bot.surveys import periodic
from bot.surveys.form import QUESTIONS, as_json

bp = Blueprint("surveys")
MAX_DAYS = 90


def _resident(request: Request) -> str | None:
    return verify(request.app.ctx.gateway.config.secret, bearer_token(request))


def _unauthorized() -> HTTPResponse:
    return error_json(401, "unauthenticated", texts.render("message.unauthorized"))


def _bad_opening() -> HTTPResponse:
    return error_json(400, "bad_request", f"开放天数应为1到{MAX_DAYS}天，小区编号应为数字")


@bp.post("/api/manager/surveys")
@requires_role(*MANAGER_ROLES)
async def open_survey(request: Request, account: LoggedIn) -> HTTPResponse:
    body = json_body(request)
    title, days = text_field(body, "title"), body.get("days", 30)
    try:
        community = None if body.get("community_id") is None else row_id(body["community_id"])
    except ValueError:
        return _bad_opening()
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        return _bad_opening()
    now = utcnow()
    try:
        with session_scope() as session:
            survey = periodic.open_survey(session, title, now, now + timedelta(days=days), account.name, community)
            return response.json({"ok": True, "survey": {"id": survey.id, "title": survey.title, "closes_at": survey.closes_at.isoformat()}})
    except periodic.SurveyError as error:
        return error_json(400, "bad_request", str(error))


@bp.get("/api/manager/surveys")
@requires_role(*MANAGER_ROLES)
async def list_surveys(request: Request, account: LoggedIn) -> HTTPResponse:
    with session_scope() as session:
        counts = dict(session.execute(sa.select(SurveyResponse.survey_id, sa.func.count()).group_by(SurveyResponse.survey_id)).all())
        surveys = session.execute(sa.select(Survey).order_by(Survey.id.desc())).scalars()
        return response.json({"surveys": [
            {"id": s.id, "title": s.title, "community_id": s.community_id, "opens_at": s.opens_at.isoformat(), "closes_at": s.closes_at.isoformat(), "responses": counts.get(s.id, 0)}
            for s in surveys
        ]})


@bp.get("/api/resident/survey")
async def resident_survey(request: Request) -> HTTPResponse:
    resident_id = _resident(request)
    if resident_id is None:
        return _unauthorized()
    with session_scope() as session:
        for survey in periodic.open_surveys(session, utcnow(), community_id_of_conversation(session, resident_id)):
            if not periodic.answered(session, survey.id, resident_id):
                form = {"areas": as_json(), "levels": list(LABELS), "questions": {k: texts.render(key) for k, key in QUESTIONS.items()}}
                return response.json({"survey": {"id": survey.id, "title": survey.title, "intro": texts.render("survey.intro"), "form": form}})
    return response.json({"survey": None})


@bp.post("/api/resident/survey")
async def resident_answer(request: Request) -> HTTPResponse:
    resident_id = _resident(request)
    if resident_id is None:
        return _unauthorized()
    body = json_body(request)
    try:
        survey_id: int | None = row_id(body.get("survey"))
    except ValueError:  # none, not an id, or past 2⁶³−1: names no survey
        survey_id = None
    with session_scope() as session:
        survey = None if survey_id is None else session.get(Survey, survey_id)
        # Only what GET offers: every resident's survey, or the resident's community's (issue 13).
        if survey is None or survey.community_id not in (None, community_id_of_conversation(session, resident_id)):
            return error_json(404, "not_found", texts.render("survey.not_found"))
        try:
            stored = periodic.answer(session, survey, resident_id, body.get("levels"), body.get("texts", {}), utcnow())
        except periodic.SurveyError:
            return error_json(400, "bad_answer", texts.render("survey.bad_answer"))
        if stored is None:
            return error_json(409, "already_done", texts.render("survey.already_answered"))
    return response.json({"ok": True, "text": texts.render("survey.thanks")})
