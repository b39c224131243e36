"""Satisfaction ratings on the five levels of DOMAIN.md §6 (seed 003 「客户回访」)."""

from __future__ import annotations

from bot.politeness.scripts import SATISFACTION_LEVELS
from bot.storage import session_scope
from bot.storage.models import SatisfactionRating

RATING_BUTTONS = [{"title": level, "payload": f'/rate{{"rating":"{level}"}}'} for level in SATISFACTION_LEVELS]


def score_of(level: str) -> int | None:
    """非常满意 → 5 … 很不满意 → 1 (a higher score is better, for the satisfaction index)."""
    level = (level or "").strip()
    if level not in SATISFACTION_LEVELS:
        return None
    return len(SATISFACTION_LEVELS) - SATISFACTION_LEVELS.index(level)


def record_rating(conversation_id: str, level: str, source: str = "bot") -> bool:
    score = score_of(level)
    if score is None:
        return False
    with session_scope() as session:
        session.add(SatisfactionRating(conversation_id=conversation_id, level=level, score=score, source=source))
    return True


def rating_reply(level: str) -> str:
    if score_of(level) is None:
        return "请您从下方选项中选择一项评价，谢谢！"
    if score_of(level) <= 2:
        return "非常抱歉这次没有让您满意，我们会认真改进，客服主管会与您回访沟通。感谢您的评价！"
    return "感谢您的评价和支持，祝您生活愉快！"
