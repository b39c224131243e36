"""The gateway keeps a resident company while their emergency waits for an agent (issue 12 §1).

Rasa is paused once an emergency is queued (the agents take over, DOMAIN §5), so without this a
resident trapped in a lift who writes 「有人吗 快点」 would hear nothing until a person claims the
case. Two things happen here, both from the database's view of the wait
(:mod:`bot.conversations.escalation`) and in the catalogue's words (``aftercare.*``):

- :func:`keep_company`: every message the resident writes while the emergency waits unclaimed is
  answered at once — the agents have been alerted and nobody has taken it yet (the agent is named
  the moment one claims it: the notifier's join notice), how long the resident has waited, what to
  do now for this danger, the right emergency number and the duty phone. No form, no script: the
  answer is the same kind every time, only the waiting time moves.
- :func:`escalate_due`, run every second by each gateway process (:func:`attach`): an emergency
  nobody has claimed after ``EMERGENCY_ESCALATION_SECONDS`` is escalated — the resident is told
  honestly that nobody has taken it yet and to call the numbers now, and every console gets an
  ``escalation`` frame (bot.gateway.notifier) to sound a louder alarm. Each step is claimed with a
  conditional UPDATE and its notice stored in the same transaction, so it happens exactly once
  however many gateway processes sweep.

A wait for a person that is no emergency (「我要转人工」) is acknowledged too, at most once a minute
(bot.conversations.waiting): the message was passed on, how long, and past the queue's promise an
apology.

Every text the resident gets here also goes to the consoles: the agent who claims the case sees
what the resident was told.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sanic import Sanic
from sqlalchemy.orm import Session

from bot import texts
from bot.clock import utcnow
from bot.communities import community_of_conversation
from bot.conversations.escalation import EmergencyWait, claim_step, due, emergency_wait
from bot.conversations.events import CaseDetailsAdded, Escalated, Posted
from bot.conversations.status import Status
from bot.conversations.unserved import someone_serves
from bot.conversations.waiting import WAITING, person_wait
from bot.gateway import sweeps
from bot.gateway.offloop import in_session
from bot.gateway.state import Gateway
from bot.gateway.transcript import store
from bot.intake.emergency import ContactDetails, EmergencyOutcome, add_contact_details, details_text
from bot.safety import Procedure, procedure_for

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 1.0  # how late an escalation may come at most, on top of its set time
ESCALATED = "escalated"  # the notice's payload ``event``: the widget may show it louder than a reply


def waited_text(waited: timedelta) -> str:
    """``45秒``, ``2分05秒``: how long the resident has waited, as they would say it."""
    seconds = int(waited.total_seconds())
    if seconds < 60:
        return texts.render("aftercare.waited_seconds", seconds=seconds)
    return texts.render("aftercare.waited_minutes", minutes=seconds // 60, seconds=f"{seconds % 60:02d}")


def call_numbers_text(procedure: Procedure) -> str:
    """「如情况危急，请立即拨打119。」 — unless the danger's instructions already give each of its
    numbers (most do: 「请立即拨打119报警…」), which are then not said a second time."""
    return "" if procedure.instructions_give_numbers else texts.render("aftercare.call_numbers", numbers=procedure.numbers)


def waiting_text(wait: EmergencyWait, now: datetime, duty_phone: str | None = None, danger: str | None = None) -> str:
    """The answer to a message while the emergency waits: who is coming, how long, what to do now
    (the duty phone: the resident's community's, bot.communities) — for the danger the message
    names, when it names one (a fire written while a lift emergency waits: the fire's instructions)."""
    procedure = procedure_for(danger or wait.kind)
    return texts.render(
        "aftercare.waiting",
        waited=waited_text(wait.waited(now)),
        instructions=procedure.instructions,
        call_numbers=call_numbers_text(procedure),
        duty_phone=duty_phone,
    )


def alerted_while_busy_text(kind: str, duty_phone: str | None = None) -> str:
    """A live emergency Rasa could not answer: the gateway's rules alerted the agents; what to do now."""
    procedure = procedure_for(kind)
    return texts.render("aftercare.alerted_while_busy", instructions=procedure.instructions, call_numbers=call_numbers_text(procedure), duty_phone=duty_phone)


def raised_with_agents_text(outcome: EmergencyOutcome, status: Status) -> str:
    """A live emergency written while the case was with the agents (bot.intake.emergency.
    raise_with_agents): the emergency action's own words while it waits for someone; when an agent
    has it, that they were alerted."""
    key = "emergency.received_with_agent" if status is Status.ASSIGNED else "emergency.received"
    return texts.render(key, **outcome.text_values())


def escalation_text(wait: EmergencyWait, now: datetime, duty_phone: str | None = None) -> str:
    """Nobody has claimed it yet: said plainly, with the numbers to call now."""
    procedure = procedure_for(wait.kind)
    return texts.render(
        "aftercare.escalated",
        waited=waited_text(wait.waited(now)),
        instructions=procedure.instructions,
        call_numbers=call_numbers_text(procedure),
        duty_phone=duty_phone,
    )


def details_noted_text(details: ContactDetails) -> str:
    """「已记下您的地址 5-2-301、电话 138****5678…」: what the resident's message added to the case."""
    return texts.render("aftercare.details_noted", details=details_text(details))


async def keep_company(gateway: Gateway, conversation_id: str, text: str = "", danger: str | None = None) -> bool:
    """Answer the resident's message (``text``) at once when their emergency waits unclaimed — an
    address or phone in it goes on the emergency's ticket first, and is acknowledged. A wait for a
    person that is no emergency is acknowledged at most once a minute (how long, and, past the
    queue's promise, an apology: bot.conversations.waiting). False (and nothing said) otherwise —
    an agent has it, or the resident was told a moment ago. ``danger``: the one the emergency rules
    found in the message, if any (its instructions are given)."""
    noticed = await in_session(_store_waiting_notice, conversation_id, text, danger)
    if noticed is None:
        return False
    message, added = noticed
    await gateway.notifier.publish(Posted(conversation_id, message, to_agents=True), *([CaseDetailsAdded(conversation_id)] if added else []))
    return True


def _store_waiting_notice(session: Session, conversation_id: str, text: str, danger: str | None) -> tuple[dict[str, Any], bool] | None:
    wait = emergency_wait(session, conversation_id)
    if wait is None:
        return _acknowledge_person_wait(session, conversation_id)
    details = add_contact_details(session, wait.ticket_number, text)
    duty_phone = community_of_conversation(session, conversation_id).duty_phone
    notice = waiting_text(wait, utcnow(), duty_phone, danger)
    if details is not None:
        notice = details_noted_text(details) + notice
    return store(session, conversation_id, "bot", notice), details is not None


def _acknowledge_person_wait(session: Session, conversation_id: str) -> tuple[dict[str, Any], bool] | None:
    now = utcnow()
    wait = person_wait(session, conversation_id, now)
    if wait is None:
        return None
    community = community_of_conversation(session, conversation_id)
    if not someone_serves(session, community.id, now):
        key = "human.waiting_nobody_online"
    else:
        key = "human.waiting_overdue" if wait.overdue(now) else "human.waiting"
    notice = texts.render(key, waited=waited_text(wait.waited(now)), duty_phone=community.duty_phone)
    return store(session, conversation_id, "bot", notice, {"event": WAITING}), False


async def escalate_due(gateway: Gateway) -> int:
    """Escalate every emergency whose next step is due and that this process wins; how many."""
    every = timedelta(seconds=gateway.config.escalation_seconds)
    now = utcnow()
    escalated = 0
    for wait, step in await in_session(due, now, every):
        claimed = await in_session(_claim, wait, step, now)
        if claimed is None:
            continue  # another process took this step, or an agent claimed the case meanwhile
        event, notice = claimed
        escalated += 1
        logger.warning(
            "emergency in %s unclaimed for %s s: escalation step %d to every console", wait.conversation_id, event.waited_seconds, step
        )
        await gateway.notifier.publish(Posted(wait.conversation_id, notice, to_agents=True), event)
    return escalated


def _claim(session: Session, wait: EmergencyWait, step: int, now: datetime) -> tuple[Escalated, dict[str, Any]] | None:
    """The step for this process, with the resident's notice (one transaction); None if lost."""
    event = claim_step(session, wait, step, now)
    if event is None:
        return None
    duty_phone = community_of_conversation(session, wait.conversation_id).duty_phone
    return event, store(session, wait.conversation_id, "bot", escalation_text(wait, now, duty_phone), {"event": ESCALATED})


def attach(app: Sanic) -> None:
    """Run the escalation sweep while the server runs: started after it starts, cancelled before it stops."""
    sweeps.attach(app, "escalation", escalate_due, SWEEP_SECONDS)
