"""Periodic surveys (bot.surveys.periodic) on SQLite and PostgreSQL: opened for a period and a
community scope, answered once per resident on seed 003's form, every item a rating of its area;
and the same through a real gateway process (bot.gateway.survey_routes)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from bot import texts
from bot.clock import utcnow
from bot.gateway.agents import create_agent
from bot.roles import Role
from bot.satisfaction import LABELS
from bot.storage import session_scope
from bot.storage.models import SatisfactionRating, SurveyResponse
from bot.surveys import periodic
from bot.surveys.form import AREAS, FORM_AREAS, OVERALL, QUESTIONS, as_json
from tests.gateway_support import login, resident_session, running_gateway
from tests.standin_rasa import unreachable_url


def test_the_form_is_the_seeds() -> None:
    assert [a.label for a in AREAS] == ["客户服务", "工程服务", "安全服务", "环境管理", "有偿服务", "投诉受理"]
    assert sum(len(a.items) for a in AREAS) == 17 and OVERALL.items == ("服务总体满意度",)
    assert [a["key"] for a in as_json()] == [a.key for a in FORM_AREAS] and set(QUESTIONS) == {"improve", "add_services", "suggestions"}


def test_open_answer_once_and_scope(database_url: str) -> None:
    now = utcnow()
    with session_scope() as session:
        everyone = periodic.open_survey(session, "2026年上半年满意度调查", now, now + timedelta(days=30), "经理丙")
        other = periodic.open_survey(session, "别的小区", now, now + timedelta(days=30), "经理丙", community_id=7)
        with pytest.raises(periodic.SurveyError):
            periodic.open_survey(session, "", now, now + timedelta(days=1), "经理丙")
        assert [s.id for s in periodic.open_surveys(session, now)] == [everyone.id]
        assert [s.id for s in periodic.open_surveys(session, now, community_id=7)] == [everyone.id, other.id]
        levels = {"客服工作态度": "非常满意", "治安管理": "一般", "服务总体满意度": "满意"}
        response = periodic.answer(session, everyone, "r-1", levels, {"improve": "夜间巡逻多一些"}, now)
        assert response is not None
        assert periodic.answer(session, everyone, "r-1", levels, {}, now) is None  # once per resident
        for bad in ({"不存在的项目": "满意"}, {"治安管理": "还行"}, {}):
            with pytest.raises(periodic.SurveyError):
                periodic.answer(session, everyone, "r-2", bad, {}, now)
        with pytest.raises(periodic.SurveyError):
            periodic.answer(session, everyone, "r-3", levels, {}, now + timedelta(days=31))
    with session_scope() as session:
        rows = session.execute(sa.select(SatisfactionRating.area, SatisfactionRating.item, SatisfactionRating.score).where(SatisfactionRating.source == "survey").order_by(SatisfactionRating.id)).all()
        stored = session.execute(sa.select(SurveyResponse)).scalar_one()
    assert [tuple(r) for r in rows] == [("客户服务", "客服工作态度", 5), ("安全服务", "治安管理", 3), ("物业管理总体", "服务总体满意度", 4)]
    assert (stored.improve, stored.conversation_id) == ("夜间巡逻多一些", "r-1")


def test_the_survey_endpoints_through_a_gateway(database_url: str, tmp_path: Path) -> None:
    """The manager opens a survey (POST/GET /api/manager/surveys, manager role and CSRF), a resident
    gets the form (GET /api/resident/survey) and answers it once (POST), every refusal a polite
    sentence from the catalogue, never a 5xx; a community's survey is neither offered nor taken."""
    with session_scope(database_url) as session:
        create_agent(session, "经理丙", "correct-horse-1", role=Role.MANAGER)
        create_agent(session, "客服甲", "correct-horse-1", role=Role.AGENT)
    with running_gateway(database_url, unreachable_url(), tmp_path / "gw.log", CALLBACK_POLL_SECONDS="3600") as base:
        token = resident_session(base)["token"]
        resident = httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"})
        stranger = httpx.Client(base_url=base, timeout=30)
        manager, csrf = login(base, "经理丙")
        agent, agent_csrf = login(base, "客服甲")

        for method in ("GET", "POST"):
            refused = stranger.request(method, "/api/resident/survey", json={})
            assert refused.status_code == 401 and refused.json()["error"] == texts.render("message.unauthorized")
        assert resident.get("/api/resident/survey").json() == {"survey": None}  # none open

        opening = {"title": "2026年上半年满意度调查", "days": 30}
        assert agent.post("/api/manager/surveys", json=opening, headers={"X-CSRF-Token": agent_csrf}).status_code == 403
        assert manager.post("/api/manager/surveys", json=opening).status_code == 403  # no CSRF token
        bad_openings = (
            {"title": "", "days": 30},
            {"title": "调查", "days": 0},
            {"title": "调查", "days": True},
            {"title": "调查", "community_id": "七区"},
            {"title": "调查", "community_id": -1},
            {"title": "调查", "community_id": 2**63},  # a 500 from SQLite's driver before it was read at the edge
            {"title": 5},
        )
        for bad in bad_openings:
            refused = manager.post("/api/manager/surveys", json=bad, headers={"X-CSRF-Token": csrf})
            assert refused.status_code == 400 and refused.json()["error"], bad
        assert manager.post("/api/manager/surveys", content=b"{not json", headers={"X-CSRF-Token": csrf}).status_code == 400
        scoped = manager.post("/api/manager/surveys", json={"title": "七区专项调查", "days": 30, "community_id": 7}, headers={"X-CSRF-Token": csrf})
        opened = manager.post("/api/manager/surveys", json=opening, headers={"X-CSRF-Token": csrf})
        assert scoped.status_code == 200 and opened.status_code == 200, opened.text
        survey_id, scoped_id = opened.json()["survey"]["id"], scoped.json()["survey"]["id"]

        offered = resident.get("/api/resident/survey").json()["survey"]
        assert (offered["id"], offered["title"], offered["intro"]) == (survey_id, "2026年上半年满意度调查", texts.render("survey.intro"))
        assert offered["form"] == {"areas": as_json(), "levels": list(LABELS), "questions": {k: texts.render(key) for k, key in QUESTIONS.items()}}

        levels = {"客服工作态度": "非常满意", "治安管理": "一般", "服务总体满意度": "满意"}
        refusals = [
            ({"survey": scoped_id, "levels": levels}, 404, "survey.not_found"),  # another community's
            ({"survey": 987654, "levels": levels}, 404, "survey.not_found"),
            ({"survey": 2**70, "levels": levels}, 400, "message.bad_request"),  # no JSON of ours holds it (bot.inbound.load_json)
            ({"survey": True, "levels": levels}, 404, "survey.not_found"),
            ({"levels": levels}, 404, "survey.not_found"),
            ({"survey": survey_id, "levels": {}}, 400, "survey.bad_answer"),
            ({"survey": survey_id, "levels": {"治安管理": "还行"}}, 400, "survey.bad_answer"),
            ({"survey": survey_id, "levels": levels, "texts": {"improve": "长" * 1001}}, 400, "survey.bad_answer"),
            ({"survey": survey_id, "levels": levels, "texts": ["夜间巡逻"]}, 400, "survey.bad_answer"),
        ]
        for body, status, key in refusals:
            refused = resident.post("/api/resident/survey", json=body)
            assert (refused.status_code, refused.json()["error"]) == (status, texts.render(key)), body
        for body in (b"[1, 2", b"[1, 2]", b'{"survey": 1e400}'):  # no JSON object: the edge's polite 400
            refused = resident.post("/api/resident/survey", content=body)
            assert (refused.status_code, refused.json()["error"]) == (400, texts.render("message.bad_request")), body

        answered = resident.post("/api/resident/survey", json={"survey": survey_id, "levels": levels, "texts": {"improve": "夜间巡逻多一些"}})
        assert answered.status_code == 200 and answered.json()["text"] == texts.render("survey.thanks")
        again = resident.post("/api/resident/survey", json={"survey": survey_id, "levels": levels})
        assert (again.status_code, again.json()["error"]) == (409, texts.render("survey.already_answered"))
        assert resident.get("/api/resident/survey").json() == {"survey": None}  # answered: nothing more to offer

        assert agent.get("/api/manager/surveys").status_code == 403
        listed = {s["id"]: s for s in manager.get("/api/manager/surveys").json()["surveys"]}
        assert (listed[survey_id]["responses"], listed[scoped_id]["responses"], listed[scoped_id]["community_id"]) == (1, 0, 7)

    with session_scope(database_url) as session:
        rows = session.execute(sa.select(SatisfactionRating.item, SatisfactionRating.level).where(SatisfactionRating.source == "survey").order_by(SatisfactionRating.id)).all()
        stored = session.execute(sa.select(SurveyResponse)).scalar_one()
    assert [tuple(r) for r in rows] == list(levels.items())
    assert (stored.survey_id, stored.improve) == (survey_id, "夜间巡逻多一些")
