"""Helpers for the trainer tests: real tracker-store rows (Rasa's SQLTrackerStore on DATABASE_URL),
gateway messages, handoffs and an agent's correction, as a running product would leave them."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.conversations.lifecycle import request_handoff
from bot.conversations.status import Priority
from bot.gateway.transcript import store
from bot.storage import session_scope
from bot.storage.models import Annotation
from bot.storage.tracker_store import DatabaseUrlTrackerStore

HELDOUT_TEXT = "洗菜池的下水口往外冒水 堵住了"  # tests/heldout/repair.yml
NLU_REPAIR_TEXT = "马桶堵住了冲不下去 麻烦派个师傅来"  # nlu_data/repair.yml


def parse(intent: str, confidence: float, ranking: list[tuple[str, float]] | None = None, **extra: Any) -> dict[str, Any]:
    ranking = ranking or [(intent, confidence)]
    return {
        "intent": {"name": intent, "confidence": confidence},
        "entities": [],
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        **extra,
    }


def fallback(ranking: list[tuple[str, float]]) -> dict[str, Any]:
    """What FallbackClassifier leaves: nlu_fallback on top at the threshold, then the classifier's guesses."""
    return parse("nlu_fallback", 0.5, [("nlu_fallback", 0.5), *ranking])


def guard_raised(ranking: list[tuple[str, float]]) -> dict[str, Any]:
    """What EmergencyGuard leaves when it raises a message the classifier called something else."""
    others = [(n, c) for n, c in ranking if n != "emergency"]
    return parse("emergency", 0.95, [("emergency", 0.95), *others], emergency_guard={"emergency": True, "promoted": True})


def write_tracker(conversation_id: str, turns: list[tuple[str, dict[str, Any]]]) -> None:
    """Save a conversation's user turns through the product's tracker store (table ``events``)."""
    store_ = DatabaseUrlTrackerStore()
    events: list[Any] = [ActionExecuted("action_listen")]
    for text, parse_data in turns:
        events.append(UserUttered(text, intent=parse_data["intent"], parse_data={"text": text, **parse_data}))
        events.append(ActionExecuted("action_listen"))
    asyncio.run(store_.save(DialogueStateTracker.from_events(conversation_id, events)))
    store_.engine.dispose()


def resident_said(url: str, conversation_id: str, text: str, command: str | None = None) -> int:
    with session_scope(url) as session:
        return store(session, conversation_id, "resident", text, {"command": command} if command else None)["id"]


def seed(url: str, prefix: str = "") -> dict[str, Any]:
    """Five conversations covering every inbox flag; returns their ids and the message ids."""
    ids = {name: f"{prefix}{name}" for name in ("gw", "rest", "taken", "down", "agent")}
    # Through the gateway: a clear repair, a fallback, a button click.
    leak = resident_said(url, ids["gw"], "厨房水龙头漏水了")
    vague = resident_said(url, ids["gw"], "那个东西又不行了")
    resident_said(url, ids["gw"], "是的", command="/affirm")
    write_tracker(
        ids["gw"],
        [
            ("厨房水龙头漏水了", parse("repair", 0.97, [("repair", 0.97), ("complaint", 0.02)])),
            ("那个东西又不行了", fallback([("repair", 0.41), ("complaint", 0.33)])),
            ("/affirm", parse("affirm", 1.0)),
        ],
    )
    # REST channel only (no gateway messages): the guard raised a fire the classifier called a complaint.
    write_tracker(ids["rest"], [("楼下着火了，好多烟，快来人", guard_raised([("complaint", 0.62), ("emergency", 0.2)]))])
    # Taken over by an agent: a middling complaint.
    complaint = resident_said(url, ids["taken"], "保安态度太差了我要投诉")
    write_tracker(ids["taken"], [("保安态度太差了我要投诉", parse("complaint", 0.64, [("complaint", 0.64), ("repair", 0.2)]))])
    with session_scope(url) as session:
        request_handoff(session, ids["taken"], "request_human", Priority.NORMAL)
    # Rasa was down: stored by the gateway, never parsed.
    unparsed = resident_said(url, ids["down"], "电梯按钮不亮了")
    # An agent corrected the class of a confident answer; also a held-out text the model saw live.
    corrected = resident_said(url, ids["agent"], "物业费什么时候交")
    held = resident_said(url, ids["agent"], HELDOUT_TEXT)
    write_tracker(
        ids["agent"],
        [
            ("物业费什么时候交", parse("inquiry", 0.93, response_selector={"inquiry": {"response": {"intent_response_key": "inquiry/fee_payment"}}})),
            (HELDOUT_TEXT, parse("repair", 0.55, [("repair", 0.55), ("complaint", 0.3)])),
        ],
    )
    with session_scope(url) as session:
        session.add(Annotation(message_id=corrected, conversation_id=ids["agent"], text="物业费什么时候交", intent="complaint", source="agent", author="小王"))
    return {"ids": ids, "leak": leak, "vague": vague, "complaint": complaint, "unparsed": unparsed, "corrected": corrected, "held": held}
