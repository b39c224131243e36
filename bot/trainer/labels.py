"""The labels a trainer may give: the domain's intents, the retrieval intent only with its topic."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.settings import PROJECT_ROOT
from bot.trainer.conflicts import nlu_examples

RETRIEVAL_INTENTS = ("inquiry",)
ENTITY_TYPES = ("address", "phone", "surname", "title", "visit_time")

# Chinese names for the console; labels missing here are shown as they are.
LABEL_NAMES = {
    "inquiry": "咨询",
    "repair": "报修",
    "complaint": "投诉",
    "emergency": "紧急求助",
    "greet": "问候",
    "goodbye": "告别",
    "thank": "致谢",
    "affirm": "肯定",
    "deny": "否定",
    "inform": "提供信息",
    "request_human": "要求人工",
    "ticket_status": "查询工单",
    "out_of_scope": "无关话题",
    "rate": "评价",
    "nlu_fallback": "未能识别",
}
ENTITY_NAMES = {"address": "地址", "phone": "电话", "surname": "姓氏", "title": "称呼", "visit_time": "上门时间"}


def domain_intents(root: Path = PROJECT_ROOT) -> list[str]:
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8")) or {}
    return [str(i if isinstance(i, str) else next(iter(i))) for i in domain.get("intents", [])]


def allowed_labels(root: Path = PROJECT_ROOT) -> list[str]:
    """Plain intents, then ``inquiry/<topic>`` for every topic in the training data."""
    plain = [i for i in domain_intents(root) if i not in RETRIEVAL_INTENTS]
    topics = sorted({e.label for e in nlu_examples(root) if "/" in e.label and e.label.split("/", 1)[0] in RETRIEVAL_INTENTS})
    return plain + topics


def label_name(label: str | None) -> str:
    if not label:
        return ""
    base, _, topic = label.partition("/")
    name = LABEL_NAMES.get(base, base)
    return f"{name}/{topic}" if topic else name
