"""What the assistant keeps and what it lets go of when it takes a conversation back from an agent.

Issue 12 §2: after an agent hands a conversation back, the bot must continue from the agent's last
answer — not restart the script the agent interrupted (a second apology, for another department;
asking again for a phone it has). While the agents had the conversation Rasa was paused and only
recorded the resident's messages (their entities still filled the slots); the agent's replies are in
the tracker as bot utterances (``bot.gateway.rasa_client.record_agent_reply``).

The mechanism, one list of tracker events the gateway appends before it resumes Rasa
(:func:`after_agent`):

- the case the agent took over is closed for the bot: the active form ends and the slots that held
  that case (:data:`CASE_SLOTS`: what is broken, the complaint's details and subject, a half-made
  confirmation, a pending lookup) are cleared, since the agent's conversation superseded them;
- who the resident is stays (:data:`PERSON_SLOTS`: name, title, address, phone), so nothing known
  is asked again (the summaries show it for confirmation);
- ``handed_back`` is set: a complaint right after the hand-back adds to the case the agent handled
  (its open ticket) instead of starting a new complaint script (``action_continue_case``; rules.yml).
  The actions that start or finish another case clear it.

When a resolved conversation is reopened by the resident the same reset applies, without
``handed_back``: the agent ended that case.
"""

from __future__ import annotations

from typing import Any

PHONE_DECLINED = "phone_declined"  # the resident has no phone or would rather not give it, for this case
REPAIR_SLOTS = ("repair_problem", "repair_ticket", "visit_time", "repair_confirmed", PHONE_DECLINED)
COMPLAINT_SLOTS = ("complaint_detail", "complaint_subject", "complaint_ticket", "complaint_confirmed", PHONE_DECLINED)
# A case in progress: its own answers, and the bookkeeping of the form asking for them.
CASE_SLOTS = tuple(dict.fromkeys((*REPAIR_SLOTS, *COMPLAINT_SLOTS, "lookup_key", "pending_text", "retry_counts", "requested_slot")))
PERSON_SLOTS = ("surname", "title", "address", "phone")  # kept: who the resident is and how to reach them
HANDED_BACK = "handed_back"


def _slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def after_agent(handed_back: bool) -> list[dict[str, Any]]:
    """Tracker events (Rasa's JSON) that close the case the agent took over and keep the person;
    appended before the ``resume`` (``bot.gateway.rasa_client.RasaClient.resume``)."""
    events = [{"event": "active_loop", "name": None}]
    events += [_slot(name, None) for name in CASE_SLOTS]
    events.append(_slot(HANDED_BACK, True if handed_back else None))
    return events
