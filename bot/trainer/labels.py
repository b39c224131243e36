"""The labels an annotation may carry: a trainer gives the domain's intents, the retrieval intent
only with its topic; an agent's class correction in the console gives one of the four intake classes."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.nlu.stalls import STALL_INTENT
from bot.settings import PROJECT_ROOT
from bot.trainer.conflicts import nlu_examples

RETRIEVAL_INTENTS = ("inquiry",)
# Intents a rule of the pipeline sets, never the trained classifier: not a label to give.
RULE_INTENTS = (STALL_INTENT,)
# The console's 纠正类别 offers the intake classes (DOMAIN.md §1), not topics: an agent says what
# kind of request a message was, the trainer refines an inquiry to its topic later.
AGENT_LABELS = ("inquiry", "repair", "complaint", "emergency")
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
    "wait": "请稍等",
    "nlu_fallback": "未能识别",
}
# The knowledge base's topics (nlu_data/knowledge_base.yml, docs/facts.md) as trainers read them;
# a topic added to the data without a name here is shown by its key (tests/test_trainer_inbox.py
# checks every topic of the training data has one).
TOPIC_NAMES = {
    "access_card": "门禁卡",
    "express_delivery": "快递",
    "facilities": "公共设施",
    "fee_payment": "物业费缴纳",
    "fee_standard": "物业费标准",
    "garbage_sorting": "垃圾分类",
    "move_in": "入伙收房",
    "office_hours": "办公时间",
    "other": "其他问题",
    "parking": "停车",
    "pets": "宠物",
    "renovation": "装修",
    "renovation_deposit": "装修押金",
    "rental_registration": "出租备案",
    "repair_process": "报修流程",
    "utilities": "水电燃气",
}
ENTITY_NAMES = {"address": "地址", "phone": "电话", "surname": "姓氏", "title": "称呼", "visit_time": "上门时间"}


def domain_intents(root: Path = PROJECT_ROOT) -> list[str]:
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8")) or {}
    return [str(i if isinstance(i, str) else next(iter(i))) for i in domain.get("intents", [])]


def allowed_labels(root: Path = PROJECT_ROOT) -> list[str]:
    """Plain intents, then ``inquiry/<topic>`` for every topic in the training data."""
    plain = [i for i in domain_intents(root) if i not in RETRIEVAL_INTENTS and i not in RULE_INTENTS]
    topics = sorted({e.label for e in nlu_examples(root) if "/" in e.label and e.label.split("/", 1)[0] in RETRIEVAL_INTENTS})
    return plain + topics


def labels_for(source: str, root: Path = PROJECT_ROOT) -> tuple[str, ...]:
    """What an annotation from ``source`` (trainer | agent) may be labelled."""
    return AGENT_LABELS if source == "agent" else tuple(allowed_labels(root))


def label_name(label: str | None) -> str:
    if not label:
        return ""
    base, _, topic = label.partition("/")
    name = LABEL_NAMES.get(base, base)
    return f"{name}·{TOPIC_NAMES.get(topic, topic)}" if topic else name
