"""The trainer's inbox: every resident message with what the model made of it.

Where the data comes from (the product's database, ``DATABASE_URL``, and Rasa's tracker store —
the same database on PostgreSQL, a file of its own beside the product's on SQLite):

- Rasa's tracker store (table ``events``, ``bot/storage/tracker_store.py``) holds a ``user`` event
  for every text Rasa parsed, from every channel (the gateway and the REST channel alike), with its
  ``parse_data``: intent, confidence, ``intent_ranking``, the response selector's topic and the
  emergency guard's verdict. It is the one source of the model's view, so the inbox is built from it.
  Button payloads (``/affirm``) are not residents' words and are left out.
- The gateway's ``messages`` table is joined to it (same conversation, same text, in order) so an
  annotation points at the stored message. A resident message Rasa never parsed (Rasa was down) is
  listed too, without an intent: nothing a resident sent is lost from view.
- ``conversations`` and ``handoff_requests`` say whether agents took the conversation over;
  ``annotations`` with ``source="agent"`` whether an agent corrected the class; those with
  ``source="trainer"`` hold the trainer's own label.

"The model's intent" is the classifier's best real intent: ``nlu_fallback`` (FallbackClassifier) and
the emergency guard's raise are what the assistant *did* (``final_intent``), not the classifier's
guess. Fallback = ``final_intent`` is ``nlu_fallback`` or the confidence is below the
FallbackClassifier threshold in ``config.yml``. Low confidence = below ``LOW_CONFIDENCE``.

Sorted by what is most worth a look: unlabelled first; among them disagreements with the emergency
guard and agents' corrections, then fallbacks, then the lowest confidence; newest first on ties.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from bot.clock import from_system_timestamp
from bot.conversations.status import WITH_AGENTS
from bot.inbound import row_id
from bot.nlu import RASA_MAX_TEXT
from bot.nlu.emergency import assess
from bot.settings import PROJECT_ROOT
from bot.storage.database import tracker_reading
from bot.storage.models import Annotation, Conversation, HandoffRequest, Message
from bot.trainer.conflicts import in_test_set

LOW_CONFIDENCE = 0.7
DEFAULT_FALLBACK_THRESHOLD = 0.3  # Rasa's own default when config.yml names none
FALLBACK = "nlu_fallback"
EMERGENCY = "emergency"
FLAGS = ("low_confidence", "fallback", "taken_over", "agent_corrected", "guard_disagrees")
STATUSES = ("all", "todo", "done")
SCAN_LIMIT = 5000  # the newest user events looked at per request
CHUNK = 500

EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("data", sa.Text),
)


@lru_cache(maxsize=4)
def _threshold_cached(path: str, _mtime: float) -> float:
    config = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    for component in config.get("pipeline") or []:
        if isinstance(component, dict) and component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", DEFAULT_FALLBACK_THRESHOLD))
    return DEFAULT_FALLBACK_THRESHOLD


def fallback_threshold(root: Path = PROJECT_ROOT) -> float:
    path = root / "config.yml"
    return _threshold_cached(str(path), path.stat().st_mtime)


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _iso(value: datetime | float | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, float | int):
        value = datetime.fromtimestamp(value, tz=timezone.utc)
    return value.isoformat()


def model_view(parse_data: dict[str, Any]) -> dict[str, Any]:
    """The classifier's best real intent and its confidence, the final intent, the top of the ranking."""
    final = (parse_data.get("intent") or {}).get("name")
    guard = parse_data.get("emergency_guard") or {}
    ranking = sorted(
        (r for r in parse_data.get("intent_ranking") or [] if isinstance(r, dict) and r.get("name") and r.get("name") != FALLBACK),
        key=lambda r: -float(r.get("confidence") or 0.0),
    )
    if guard.get("promoted"):  # the guard put emergency on top; the classifier had chosen otherwise
        ranking = [r for r in ranking if r.get("name") != EMERGENCY]
    if not ranking and final and final != FALLBACK:
        ranking = [parse_data["intent"]]
    top = ranking[0] if ranking else {}
    intent, confidence = top.get("name"), (float(top["confidence"]) if top.get("confidence") is not None else None)
    label = intent
    if intent:
        selected = ((parse_data.get("response_selector") or {}).get(intent) or {}).get("response") or {}
        label = selected.get("intent_response_key") or intent
    return {
        "intent": intent,
        "label": label,
        "confidence": confidence,
        "final_intent": final,
        "ranking": [{"name": r.get("name"), "confidence": float(r.get("confidence") or 0.0)} for r in ranking[:3]],
    }


