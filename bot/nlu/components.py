"""Custom Rasa 3.6 graph components: rule-based entities and the emergency guard."""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.emergency import assess
from bot.nlu.entities import extract_entities

logger = logging.getLogger(__name__)

EMERGENCY = "emergency"
GUARD_OUTPUT_KEY = "emergency_guard"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class PropertyEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Address, phone, surname/title, visit time and ticket number, by spaCy rules and patterns."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, config: dict[str, Any]) -> None:
        self.component_config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PropertyEntityExtractor:
        return cls(config)

    @property
    def name(self) -> str:  # the name Rasa's evaluation reports for this extractor
        return self.__class__.__name__

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found = [entity.as_rasa(self.name) for entity in extract_entities(text)]
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmergencyGuard(GraphComponent, IntentClassifier):
    """Makes missing an emergency practically impossible.

    Runs last, after the statistical classifier and the FallbackClassifier. It raises a message
    to ``emergency`` when the danger lexicon fires on a live, un-negated event, or when the
    classifier itself already gives ``emergency`` a real chance (``doubt_threshold``) and nothing
    marks the message as after the fact, hypothetical or over (「已经出来了」) — DOMAIN.md §1: when
    in doubt, treat it as emergency.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"doubt_threshold": 0.3, "guard_confidence": 0.95}

    def __init__(self, config: dict[str, Any]) -> None:
        self.component_config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EmergencyGuard:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._guard(message)
        return messages

    def _emergency_confidence(self, message: Message) -> float:
        for candidate in message.get(INTENT_RANKING_KEY) or []:
            if candidate.get("name") == EMERGENCY:
                return float(candidate.get("confidence") or 0.0)
        return 0.0

    def _guard(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        if text.startswith("/"):
            return  # a button payload names its intent itself
        result = assess(text)
        intent = message.get(INTENT) or {}
        classifier_confidence = self._emergency_confidence(message)
        in_doubt = (
            classifier_confidence >= self.component_config["doubt_threshold"]
            and not result.after_the_fact
            and not result.hypothetical
            and not result.over
        )
        promote = intent.get("name") != EMERGENCY and (result.is_emergency or in_doubt)
        output = result.as_dict() | {"promoted": promote, "classifier_confidence": classifier_confidence}
        message.set(GUARD_OUTPUT_KEY, output, add_to_output=True)
        if not promote:
            return
        confidence = max(classifier_confidence, self.component_config["guard_confidence"] if result.is_emergency else classifier_confidence)
        promoted = {"name": EMERGENCY, "confidence": confidence}
        ranking = [c for c in (message.get(INTENT_RANKING_KEY) or []) if c.get("name") != EMERGENCY]
        message.set(INTENT, promoted, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [promoted] + ranking, add_to_output=True)
        logger.info("Emergency guard raised %r to emergency (%s)", text[:80], output)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
