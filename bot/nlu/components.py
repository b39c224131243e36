"""Custom Rasa 3.6 graph components: the reading tokenizer, rule-based entities, the emergency guard."""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.inbound import clean_text
from bot.nlu.drain_smells import DRAIN_SMELL_INTENT, smells_from_a_drain
from bot.nlu.drips import only_drips
from bot.nlu.emergency import assess
from bot.nlu.entities import extract_entities, is_bare_answer
from bot.nlu.faults import states_a_fault
from bot.nlu.followups import FOLLOW_UP_INTENT, asks_on
from bot.nlu.hurry import HURRY_INTENT, urges
from bot.nlu.locked_out import LOCKED_OUT_INTENT, is_locked_out
from bot.nlu.lost_things import LOST_THING_INTENT, is_lost_thing
from bot.nlu.near_misses import NEAR_MISS_INTENT, is_a_near_miss_of_a_fault
from bot.nlu.no_danger import says_no_danger
from bot.nlu.nuisances import NUISANCE_INTENT, names_a_nuisance
from bot.nlu.openers import opener_intent
from bot.nlu.praise import PRAISE_INTENT, praises
from bot.nlu.reading import read, warm_up
from bot.nlu.rework import says_repair_failed
from bot.nlu.stalls import STALL_INTENT, is_stall
from bot.nlu.withdrawals import WITHDRAWAL_INTENT, is_withdrawal
from bot.nlu.yes_no import YES_NO_INTENT, asks_whether

logger = logging.getLogger(__name__)