def _on_product_clock(timestamp: float) -> float:
    """Rasa stamps events with the system clock; messages carry the product's (bot.clock)."""
    return from_system_timestamp(timestamp).timestamp()


def _scan_cutoff() -> float | None:
    """The time of the oldest user event the inbox scans, when older ones exist beyond ``SCAN_LIMIT``."""
    with tracker_reading() as connection:
        if not sa.inspect(connection).has_table("events"):
            return None
        query = sa.select(EVENTS.c.timestamp).where(EVENTS.c.type_name == "user").order_by(EVENTS.c.id.desc()).offset(SCAN_LIMIT - 1).limit(2)
        rows = connection.execute(query).scalars().all()
    return _on_product_clock(rows[0]) if len(rows) == 2 else None


def _user_events(conversation_id: str | None = None, event_id: int | None = None) -> list[dict[str, Any]]:
    with tracker_reading() as connection:
        if not sa.inspect(connection).has_table("events"):
            return []  # Rasa has not run against this database yet
        query = sa.select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.timestamp, EVENTS.c.data).where(EVENTS.c.type_name == "user")
        if conversation_id is not None:
            query = query.where(EVENTS.c.sender_id == conversation_id)
        if event_id is not None:
            query = query.where(EVENTS.c.id == event_id)
        rows = connection.execute(query.order_by(EVENTS.c.id.desc()).limit(SCAN_LIMIT)).all()
    events = []
    for event_id_, sender, timestamp, raw in reversed(rows):
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            continue
        parse_data = data.get("parse_data") or {}
        text = data.get("text") or parse_data.get("text") or ""
        if not text.strip() or text.startswith("/"):
            continue  # a button payload or an empty turn, not a resident's words
        events.append({"event_id": event_id_, "conversation_id": sender, "text": text, "timestamp": _on_product_clock(timestamp), "parse_data": parse_data})
    return events


def _resident_messages(session: Session, conversation_ids: list[str], message_id: int | None = None) -> list[Message]:
    query = sa.select(Message).where(Message.role == "resident")
    if message_id is not None:
        return list(session.execute(query.where(Message.id == message_id)).scalars())
    found: list[Message] = []
    for chunk in _chunks(conversation_ids):
        found.extend(session.execute(query.where(Message.conversation_id.in_(chunk))).scalars())
    return sorted(found, key=lambda m: m.id)


def _typed(message: Message) -> bool:
    return not (message.payload or {}).get("command") and bool((message.text or "").strip())


def _join(events: list[dict[str, Any]], messages: list[Message]) -> list[dict[str, Any]]:
    """Pair events with gateway messages (same conversation and text, in order); unpaired messages stay."""
    waiting: dict[tuple[str, str], list[Message]] = defaultdict(list)
    for message in messages:
        if _typed(message):
            waiting[(message.conversation_id, message.text[:RASA_MAX_TEXT])].append(message)
    items = []
    for event in events:
        queue = waiting.get((event["conversation_id"], event["text"]))
        message = queue.pop(0) if queue else None
        items.append({**event, "message": message})
    for queue in waiting.values():
        for message in queue:
            items.append({"event_id": None, "conversation_id": message.conversation_id, "text": message.text, "timestamp": None, "parse_data": None, "message": message})
    return items


