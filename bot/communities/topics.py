"""The inquiry topics: the ``inquiry/<topic>`` retrieval intents the model picks between.

Rasa decides *which* topic a question is about (the ResponseSelector over
``nlu_data/knowledge_base.yml``, whose responses only name the topic for training); each
community's record holds the answer (``community_answers``). ``other`` is the model's "none of
these": never answered, always the honest hand-over (DOMAIN.md §4). ``tests/test_communities.py``
checks this table against the training data, so a topic the model can pick always has a label here.
"""

from __future__ import annotations

UNKNOWN_TOPIC = "other"

# topic → what staff see in the answers editor (the order is the editor's).
TOPICS: dict[str, str] = {
    "fee_standard": "物业费标准",
    "fee_payment": "物业费缴纳",
    "office_hours": "服务中心地点和时间",
    "renovation": "装修手续",
    "renovation_deposit": "装修押金",
    "access_card": "门禁卡和人脸识别",
    "parking": "车位和停车",
    "rental_registration": "出租备案",
    "express_delivery": "快递",
    "garbage_sorting": "垃圾分类",
    "pets": "宠物",
    "move_in": "入伙收房",
    "utilities": "水电燃气",
    "repair_process": "报修流程",
    "facilities": "公共设施",
}


def is_topic(topic: str) -> bool:
    """A topic a community can answer (``other`` is not one)."""
    return topic in TOPICS
