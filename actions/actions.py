"""Custom actions: answers, tickets, emergencies and handoff. Logic lives in ``bot.intake``."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActiveLoop,
    ConversationPaused,
    EventType,
    FollowupAction,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_entity, latest_text, resident_text, say, slots
from bot.intake.clarify import QUESTION, clarify_buttons
from bot.intake.complaint import ComplaintRequest, create_complaint_ticket
from bot.intake.emergency import handle_emergency
from bot.intake.human import request_human
from bot.intake.inquiry import (
    HANDOVER_ASK,
    answer_text,
    create_inquiry_ticket,
    topic_from_parse,
    with_honorific,
)
from bot.intake.rating import RATING_BUTTONS, rating_reply, record_rating
from bot.intake.repair import RepairRequest, create_repair_ticket, repair_summary
from bot.intake.status import status_reply
from bot.politeness import apology, closing, greeting
from bot.tickets.rules import complaint_department

REPAIR_SLOTS = ("repair_problem", "visit_time", "repair_confirmed")
COMPLAINT_SLOTS = ("complaint_detail", "complaint_subject")


def _reset(*names: str) -> list[EventType]:
    return [SlotSet(name, None) for name in names] + [SlotSet("retry_counts", None), SlotSet("pending_text", None)]


def _stop_forms() -> list[EventType]:
    return [ActiveLoop(None), SlotSet("requested_slot", None)]


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        say(dispatcher, greeting(tracker.get_slot("surname"), tracker.get_slot("title")))
        return []


class ActionGoodbye(Action):
    def name(self) -> str:
        return "action_goodbye"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        say(dispatcher, closing(tracker.get_slot("surname"), tracker.get_slot("title")), RATING_BUTTONS)
        return []


class ActionRecordRating(Action):
    def name(self) -> str:
        return "action_record_rating"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        level = latest_entity(tracker, "rating") or ""
        if record_rating(tracker.sender_id, level):
            say(dispatcher, rating_reply(level))
        else:
            say(dispatcher, rating_reply(level), RATING_BUTTONS)
        return []


class ActionAnswerInquiry(Action):
    def name(self) -> str:
        return "action_answer_inquiry"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        surname, title = tracker.get_slot("surname"), tracker.get_slot("title")
        answer = answer_text(topic_from_parse(tracker.latest_message or {}), domain.get("responses") or {})
        if answer:
            say(dispatcher, with_honorific(answer, surname, title))
            return []
        question = resident_text(tracker)
        other_form = tracker.active_loop_name not in (None, "inquiry_contact_form")
        if other_form or tracker.get_slot("phone"):
            # Do not break the form in progress: register the question with what we know.
            say(dispatcher, create_inquiry_ticket(question, tracker.get_slot("phone") or "", tracker.sender_id, surname, title))
            return []
        say(dispatcher, HANDOVER_ASK)
        return [SlotSet("pending_text", question), FollowupAction("inquiry_contact_form")]


class ActionCreateInquiryTicket(Action):
    def name(self) -> str:
        return "action_create_inquiry_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = slots(tracker, "pending_text", "phone", "surname", "title")
        say(dispatcher, create_inquiry_ticket(s["pending_text"] or "（问题见对话记录）", s["phone"] or "", tracker.sender_id, s["surname"], s["title"]))
        return [SlotSet("pending_text", None), SlotSet("retry_counts", None)]


class ActionHandleEmergency(Action):
    def name(self) -> str:
        return "action_handle_emergency"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = slots(tracker, "address", "phone", "surname", "title")
        address = latest_entity(tracker, "address") or s["address"]
        phone = latest_entity(tracker, "phone") or s["phone"]
        outcome = handle_emergency(tracker.sender_id, resident_text(tracker), address, phone, s["surname"], s["title"])
        say(dispatcher, outcome.reply)
        # The bot stops steering: an agent takes over from the queue (DOMAIN §5: 严禁推诿).
        return _stop_forms() + _reset(*REPAIR_SLOTS, *COMPLAINT_SLOTS) + [ConversationPaused()]


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        summary = tracker.get_slot("repair_problem") or tracker.get_slot("complaint_detail") or latest_text(tracker)
        say(dispatcher, request_human(tracker.sender_id, summary))
        return _stop_forms() + [ConversationPaused()]


class ActionAskRepairConfirmed(Action):
    def name(self) -> str:
        return "action_ask_repair_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        say(dispatcher, repair_summary(_repair_request(tracker)), [
            {"title": "确认", "payload": "/affirm"},
            {"title": "修改", "payload": "/deny"},
        ])
        return []


def _repair_request(tracker: Tracker) -> RepairRequest:
    s = slots(tracker, "repair_problem", "address", "phone", "visit_time", "surname", "title")
    return RepairRequest(
        problem=s["repair_problem"] or "",
        address=s["address"] or "",
        phone=s["phone"] or "",
        visit_time=s["visit_time"] or "",
        conversation_id=tracker.sender_id,
        surname=s["surname"],
        title=s["title"],
    )


class ActionCreateRepairTicket(Action):
    def name(self) -> str:
        return "action_create_repair_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("repair_confirmed") is not True:
            return _reset(*REPAIR_SLOTS)
        say(dispatcher, create_repair_ticket(_repair_request(tracker)))
        return _reset(*REPAIR_SLOTS)


class ActionApologise(Action):
    def name(self) -> str:
        return "action_apologise"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        detail = tracker.get_slot("complaint_detail") or resident_text(tracker)
        say(dispatcher, apology(department=complaint_department(detail)))
        return []


class ActionCreateComplaintTicket(Action):
    def name(self) -> str:
        return "action_create_complaint_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = slots(tracker, "complaint_detail", "complaint_subject", "address", "phone", "surname", "title")
        if not s["complaint_detail"]:
            return _reset(*COMPLAINT_SLOTS)
        request = ComplaintRequest(
            detail=s["complaint_detail"],
            subject=s["complaint_subject"] or "其他",
            address=s["address"] or "",
            phone=s["phone"] or "",
            conversation_id=tracker.sender_id,
            surname=s["surname"],
            title=s["title"],
        )
        say(dispatcher, create_complaint_ticket(request))
        return _reset(*COMPLAINT_SLOTS)


class ActionTicketStatus(Action):
    def name(self) -> str:
        return "action_ticket_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        key = tracker.get_slot("lookup_key")
        if key:
            say(dispatcher, status_reply(key))
        return [SlotSet("lookup_key", None), SlotSet("retry_counts", None)]


class ActionClarifyIntent(Action):
    def name(self) -> str:
        return "action_clarify_intent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ranking: list[dict[str, Any]] = (tracker.latest_message or {}).get("intent_ranking") or []
        say(dispatcher, QUESTION, clarify_buttons(ranking))
        return [SlotSet("pending_text", latest_text(tracker))]


class ActionCancelForm(Action):
    def name(self) -> str:
        return "action_cancel_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        say(dispatcher, "好的，已为您取消本次登记，已填写的内容不会提交。如需帮助，请随时告诉我们。")
        return _stop_forms() + _reset(*REPAIR_SLOTS, *COMPLAINT_SLOTS, "lookup_key")
