"""Annotating a resident's text: confirm or correct its intent, mark entities, or mark it as noise.

``annotate`` checks for conflicts (``bot.trainer.conflicts``) before it saves anything. A text from
a test set is refused outright (it can only be marked as noise); a label conflict or a disagreement
with the emergency guard is saved only when the trainer overrides it after seeing it. One trainer
annotation per message (or per conversation and text, for conversations without gateway messages):
annotating again replaces the label.

It is the one way into the ``annotations`` table: trainers' labels (``source="trainer"``) and
agents' class corrections from the console (``source="agent"``, ``bot/gateway/ticket_desk.py``) go
through the same checks, so no path can turn an evaluation sentence into training data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.settings import PROJECT_ROOT
from bot.storage.models import Annotation
from bot.trainer.conflicts import Conflict, LabelledText, guard_conflict, label_conflicts, nlu_examples, test_set_conflict
from bot.trainer.labels import ENTITY_TYPES, labels_for

SOURCES = ("trainer", "agent")


class AnnotationError(ValueError):
    """Bad input: the message is for the trainer, in Chinese; nothing was saved."""


@dataclass
class AnnotateResult:
    saved: bool
    annotation_id: int | None = None
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """A conflict that no override can lift (a test-set text)."""
        return any(not c.overridable for c in self.conflicts)

    def as_dict(self) -> dict[str, Any]:
        return {"saved": self.saved, "annotation_id": self.annotation_id, "refused": self.refused, "conflicts": [c.as_dict() for c in self.conflicts]}


def clean_entities(text: str, entities: Sequence[Any] | None) -> list[dict[str, Any]]:
    """Validated ``[{start, end, value, entity}]`` spans of ``text``, sorted, without overlaps."""
    spans: list[dict[str, Any]] = []
    for raw in entities or []:
        if not isinstance(raw, dict):
            raise AnnotationError("实体格式有误")
        entity = raw.get("entity")
        start, end = raw.get("start"), raw.get("end")
        if entity not in ENTITY_TYPES:
            raise AnnotationError(f"实体类型只能是：{'、'.join(ENTITY_TYPES)}")
        if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool) or not 0 <= start < end <= len(text):
            raise AnnotationError("实体位置超出了这句话的范围")
        value = text[start:end]
        if not value.strip():
            raise AnnotationError("实体不能只选中空白")
        if raw.get("value") not in (None, value):
            raise AnnotationError("实体文字与原句不一致，请重新选择")
        spans.append({"start": start, "end": end, "value": value, "entity": entity})
    spans.sort(key=lambda s: (s["start"], s["end"]))
    for before, after in zip(spans, spans[1:], strict=False):
        if after["start"] < before["end"]:
            raise AnnotationError("实体之间不能重叠")
    return spans


def _existing(session: Session, text: str, message_id: int | None, conversation_id: str, source: str) -> Annotation | None:
    query = sa.select(Annotation).where(Annotation.source == source)
    if message_id is not None:
        query = query.where(Annotation.message_id == message_id)
    else:
        query = query.where(Annotation.message_id.is_(None), Annotation.conversation_id == conversation_id, Annotation.text == text)
    return session.execute(query.order_by(Annotation.id.desc()).limit(1)).scalar_one_or_none()


def labelled_annotations(session: Session, exclude_id: int | None = None) -> list[LabelledText]:
    query = sa.select(Annotation.text, Annotation.intent).where(Annotation.noise.is_(False), Annotation.intent.is_not(None))
    if exclude_id is not None:
        query = query.where(Annotation.id != exclude_id)
    return [LabelledText(text, intent, "annotation") for text, intent in session.execute(query)]


def check(session: Session, text: str, intent: str, exclude_id: int | None = None, root: Path = PROJECT_ROOT) -> list[Conflict]:
    """Every conflict of labelling ``text`` as ``intent`` (test set first, then guard, then labels)."""
    conflicts: list[Conflict] = []
    test_set = test_set_conflict(text, root)
    if test_set:
        conflicts.append(test_set)
    guard = guard_conflict(text, intent)
    if guard:
        conflicts.append(guard)
    labelled = [*labelled_annotations(session, exclude_id), *nlu_examples(root)]
    conflicts.extend(label_conflicts(text, intent, labelled))
    return conflicts


def annotate(
    session: Session,
    *,
    text: str,
    author: str,
    intent: str | None = None,
    entities: Sequence[Any] | None = None,
    noise: bool = False,
    message_id: int | None = None,
    conversation_id: str = "",
    override: bool = False,
    source: str = "trainer",
    root: Path = PROJECT_ROOT,
) -> AnnotateResult:
    """Label ``text`` (or mark it as noise). Saved unless a conflict stands in the way:
    a test-set text never gets a label; other conflicts need ``override``."""
    if source not in SOURCES:
        raise AnnotationError("标注来源有误")
    if not text or not text.strip():
        raise AnnotationError("没有可标注的文字")
    existing = _existing(session, text, message_id, conversation_id, source)
    if noise:
        intent, spans, conflicts = None, [], []
    else:
        if intent not in labels_for(source, root):
            raise AnnotationError("请从列表中选择一个意图")
        spans = clean_entities(text, entities)
        conflicts = check(session, text, intent, existing.id if existing else None, root)
        if any(not c.overridable for c in conflicts) or (conflicts and not override):
            return AnnotateResult(False, existing.id if existing else None, conflicts)
    now = utcnow()
    row = existing or Annotation(message_id=message_id, conversation_id=conversation_id, text=text, source=source, created_at=now)
    changed = (row.intent, row.entities or [], bool(row.noise)) != (intent, spans, noise)
    row.intent, row.entities, row.noise, row.author, row.updated_at = intent, spans or None, noise, author, now
    if changed:
        row.exported_at = None  # the next export writes the new label
    if existing is None:
        session.add(row)
    session.flush()
    return AnnotateResult(True, row.id, conflicts)
