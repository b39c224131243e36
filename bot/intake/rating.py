"""Satisfaction ratings on the one scale of DOMAIN.md §6 (bot.satisfaction; seed 003 「客户回访」).

The bot's buttons carry the levels; the thanks are catalogue texts (``rating.*`` in
bot/texts/zh_CN.yml), chosen by :func:`thanks_key` for both the bot and the widget.
"""

from __future__ import annotations

from bot.satisfaction import SCALE, Level, by_label
from bot.storage import session_scope
from bot.storage.models import SatisfactionRating
from bot.surveys.form import CONVERSATION_ITEM

RATING_BUTTONS = [{"title": level.label, "payload": f'/rate{{"rating":"{level.label}"}}'} for level in SCALE]


def score_of(level: str) -> int | None:
    """非常满意 → 5 … 很不满意 → 1 (a higher score is better, for the satisfaction index)."""
    found = by_label(level)
    return found.score if found else None


def record_rating(conversation_id: str, label: str, source: str = "bot") -> Level | None:
    """Store the rating; the level, or None when ``label`` is not one of the five."""
    level = by_label(label)
    if level is None:
        return None
    with session_scope() as session:
        area, item = CONVERSATION_ITEM
        session.add(SatisfactionRating(conversation_id=conversation_id, level=level.label, score=level.score, source=source, area=area, item=item))
    return level


def thanks_key(level: Level) -> str:
    """A disappointed resident gets an apology and a supervisor's callback; others, thanks."""
    return "rating.sorry" if level.disappointed else "rating.thanks"