def _context(session: Session, conversation_ids: list[str]) -> tuple[set[str], list[Annotation]]:
    taken: set[str] = set()
    annotations: list[Annotation] = []
    for chunk in _chunks(conversation_ids):
        taken.update(session.execute(sa.select(HandoffRequest.conversation_id).where(HandoffRequest.conversation_id.in_(chunk))).scalars())
        taken.update(
            session.execute(
                sa.select(Conversation.id).where(
                    Conversation.id.in_(chunk), sa.or_(Conversation.assigned_agent.is_not(None), Conversation.status.in_(WITH_AGENTS))
                )
            ).scalars()
        )
        annotations.extend(session.execute(sa.select(Annotation).where(Annotation.conversation_id.in_(chunk)).order_by(Annotation.id)).scalars())
    return taken, annotations


def _annotation_dict(row: Annotation | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "id": row.id,
        "intent": row.intent,
        "entities": row.entities or [],
        "noise": bool(row.noise),
        "author": row.author,
        "source": row.source,
        "updated_at": _iso(row.updated_at),
        "exported": row.exported_at is not None,
    }


def _find(annotations: list[Annotation], source: str, message: Message | None, conversation_id: str, text: str) -> Annotation | None:
    best = None
    for row in annotations:
        if row.source != source:
            continue
        if (message is not None and row.message_id == message.id) or (row.message_id is None and row.conversation_id == conversation_id and row.text == text):
            best = row  # the latest wins
    return best


def _build(raw: dict[str, Any], taken: set[str], annotations: list[Annotation], threshold: float, low: float, root: Path) -> dict[str, Any]:
    message: Message | None = raw["message"]
    conversation_id, text = raw["conversation_id"], raw["text"]
    parsed = raw["parse_data"] is not None
    view = model_view(raw["parse_data"]) if parsed else {"intent": None, "label": None, "confidence": None, "final_intent": None, "ranking": []}
    guard = assess(text)
    confidence = view["confidence"]
    model_emergency = view["intent"] == EMERGENCY
    trainer = _find(annotations, "trainer", message, conversation_id, text)
    agent = _find(annotations, "agent", message, conversation_id, text)
    photo = message is not None and bool((message.payload or {}).get("attachment"))
    flags = {
        "parsed": parsed,
        "photo": photo,  # a photo never goes to the model: nothing to label, and not "unavailable"
        "low_confidence": parsed and (confidence is None or confidence < low),
        "fallback": parsed and (view["final_intent"] == FALLBACK or confidence is None or confidence < threshold),
        "taken_over": conversation_id in taken,
        "agent_corrected": agent is not None,
        "guard_disagrees": parsed and (guard.is_emergency != model_emergency or (view["final_intent"] == EMERGENCY and not model_emergency)),
    }
    at = message.created_at if message is not None else None
    test_set = in_test_set(text, root)
    return {
        "id": f"e{raw['event_id']}" if raw["event_id"] is not None else f"m{message.id}",
        "event_id": raw["event_id"],
        "message_id": message.id if message is not None else None,
        "conversation_id": conversation_id,
        "text": text,
        "at": _iso(at) if at is not None else _iso(raw["timestamp"]),
        "timestamp": raw["timestamp"] if raw["timestamp"] is not None else (at.timestamp() if at else 0.0),
        **view,
        "guard": {"emergency": guard.is_emergency, "matched": list(dict.fromkeys(guard.matched))},
        "flags": flags,
        "annotation": _annotation_dict(trainer),
        "agent_label": agent.intent if agent is not None else None,
        "test_set": test_set[1] if test_set else None,  # heldout | external: never training data
    }


def worth_a_look(item: dict[str, Any]) -> tuple:
    flags = item["flags"]
    tier = 0 if flags["guard_disagrees"] or flags["agent_corrected"] else 1 if flags["fallback"] else 2
    confidence = item["confidence"] if item["confidence"] is not None else 0.0
    return (item["annotation"] is not None, tier, confidence, -item["timestamp"])


def _items(session: Session, events: list[dict[str, Any]], messages: list[Message], root: Path, low: float) -> list[dict[str, Any]]:
    raw = _join(events, messages)
    conversation_ids = sorted({r["conversation_id"] for r in raw})
    taken, annotations = _context(session, conversation_ids)
    threshold = fallback_threshold(root)
    return [_build(r, taken, annotations, threshold, low, root) for r in raw]


