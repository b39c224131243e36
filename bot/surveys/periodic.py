"""Periodic satisfaction surveys a manager opens (seed 003_3768b4f8dd5fe83d.txt 「客户满意度调查」:
应该每季度或每隔半年 … 对自己的基本客户群进行一次抽样; the form: bot.surveys.form).

A survey is open between ``opens_at`` and ``closes_at``, for one community (``community_id``,
issue 13) or for every resident (NULL). A resident answers once per survey (a unique constraint):
each item's level becomes a ``satisfaction_ratings`` row (source ``survey``) with its area and
item, on the one scale of bot.satisfaction; the three free-text answers stay on the response.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.satisfaction import by_label
from bot.storage.models import SatisfactionRating, Survey, SurveyResponse
from bot.surveys.form import FORM_AREAS, QUESTIONS

MAX_TITLE, MAX_TEXT = 64, 1000
ITEMS = {item: area.label for area in FORM_AREAS for item in area.items}  # item → its area


class SurveyError(ValueError):
    """A survey that cannot be opened or answered as asked (the message says why, for staff)."""


def open_survey(session: Session, title: str, opens_at: datetime, closes_at: datetime, opened_by: str, community_id: int | None = None) -> Survey:
    title = title.strip()
    if not title or len(title) > MAX_TITLE:
        raise SurveyError(f"调查名称需在1到{MAX_TITLE}字之间")
    if closes_at <= opens_at:
        raise SurveyError("结束时间应晚于开始时间")
    survey = Survey(title=title, opens_at=opens_at, closes_at=closes_at, opened_by=opened_by, community_id=community_id, created_at=opens_at)
    session.add(survey)
    session.flush()
    return survey


def open_surveys(session: Session, now: datetime, community_id: int | None = None) -> list[Survey]:
    """Surveys open now for a resident of ``community_id`` (every resident's, and that community's)."""
    query = sa.select(Survey).where(Survey.opens_at <= now, Survey.closes_at > now)
    scope = Survey.community_id.is_(None) if community_id is None else sa.or_(Survey.community_id.is_(None), Survey.community_id == community_id)
    return list(session.execute(query.where(scope).order_by(Survey.id)).scalars())


def answered(session: Session, survey_id: int, conversation_id: str) -> bool:
    found = session.execute(sa.select(SurveyResponse.id).where(SurveyResponse.survey_id == survey_id, SurveyResponse.conversation_id == conversation_id)).first()
    return found is not None


def answer(session: Session, survey: Survey, conversation_id: str, levels: Any, texts: Any, now: datetime) -> SurveyResponse | None:
    """Store a resident's filled-in form; None when they already answered this survey.

    ``levels``: item → level label (every item is optional, at least one is needed); ``texts``:
    the free-text answers by QUESTIONS' keys."""
    if not (survey.opens_at <= now < survey.closes_at):
        raise SurveyError("调查不在开放时间内")
    if not isinstance(levels, dict) or not levels or not isinstance(texts, dict):
        raise SurveyError("请至少评价一项")
    chosen = {}
    for item, label in levels.items():
        level = by_label(label)
        if item not in ITEMS or level is None:
            raise SurveyError("评价项目或等级有误")
        chosen[item] = level
    free = {key: texts.get(key, "") for key in QUESTIONS}
    if any(not isinstance(value, str) or len(value) > MAX_TEXT for value in free.values()):
        raise SurveyError(f"意见与建议每项不超过{MAX_TEXT}字")
    response = SurveyResponse(survey_id=survey.id, conversation_id=conversation_id, community_id=survey.community_id, created_at=now, **{k: v.strip() for k, v in free.items()})
    try:
        with session.begin_nested():
            session.add(response)
            session.flush()
    except IntegrityError:
        return None
    for item, level in chosen.items():
        session.add(
            SatisfactionRating(
                conversation_id=conversation_id, level=level.label, score=level.score, source="survey", area=ITEMS[item], item=item,
                survey_response_id=response.id, community_id=survey.community_id, created_at=now,
            )
        )
    session.flush()
    return response