EMERGENCY = "emergency"
GUARD_OUTPUT_KEY = "emergency_guard"
READING_OUTPUT_KEY = "text_as_read"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class ReadingJiebaTokenizer(JiebaTokenizer):
    """Rasa's jieba tokenizer over the text as read (``bot.nlu.reading``), at the written offsets.

    Issue 12: pinyin, traditional characters and homophone typos of danger words must reach the
    classifier as the words they stand for. The reading happens here, in the tokenizer, rather than
    in a component before it that rewrites ``text``: Rasa returns the message's ``text`` in the
    parse result, and the tracker's ``latest_message`` (which ``from_text`` slots and the stored
    transcript use) would then hold the reading instead of what the resident wrote. Tokens are what
    every featurizer reads, so the classifier — in training and in service alike — sees only the
    reading; each token keeps the span of the written text it was read from. The reading is added
    to the parse result as ``text_as_read`` when it differs, so trainers can see what the model saw.
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ReadingJiebaTokenizer:
        tokenizer = super().create(config, model_storage, resource, execution_context)
        warm_up()  # the tables load when Rasa starts, not at the first resident's message
        return tokenizer  # type: ignore[return-value]

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ReadingJiebaTokenizer:
        tokenizer = super().load(config, model_storage, resource, execution_context, **kwargs)
        warm_up()
        return tokenizer  # type: ignore[return-value]

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        if attribute != TEXT:
            return super().tokenize(message, attribute)
        import jieba

        written = clean_text(message.get(attribute) or "")  # as the extractor: one for one, spans hold
        reading = read(written)
        if reading.text != written:
            message.set(READING_OUTPUT_KEY, reading.text, add_to_output=True)
        tokens = []
        for word, start, end in jieba.tokenize(reading.text):
            written_start, written_end = reading.span(start, end)
            tokens.append(Token(word, written_start, written_end))
        return self._apply_token_pattern(tokens)


class RuleComponent(GraphComponent):
    """A component that learns nothing: its configuration is all it keeps (Rasa's graph contract —
    created from the config, no model storage; training data passes through unchanged)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.component_config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RuleComponent:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class PropertyEntityExtractor(RuleComponent, EntityExtractorMixin):
    """Address, phone, surname/title, visit time and ticket number, by spaCy rules and patterns."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @property
    def name(self) -> str:  # the name Rasa's evaluation reports for this extractor
        return self.__class__.__name__

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            # A lone surrogate made spaCy raise (HTTP 500 from the REST channel); the channels clean
            # text at the edge, and this keeps the component safe for any caller (offsets unchanged).
            text = clean_text(message.get(TEXT) or "")
            found = [entity.as_rasa(self.name) for entity in extract_entities(text)]
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages



class ShapeClassifier(RuleComponent, IntentClassifier):
    """A message of a known shape gets the component's ``intent``, whatever the classifier said.

    The classifier's own ranking is kept behind it, so the EmergencyGuard, which runs after, still
    sees how likely an emergency the classifier found the message.
    """

    # The intent a message of the shape gets, with at least this confidence (the classifier's own
    # confidence when higher, so the guard and the policies still see how sure it was).
    INTENT = ""
    CONFIDENCE = 0.9

    @classmethod
    def required_components(cls) -> list[type]:
        return [IntentClassifier]

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {"intent": cls.INTENT, "confidence": cls.CONFIDENCE}

    @staticmethod
    def has_shape(text: str) -> bool:  # pragma: no cover - each subclass has its own
        raise NotImplementedError

    def intent_for(self, text: str) -> str | None:
        """The intent a message of this shape gets (the component's ``intent``), or None."""
        return self.component_config["intent"] if self.has_shape(text) else None

    # The readings the shape overrides: any (None), or only these (the classifier's own class stands).
    REPLACES: frozenset[str] | None = None
    # A message of this shape names no danger (「能快点吗」, 「我家楼上一直往下滴水」): the EmergencyGuard
    # does not raise it on the classifier's doubt alone, only on a danger its lexicon names.
    NAMES_NO_DANGER = False

    def replaces(self, intent: str | None) -> bool:
        """Whether the shape overrides the intent the message has (any, unless ``REPLACES`` says less)."""
        return self.REPLACES is None or intent in self.REPLACES

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = message.get(INTENT) or {}
            name = None if text.startswith("/") else self.intent_for(text)
            if name is None or intent.get("name") == name or not self.replaces(intent.get("name")):
                continue
            answer = {"name": name, "confidence": max(self.component_config["confidence"], float(intent.get("confidence") or 0.0))}
            ranking = [c for c in (message.get(INTENT_RANKING_KEY) or []) if c.get("name") != name]
            message.set(INTENT, answer, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [answer] + ranking, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class BareAnswerClassifier(ShapeClassifier):
    """A message that is nothing but an address, phone, visit time or name is ``inform``.

    Issue 12: residents answer the forms' questions with the bare value — 「今晚」, 「东门」,
    「小区南门岗亭」, 「什么时候都行」. The entity extractor reads them, but the classifier, which has
    seen few such short texts, gave some of them to the fallback (「非常抱歉，我没能完全理解…」 before
    the form went on) or to ``complaint``. Runs after the FallbackClassifier and before the
    EmergencyGuard, which may still raise the message.
    """

    INTENT = "inform"

    @staticmethod
    def has_shape(text: str) -> bool:
        return is_bare_answer(text)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class StallClassifier(ShapeClassifier):
    """「等一下我找找号码」: the resident asks the assistant to wait while they find something
    (``bot.nlu.stalls``) — ``wait``, answered 「好的，不着急…」, the running form going on. The
    classifier gave these to ``request_human`` (paging the agents), ``ticket_status`` or the
    fallback. Runs after the FallbackClassifier and before the EmergencyGuard.
    """

    INTENT = STALL_INTENT

    @staticmethod
    def has_shape(text: str) -> bool:
        return is_stall(text)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class FollowUpClassifier(ShapeClassifier):
    """「那停车费呢」: the same question about another thing (``bot.nlu.followups``) — ``inquiry``,
    whose action reads it with the answer just given. The classifier gave it to the fallback in one
    training and to ``complaint`` in another (an apology and the complaint form). Runs after the
    FallbackClassifier and before the EmergencyGuard (「那电梯困人呢」 names a danger: still raised).
    """

    INTENT = FOLLOW_UP_INTENT

    @staticmethod
    def has_shape(text: str) -> bool:
        return asks_on(text)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class DeviceFaultClassifier(ShapeClassifier):
    """「我家暖气不热」「燃气灶打不着火了」: a device that will not heat, cool, light or close
    (``bot.nlu.emergency.DEVICE_FAULTS``) is a repair (DOMAIN.md §2). When the classifier is unsure
    (the fallback) such a message is ``repair`` — it was the clarifying question, whose buttons
    offered 紧急求助 and 工单进度 but not 报修. An ``emergency`` reading is replaced too: 「家里暖气
    不太热」 was 0.71 (every agent paged), and the guard already does not raise a device fault on the
    classifier's doubt; every labelled row of the shape (25) is a repair. Other readings stand (「空调
    不制冷怎么办」 is a question), and the EmergencyGuard, after it, still raises a danger named
    beside the fault.
    """

    INTENT = "repair"
    CONFIDENCE = 0.6
    REPLACES = frozenset({EMERGENCY, DEFAULT_NLU_FALLBACK_INTENT_NAME})

    @staticmethod
    def has_shape(text: str) -> bool:
        found = assess(clean_text(text))
        return found.device_fault and not found.danger_types


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class YesNoQuestionClassifier(ShapeClassifier):
    """「礼拜天能不能在家打电钻啊」「在小区遛狗必须拴绳吗」: a yes-or-no question about what is allowed or
    done, with no grievance in it (``bot.nlu.yes_no``), is an ``inquiry``. The classifier read such
    questions as complaints (an apology and the complaint form) or was unsure; only those readings
    are replaced. Runs after the DeviceFaultClassifier (a device fault it was unsure of is a repair
    first) and before the EmergencyGuard, which still raises a danger named.
    """

    INTENT = YES_NO_INTENT
    CONFIDENCE = 0.6
    REPLACES = frozenset({"complaint", DEFAULT_NLU_FALLBACK_INTENT_NAME})

    @staticmethod
    def has_shape(text: str) -> bool:
        return asks_whether(text)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class FaultStatementClassifier(ShapeClassifier):
    """「快递柜打不开了」: a fault stated with nothing asked (``bot.nlu.faults``) reports a repair. The
    classifier read it as ``inquiry`` (the parcel station's opening hours were the answer) or was
    unsure (the clarifying question), or as a bare answer (``inform``: 「大门的人脸识别认不出我」 got
    the clarifying question outside a form; in a form a repair is its answer all the same, the
    slots take the text whatever the intent); only those readings are replaced. A question about a
    fault stays an inquiry, and the EmergencyGuard, after it, still raises a danger named.
    """

    INTENT = "repair"
    CONFIDENCE = 0.6
    REPLACES = frozenset({"inquiry", "inform", DEFAULT_NLU_FALLBACK_INTENT_NAME})

    @staticmethod
    def has_shape(text: str) -> bool:
        return states_a_fault(text)



@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ReworkClassifier(ShapeClassifier):
    """「师傅上次来修完 还是漏」: a repair that did not hold (``bot.nlu.rework``) is a lapse of the
    company's own work — a ``complaint`` (DOMAIN.md §1, §3; the training data labels 「修了还是坏」
    so) whose form asks which repair and opens its 返修. The classifier gave it to ``ticket_status``
    (asking for a number) or ``inquiry``; only such readings are replaced: its own ``repair``
    (「你们修过的灯还是不亮」, the repair form's 返修) or ``complaint`` stands, an ``emergency`` stays
    one, and the EmergencyGuard, after it, still raises a danger named.
    """

    INTENT = "complaint"
    REPLACES = frozenset({"ticket_status", "inquiry", "inform", "out_of_scope", DEFAULT_NLU_FALLBACK_INTENT_NAME})

    @staticmethod
    def has_shape(text: str) -> bool:
        return says_repair_failed(text)



@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OpenerClassifier(ShapeClassifier):
    """「我要报修」「我想咨询一下」「问个问题」: a message that only says what kind of case is coming
    (``bot.nlu.openers``) — ``repair`` (the form asks what is broken) or ``inquiry`` (the answer
    action asks what the question is). The classifier gave the fallback's clarifying question to
    the commonest opener, and a hand-over with a ticket to the inquiry's.
    """

    def intent_for(self, text: str) -> str | None:
        return opener_intent(text)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class WithdrawalClassifier(ShapeClassifier):
    """「修好了不用来了」「我不报修了」: the resident no longer needs their case (``bot.nlu.withdrawals``)
    — a no: the running form is cancelled, outside a form the words go on the open ticket. The
    classifier gave these to ``emergency`` (paging every agent), ``complaint`` or the fallback; the
    EmergencyGuard, after it, does not raise them on the classifier's doubt, only on a named danger.
    """

    INTENT = WITHDRAWAL_INTENT
    NAMES_NO_DANGER = True

    @staticmethod
    def has_shape(text: str) -> bool:
        return is_withdrawal(text)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class HurryClassifier(ShapeClassifier):
    """「能快点吗 我等着用」「快点来修吧」: a resident hurrying their case along (``bot.nlu.hurry``) asks
    after it — ``ticket_status``: their tickets and deadlines, the hurry noted on the open one. The
    classifier read these as ``emergency`` (0.79–0.98: every agent paged) or was unsure; only those
    readings are replaced, and the EmergencyGuard, after it, does not raise them on the classifier's
    doubt, only on a named danger.
    """

    INTENT = HURRY_INTENT
    REPLACES = frozenset({EMERGENCY, DEFAULT_NLU_FALLBACK_INTENT_NAME})
    NAMES_NO_DANGER = True

    @staticmethod
    def has_shape(text: str) -> bool:
        return urges(text)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class NoDangerClassifier(ShapeClassifier):
    """「没有人困在里面 就是电梯不动了」: a fault, the resident saying nobody is trapped or hurt, and no
    danger named (``bot.nlu.no_danger``) is a ``repair`` (DOMAIN.md §1–2: 电梯故障 is 急修). The
    classifier read it as ``emergency`` (1.0: every agent paged); that reading and the fallback are
    replaced, and the EmergencyGuard, after it, does not raise it on the classifier's doubt — a
    danger its lexicon names beside it still is one.
    """

    INTENT = "repair"
    REPLACES = frozenset({EMERGENCY, DEFAULT_NLU_FALLBACK_INTENT_NAME})
    NAMES_NO_DANGER = True

    @staticmethod
    def has_shape(text: str) -> bool:
        return says_no_danger(clean_text(text))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class DripClassifier(ShapeClassifier):
    """「我家楼上一直往下滴水」: water that drips or seeps, with nothing spreading and no danger named
    (``bot.nlu.drips``), is a ``repair`` (DOMAIN.md §2: 渗漏). The classifier read it as
    ``emergency`` (1.0: every agent paged, 「请立即关闭总水阀」); that reading and the fallback are
    replaced — a complaint about a seep stays one — and the EmergencyGuard, after it, does not raise
    it on the classifier's doubt; a danger its lexicon names beside it still is one.
    """

    INTENT = "repair"
    REPLACES = frozenset({EMERGENCY, DEFAULT_NLU_FALLBACK_INTENT_NAME})
    NAMES_NO_DANGER = True

    @staticmethod
    def has_shape(text: str) -> bool:
        return only_drips(clean_text(text))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class DrainSmellClassifier(ShapeClassifier):
    """「卫生间下水道反味 怎么办」: a drain of the home that smells, no danger named
    (``bot.nlu.drain_smells``), is a ``repair``. The classifier read it as ``inform`` (0.72–0.92: a
    form's answer 「厨房下水道」 looks like it) and the resident was asked 报修还是投诉; that reading,
    the fallback and an emergency reading are replaced — a complaint stays one. Before the
    NuisanceClassifier, which would make a smell read as an emergency a complaint.
    """

    INTENT = DRAIN_SMELL_INTENT
    REPLACES = frozenset({"inform", EMERGENCY, DEFAULT_NLU_FALLBACK_INTENT_NAME})
    NAMES_NO_DANGER = True

    @staticmethod
    def has_shape(text: str) -> bool:
        return smells_from_a_drain(clean_text(text))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class NearMissClassifier(ShapeClassifier):
    """「小区里的健身器材坏了 孩子差点摔了」: a fault that nearly hurt someone, nobody hurt and no danger
    named (``bot.nlu.near_misses``), is a ``repair``. The classifier read it as ``emergency`` (0.98:
    every agent paged for a child who did not fall); that reading and the fallback are replaced, and
    the EmergencyGuard, after it, does not raise it on the classifier's doubt.
    """

    INTENT = NEAR_MISS_INTENT
    REPLACES = frozenset({EMERGENCY, DEFAULT_NLU_FALLBACK_INTENT_NAME})
    NAMES_NO_DANGER = True

    @staticmethod
    def has_shape(text: str) -> bool:
        return is_a_near_miss_of_a_fault(clean_text(text))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class PraiseClassifier(ShapeClassifier):
    """「我要表扬一下你们的维修师傅」: praise with no grievance and nothing asked (``bot.nlu.praise``) is a
    ``thank``. The classifier read it as a ``complaint`` (0.65: an apology and the complaint form for
    a compliment); that reading and the fallback are replaced. An emergency is never lowered.
    """

    INTENT = PRAISE_INTENT
    REPLACES = frozenset({"complaint", DEFAULT_NLU_FALLBACK_INTENT_NAME})

    @staticmethod
    def has_shape(text: str) -> bool:
        return praises(text)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class NuisanceClassifier(ShapeClassifier):
    """「电梯里有股尿骚味」「停车场有辆车挡住我了 出不去」: a bad smell or a car in the way, nobody in need
    and no danger named (``bot.nlu.nuisances``), is a ``complaint`` (DOMAIN.md §1: environment,
    占道). The classifier read them as ``emergency`` (0.96, 1.0: every agent paged); that reading and
    the fallback are replaced — a repair (「地漏返臭味」) stays one — and the EmergencyGuard, after it,
    does not raise it on the classifier's doubt; a danger its lexicon names beside it still is one.
    """

    INTENT = NUISANCE_INTENT
    REPLACES = frozenset({EMERGENCY, DEFAULT_NLU_FALLBACK_INTENT_NAME})
    NAMES_NO_DANGER = True

    @staticmethod
    def has_shape(text: str) -> bool:
        return names_a_nuisance(clean_text(text))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LockedOutClassifier(ShapeClassifier):
    """「我被锁在门外了 钥匙忘带了」: locked out of one's home, nobody or nothing inside at risk and no
    danger named (``bot.nlu.locked_out``), asks for an agent (``request_human``, the normal queue).
    The classifier read it as ``emergency`` (1.0: every agent paged, 「保存手机电量」); that reading
    and the fallback are replaced — 「钥匙丢了 门禁卡怎么补办」 stays a question — and the
    EmergencyGuard, after it, does not raise it on the classifier's doubt.
    """

    INTENT = LOCKED_OUT_INTENT
    REPLACES = frozenset({EMERGENCY, DEFAULT_NLU_FALLBACK_INTENT_NAME})
    NAMES_NO_DANGER = True

    @staticmethod
    def has_shape(text: str) -> bool:
        return is_locked_out(clean_text(text))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LostThingClassifier(ShapeClassifier):
    """「我家猫从阳台跑出去了」「钥匙掉在电梯井里了」: a pet gone or a thing dropped out of reach, no
    danger named (``bot.nlu.lost_things``), asks for an agent (``request_human``, the normal queue).
    The classifier read them as ``emergency`` (1.0, 0.93: every agent paged) and 「我家鹦鹉飞走了」 as
    a goodbye; those readings, a repair's and the fallback are replaced — a question
    (「宠物丢了可以调监控吗」) stays one — and the EmergencyGuard, after it, does not raise it on the
    classifier's doubt.
    """

    INTENT = LOST_THING_INTENT
    REPLACES = frozenset({EMERGENCY, DEFAULT_NLU_FALLBACK_INTENT_NAME, "goodbye", "repair"})
    NAMES_NO_DANGER = True

    @staticmethod
    def has_shape(text: str) -> bool:
        return is_lost_thing(clean_text(text))


# 「已经好了不用来了」「能快点吗」「没有人困在里面」「往下滴水」「尿骚味」「锁在门外」「猫跑丢了」: the shapes above that say so.
_SHAPES_NAMING_NO_DANGER = tuple(shape for shape in ShapeClassifier.__subclasses__() if shape.NAMES_NO_DANGER)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmergencyGuard(RuleComponent, IntentClassifier):
    """Makes missing an emergency practically impossible.

    Runs last, after the statistical classifier and the FallbackClassifier. It raises a message
    to ``emergency`` when the danger lexicon fires on a live, un-negated event, or when the
    classifier itself already gives ``emergency`` a real chance (``doubt_threshold``) and nothing
    marks the message as after the fact, hypothetical, over (「已经出来了」) or a device fault
    (「热水器打不着火」) — DOMAIN.md §1: when in doubt, treat it as emergency. The lexicon reads the
    message as written and as read (``bot.nlu.reading``), so pinyin and typos of danger words count.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"doubt_threshold": 0.3, "guard_confidence": 0.95}

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
        result = assess(clean_text(text))  # as the entity extractor: safe for text nobody cleaned
        intent = message.get(INTENT) or {}
        classifier_confidence = self._emergency_confidence(message)
        in_doubt = (
            classifier_confidence >= self.component_config["doubt_threshold"]
            and not result.after_the_fact
            and not result.hypothetical
            and not result.over
            and not result.device_fault
            and not any(shape.has_shape(text) for shape in _SHAPES_NAMING_NO_DANGER)
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