def inbox(
    session: Session,
    flags: Iterable[str] = (),
    status: str = "all",
    search: str = "",
    limit: int = 200,
    low_confidence: float = LOW_CONFIDENCE,
    root: Path = PROJECT_ROOT,
) -> list[dict[str, Any]]:
    """Resident messages with the model's view, filtered (every flag in ``flags`` must hold;
    ``status``: all | todo (no label yet) | done) and sorted by what is most worth a look."""
    wanted = list(flags)
    unknown = [f for f in wanted if f not in FLAGS]
    if unknown or status not in STATUSES:
        raise ValueError(f"unknown filter: {unknown or status}")
    events = _user_events()
    conversation_ids = sorted({e["conversation_id"] for e in events})
    recent_messages = list(
        session.execute(
            sa.select(Message.conversation_id).where(Message.role == "resident").order_by(Message.id.desc()).limit(SCAN_LIMIT)
        ).scalars()
    )
    conversation_ids = sorted(set(conversation_ids) | set(recent_messages))
    items = _items(session, events, _resident_messages(session, conversation_ids), root, low_confidence)
    cutoff = _scan_cutoff()
    if cutoff is not None:  # older events were not read: older messages may have been parsed after all
        items = [i for i in items if i["event_id"] is not None or i["timestamp"] >= cutoff]
    selected = [
        item
        for item in items
        if all(item["flags"][f] for f in wanted)
        and (status == "all" or (status == "todo") == (item["annotation"] is None))
        and (not search or search in item["text"])
    ]
    selected.sort(key=worth_a_look)
    return selected[: max(1, limit)]


def inbox_item(session: Session, item_id: str, root: Path = PROJECT_ROOT) -> dict[str, Any] | None:
    """One inbox item by its id (``e<event id>`` or ``m<message id>``), as ``inbox`` lists it."""
    kind = (item_id or "")[:1]
    try:
        number = row_id((item_id or "")[1:])  # "m²" or 23 digits: no such item, not a database error
    except ValueError:
        return None
    if kind not in ("e", "m"):
        return None
    if kind == "e":
        events = _user_events(event_id=number)
        if not events:
            return None
        conversation_id = events[0]["conversation_id"]
        # The pairing is by order within the conversation, so pair the whole conversation.
        all_events = _user_events(conversation_id=conversation_id)
        items = _items(session, all_events, _resident_messages(session, [conversation_id]), root, LOW_CONFIDENCE)
        return next((i for i in items if i["event_id"] == number), None)
    found = _resident_messages(session, [], message_id=number)
    if not found:
        return None
    conversation_id = found[0].conversation_id
    items = _items(session, _user_events(conversation_id=conversation_id), _resident_messages(session, [conversation_id]), root, LOW_CONFIDENCE)
    return next((i for i in items if i["message_id"] == number), None)


CONTEXT = 6  # messages shown on each side of the one a trainer looks at


def conversation_around(session: Session, conversation_id: str, message_id: int | None = None, size: int = CONTEXT) -> list[dict[str, Any]]:
    """The conversation around a message: up to ``size`` messages before and after ``message_id``
    (without one: the conversation's last ``2 × size + 1``), every role, oldest first; a photo is
    named as one (trainers do not see residents' pictures), ``current`` marks the message."""
    query = sa.select(Message).where(Message.conversation_id == conversation_id)
    if message_id is None:
        rows = list(session.execute(query.order_by(Message.id.desc()).limit(2 * size + 1)).scalars())[::-1]
    else:
        before = list(session.execute(query.where(Message.id < message_id).order_by(Message.id.desc()).limit(size)).scalars())[::-1]
        rest = list(session.execute(query.where(Message.id >= message_id).order_by(Message.id).limit(size + 1)).scalars())
        rows = before + rest
    return [
        {
            "id": m.id,
            "role": m.role,
            "text": m.text,
            "photo": bool((m.payload or {}).get("attachment")),
            "agent": (m.payload or {}).get("agent"),
            "at": _iso(m.created_at),
            "current": m.id == message_id,
        }
        for m in rows
    ]
