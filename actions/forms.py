"""Form validation: repair, complaint, inquiry contact and ticket lookup."""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_entity, latest_text, say
from bot.intake.complaint import subject_from_detail
from bot.intake.validation import (
    Checked,
    accept_after_retries,
    check_address,
    check_phone,
    check_problem,
    check_visit_time,
)

ACCEPTED_FOR_CONFIRMATION = "好的，我们先按您说的记录下来，稍后客服同事会与您核实。"


class ContactValidation(FormValidationAction):
    """Address, phone and visit time, shared by the forms that ask for them."""

    def name(self) -> str:  # pragma: no cover - abstract base, never registered
        return "validate_contact_base"

    def _settle(
        self, slot: str, checked: Checked, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        if checked.value:
            return {slot: checked.value}
        raw = latest_text(tracker)
        value, counts = accept_after_retries(slot, raw, tracker.get_slot("retry_counts") or {})
        if value:
            say(dispatcher, ACCEPTED_FOR_CONFIRMATION)
            return {slot: value, "retry_counts": counts}
        say(dispatcher, checked.reason)
        return {slot: None, "retry_counts": counts}

    def validate_address(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._settle("address", check_address(str(value or ""), latest_entity(tracker, "address")), dispatcher, tracker)

    def validate_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._settle("phone", check_phone(str(value or ""), latest_entity(tracker, "phone")), dispatcher, tracker)


class ValidateRepairForm(ContactValidation):
    def name(self) -> str:
        return "validate_repair_form"

    def validate_repair_problem(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "")
        if text.startswith("/"):
            text = tracker.get_slot("pending_text") or ""
        return self._settle("repair_problem", check_problem(text), dispatcher, tracker)

    def validate_visit_time(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._settle("visit_time", check_visit_time(str(value or ""), latest_entity(tracker, "visit_time")), dispatcher, tracker)

    def validate_repair_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value is True:
            return {"repair_confirmed": True}
        say(dispatcher, "好的，请问需要修改哪一项？您可以直接发送新的地址、电话或上门时间。")
        return {"repair_confirmed": None}


class ValidateComplaintForm(ContactValidation):
    def name(self) -> str:
        return "validate_complaint_form"

    async def extract_complaint_subject(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot("complaint_subject"):
            return {}
        subject = subject_from_detail(tracker.get_slot("complaint_detail"))
        return {"complaint_subject": subject} if subject else {}

    def validate_complaint_detail(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "")
        if text.startswith("/"):
            text = tracker.get_slot("pending_text") or ""
        if len(text.strip()) < 2:
            say(dispatcher, "请您具体说说遇到的问题，例如时间、地点和涉及的人员或部门，我们认真记录。")
            return {"complaint_detail": None}
        return {"complaint_detail": text[:2000]}

    def validate_complaint_subject(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "").strip()
        if not text or text.startswith("/"):
            say(dispatcher, "请您选择或简单说明投诉涉及的方面，例如“保安态度”或“停车收费”。")
            return {"complaint_subject": None}
        return {"complaint_subject": text[:50]}


class ValidateInquiryContactForm(ContactValidation):
    def name(self) -> str:
        return "validate_inquiry_contact_form"


class ValidateTicketLookupForm(FormValidationAction):
    def name(self) -> str:
        return "validate_ticket_lookup_form"

    async def extract_lookup_key(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        key = latest_entity(tracker, "ticket_id") or latest_entity(tracker, "phone")
        return {"lookup_key": key} if key else {}

    def validate_lookup_key(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value:
            return {"lookup_key": str(value)}
        say(dispatcher, "抱歉，没能识别工单号或手机号，请您再发送一次，例如 WY202611220001 或 13812345678。")
        return {"lookup_key": None}
