"""Seed 003's satisfaction form (「××小区客户意见调查表」, DOMAIN §6): areas, items, free-text questions.

The area and item labels are the seed's own words (like the levels in bot.satisfaction); they are stored as written in ``satisfaction_ratings.area``
and ``.item`` and shown as headers in the dashboard and the workbook. Answers that are not from a
filled-in form count for the item they ask about (:data:`CASE_ITEMS`, :data:`CONVERSATION_ITEM`):
a callback asks whether the case was handled well, a rating after a chat how the agent handled it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    key: str  # a stable name for programs (JSON, the widget's form)
    label: str  # the seed's heading, stored in satisfaction_ratings.area
    items: tuple[str, ...]


AREAS: tuple[Area, ...] = (
    Area("customer_service", "客户服务", ("客服工作态度", "工作及时性", "处理问题效果")),
    Area("engineering", "工程服务", ("设备运行保养", "设备维修及时性", "维修服务质量")),
    Area("security", "安全服务", ("停车与交通管理", "治安管理", "消防管理")),
    Area("environment", "环境管理", ("清洁状况", "虫控消杀", "绿化状况")),
    Area("paid_services", "有偿服务", ("户内维修质量", "户内保洁服务", "合同履约服务")),
    Area("complaints", "投诉受理", ("处理态度", "处理结果")),
)
OVERALL = Area("overall", "物业管理总体", ("服务总体满意度",))  # 7.物业管理总体满意度
FORM_AREAS: tuple[Area, ...] = (*AREAS, OVERALL)  # every area a filled-in form answers
AREA_LABELS: tuple[str, ...] = tuple(area.label for area in FORM_AREAS)
_BY_KEY = {area.key: area for area in FORM_AREAS}

# 8.您对本公司物业服务的意见与建议: the three free-text questions (sentences a resident reads, so
# catalogue keys), by the column of survey_responses that keeps the answer.
QUESTIONS: dict[str, str] = {
    "improve": "survey.question_improve",
    "add_services": "survey.question_add_services",
    "suggestions": "survey.question_suggestions",
}

# The item a callback's answer counts for, by the ticket's kind: a complaint's result (投诉受理 ·
# 处理结果), a repair's quality (工程服务 · 维修服务质量).
CASE_ITEMS: dict[str, tuple[str, str]] = {"complaint": ("投诉受理", "处理结果"), "repair": ("工程服务", "维修服务质量")}
# A resident's rating after a chat with an agent (or the bot): 客户服务 · 处理问题效果.
CONVERSATION_ITEM: tuple[str, str] = ("客户服务", "处理问题效果")


def area(key: str) -> Area | None:
    return _BY_KEY.get(key)


def as_json() -> list[dict[str, object]]:
    """The form for the widget and the manager's page: areas with their items."""
    return [{"key": a.key, "label": a.label, "items": list(a.items)} for a in FORM_AREAS]
