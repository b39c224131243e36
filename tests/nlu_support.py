"""A message as the statistical classifier leaves it, run through the product's rule components
(tests of bot/nlu/components.py: the shape classifiers and the EmergencyGuard after them)."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import GraphComponent
from rasa.shared.nlu.training_data.message import Message


def classified(text: str, ranking: list[tuple[str, float]], *components: type[GraphComponent]) -> Message:
    """``text`` with the classifier's ``ranking`` (best first), processed by ``components`` in order,
    each with its default configuration, as the pipeline in config.yml runs them."""
    message = Message(
        data={
            "text": text,
            "intent": {"name": ranking[0][0], "confidence": ranking[0][1]},
            "intent_ranking": [{"name": name, "confidence": confidence} for name, confidence in ranking],
        }
    )
    for component in components:
        component(component.get_default_config()).process([message])  # type: ignore[call-arg,attr-defined]
    return message


def reading(text: str, ranking: list[tuple[str, float]], *components: type[GraphComponent]) -> dict[str, Any]:
    """The intent ``components`` leave ``text`` with, and whether the EmergencyGuard (the last of
    them) raised it (``promoted``)."""
    message = classified(text, ranking, *components)
    return message.get("intent") | {"promoted": message.get("emergency_guard")["promoted"]}
