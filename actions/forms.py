"""Form validation: repair, complaint, inquiry contact and ticket lookup.

A form's questions are ``utter_ask_<slot>`` responses in domain.yml (Rasa asks them itself); what
validation says about an answer it cannot use comes from the catalogue (bot/texts/zh_CN.yml).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import added_to, before_this_message, earlier_texts, latest_entity, latest_text, phone_declined_text, resident_text, say
from actions.questions import REPAIR_CASE, answer_beside_case
from bot import texts
from bot.intake.asides import complaint_without_question, fault_beside_question
from bot.intake.complaint import LATE_REPAIR, is_bare_opener, says_what_happened, subject_from_detail
from bot.intake.continuity import PHONE_DECLINED
from bot.intake.corrections import names_a_correction, read_correction
from bot.intake.earlier import NO_TICKET, chosen_ticket, earlier_repairs
from bot.intake.status import own_tickets
from bot.intake.validation import (
    Checked,
    accept_after_retries,
    answers_another_question,
    as_told,
    asks_a_remedy,
    bare_building,
    check_address,
    check_phone,
    check_problem,
    check_visit_time,
    community_of,
    in_the_home,
    in_the_room,
    later_address,
    names_the_fault,
    nothing_to_change,
    room_only,
    tries_a_phone,
    with_building,
)
from bot.nlu.entities import first_value, is_bare_answer
from bot.nlu.openers import is_repair_opener
from bot.nlu.rework import says_repair_failed
from bot.politeness import echo
from bot.tickets.masking import mask_phone

# What a message with more about the case is classified as (not 「好的」, 「稍等我找找」 or an unclear one).
CASE_INTENTS = frozenset({"repair", "complaint", "inform"})
DEFAULT_NLU_FALLBACK = "nlu_fallback"  # Rasa's intent for a message the classifier is unsure of
# retry_counts' mark that a home repair's unit and room were asked for once (ValidateRepairForm)
ROOM_ASKED = "address_room"


class ActionAskAddress(Action):
    """The repair form's address question (``utter_ask_address``) — but not right after validation
    asked for the unit and room of the building just named (``validation.address_room``): 「我是3栋的
    老王 我家卫生间漏水了」 (tried on scripts/run) read that, then 「请问具体地址是哪里？请告诉我们
    楼号…」 at once, the building they had just given asked for again."""

    def name(self) -> str:
        return "action_ask_address"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        before, _ = before_this_message(tracker, "retry_counts")
        if ROOM_ASKED in (tracker.get_slot("retry_counts") or {}) and ROOM_ASKED not in (before or {}):
            return []  # asked in this turn, in the words that name the building
        dispatcher.utter_message(response="utter_ask_address")
        return []


def _told(slot: str, value: str) -> str:
    """What the resident is told of a corrected answer (the phone masked, as in the summary)."""
    if slot == "phone":
        return texts.render("correction.phone", phone=mask_phone(value))
    if slot == "visit_time":
        return texts.render("correction.visit_time", visit_time=echo(value))
    return texts.render("correction.address", address=echo(value))


class ContactValidation(FormValidationAction):
    """Address, phone and visit time, shared by the forms that ask for them."""

    def name(self) -> str:  # pragma: no cover - abstract base, never registered
        return "validate_contact_base"

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """A correction of an answer the form holds (「不是601 是602」, bot.intake.corrections) instead
        of the usual validation, whichever way the classifier read it: as a no it cancelled the
        registration, as more of the case it went into the description. The form's next question
        is chosen as after any answer (``required_slots``)."""
        corrected = self._corrected(dispatcher, tracker, domain)
        return corrected if corrected is not None else await super().get_validation_events(dispatcher, tracker, domain)

    def _corrected(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType] | None:
        text = latest_text(tracker)
        if not names_a_correction(text) or before_this_message(tracker, "requested_slot")[1] != self.form_name():
            return None  # no correction, or the form starts with this message: nothing of it to correct yet
        asks = self.domain_slots(domain)  # the form's required slots, as domain.yml lists them
        held = {slot: before_this_message(tracker, slot)[0] for slot in asks}
        correction = read_correction(text, held, asks, community_of(tracker.sender_id))
        if correction is None:
            return None
        if correction.value is not None:
            say(dispatcher, _told(correction.slot, correction.value))
        # the message's other candidates (「8号楼」 from 「不是8栋 是9栋…」) are no answers: each keeps what it held
        kept = [SlotSet(slot, held[slot]) for slot in asks if slot != correction.slot and tracker.get_slot(slot) != held[slot]]
        return [*kept, SlotSet(correction.slot, correction.value)]

    def _settle(
        self, slot: str, checked: Checked, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        if checked.value:
            return {slot: checked.value}
        raw = latest_text(tracker)
        value, counts = accept_after_retries(slot, raw, tracker.get_slot("retry_counts") or {})
        if value:
            say(dispatcher, texts.render("validation.accepted_for_confirmation"))
            return {slot: value, "retry_counts": counts}
        if checked.reason:  # why not; nothing when nothing was said yet (the form's question follows)
            say(dispatcher, texts.render(checked.reason, **dict(checked.values)))
        return {slot: None, "retry_counts": counts}

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        """The form's questions; not the phone once the resident has declined to give one."""
        if tracker.get_slot(PHONE_DECLINED) and not tracker.get_slot("phone"):
            return [slot for slot in domain_slots if slot != "phone"]
        return list(domain_slots)

    def validate_address(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        earlier, loop = before_this_message(tracker, "address")
        asked = tracker.get_slot("requested_slot") == "address"
        if loop == self.form_name():  # a place named while another question is asked
            kept = later_address(earlier, str(value or ""), asked)
            if kept == earlier and kept != value:
                return {"address": earlier}
        entity = latest_entity(tracker, "address")
        if not entity and str(value or "") == latest_text(tracker) and is_bare_answer(str(value)):
            return {"address": None}  # 「13800004444」「明天」: another question's answer (its slot takes it); the address is asked again
        checked = check_address(str(value or ""), entity, community_of(tracker.sender_id))
        if not checked.value and not entity and self._says_more(tracker):
            # 「已经好几次了 上去敲门也不开」 asked where: more about the case, not a failed address
            return {"address": None, **self._added(dispatcher, tracker)}
        settled = self._settle("address", checked, dispatcher, tracker)
        return self._noted("address", "validation.address_noted", earlier, loop, settled, dispatcher, tracker)

    def _noted(
        self, slot: str, key: str, earlier: Any, loop: str | None, settled: dict[str, Any], dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """A value the form takes while it asks another question is acknowledged (「就在我们6号楼旁边」,
        「明天下午」 to the phone question): the same question again alone read as not understood."""
        value = settled.get(slot)
        if loop == self.form_name() and tracker.get_slot("requested_slot") != slot and value and value != earlier:
            say(dispatcher, texts.render(key, **{slot: echo(str(value))}))
        return settled

    # While the phone is asked, a message with no number in it says more about the case (「东门保安骂人」):
    # it is added to this slot, never taken for a wrong number (nor kept as one after the retries).
    ADDS_TO: str | None = None
    # While the address is asked, only a message of the form's own case says more about it (an
    # ``inform`` there is an address the resident tried: 「就在我家那边」 is asked again and counted).
    CASE_INTENT: str | None = None

    def _says_more(self, tracker: Tracker) -> bool:
        """More about the case: a message of the form's own case, or what the resident asks for
        (「我希望赔一个」, which the classifier is unsure of: DOMAIN.md §3 records it)."""
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        text = latest_text(tracker).strip()
        if self.ADDS_TO is not None and asks_a_remedy(text):
            return True
        return self.CASE_INTENT is not None and intent == self.CASE_INTENT and self.tells_the_case(text)

    def tells_the_case(self, text: str) -> bool:
        """Does ``text`` say something of the case itself (not 「我要报修」 again)?"""
        return False

    def _added(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """The message added to what the resident said of the case, and told so; the question follows."""
        raw = latest_text(tracker).strip()
        say(dispatcher, texts.render("validation.added_to_case", added=echo(raw)))
        return {self.ADDS_TO: added_to(tracker, self.ADDS_TO, self.form_name(), raw)[:2000]} if self.ADDS_TO else {}

    def validate_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        # The candidate: this message's text or number, or, when the form starts, a phone given before.
        candidate, entity = str(value or ""), latest_entity(tracker, "phone")
        if not entity and candidate == latest_text(tracker) and is_bare_answer(candidate):
            return {"phone": None}  # 「5号楼1单元802」: another question's answer (its slot takes it); the phone is asked again
        if not entity and tries_a_phone(candidate) and answers_another_question(candidate):
            return {"phone": None}  # 「就是5号楼2单元的楼道」: its digits are the address's, not a short phone
        if entity or tries_a_phone(candidate) or not candidate.strip() or candidate.startswith("/"):
            return self._settle("phone", check_phone(candidate, entity), dispatcher, tracker)
        declined = phone_declined_text(tracker, self.form_name())
        if declined:  # 「不想留电话」「我没手机」 (read as unclear or as more detail, not as a no)
            say(dispatcher, declined)
            return {"phone": None, PHONE_DECLINED: True}
        raw = latest_text(tracker)
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        if self.ADDS_TO is None or (intent not in CASE_INTENTS and not asks_a_remedy(raw)) or len(raw.strip()) < 2:
            return {"phone": None}  # 「好的」「稍等」: the form asks again, with its example
        return {"phone": None, **self._added(dispatcher, tracker)}

    def _choose_repair(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """Which of the resident's repairs the answer names (a button's number or a typed one, 「对」 to
        the only one, else 都不是); a number that is not one of theirs is told so and asked again."""
        agreed = (tracker.latest_message or {}).get("intent", {}).get("name") == "affirm"
        chosen = chosen_ticket(str(value or ""), earlier_repairs(tracker.sender_id, tracker.get_slot("phone")), agreed)
        if chosen is None:
            say(dispatcher, texts.render("complaint.ticket_not_found"))
        return {slot: chosen}

    def form_name(self) -> str:
        return self.name().removeprefix("validate_")


class ValidateRepairForm(ContactValidation):
    ADDS_TO = "repair_problem"
    CASE_INTENT = "repair"

    def name(self) -> str:
        return "validate_repair_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        """A repair that did not hold (「修完还是漏」) asks which of the resident's repairs, when they
        have some; the chosen one's 返修 needs nothing more (its place and contact are the ticket's)."""
        asked = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        chosen = tracker.get_slot("repair_ticket")
        if chosen and chosen != NO_TICKET:
            return [slot for slot in asked if slot in ("repair_problem", "repair_ticket")]
        if chosen or (says_repair_failed(tracker.get_slot("repair_problem") or "") and earlier_repairs(tracker.sender_id, tracker.get_slot("phone"))):
            return asked
        return [slot for slot in asked if slot != "repair_ticket"]

    def validate_repair_ticket(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._choose_repair("repair_ticket", value, dispatcher, tracker)

    def tells_the_case(self, text: str) -> bool:
        return check_problem(text).value is not None

    def _says_more(self, tracker: Tracker) -> bool:
        """More of the repair: a ``repair`` message, or one read as an answer (``inform``) that names
        the same kind of fault as the problem (「就是洗菜池下面那个管子」 after 「厨房水管漏水」), not a place."""
        if super()._says_more(tracker):
            return True
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        problem, _ = before_this_message(tracker, "repair_problem")
        # 「别家有电」 after 「我家里的灯不亮了 是不是停电了」 (tried on scripts/run) is read with doubt: no
        # address, the same kind of fault — it was 「没能识别出地址」 and counted as a failed try.
        return intent in ("inform", DEFAULT_NLU_FALLBACK) and names_the_fault(latest_text(tracker).strip(), problem or tracker.get_slot("repair_problem"))

    def validate_address(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        """A repair inside the home needs the unit and room (bot.intake.validation.in_the_home): a
        building alone (「我是7栋的」) is asked once for them, and the answer (「2单元501」) is read
        with the building said before it (7-2-501). Asked again, a building alone is kept."""
        building = self._building_named_before(tracker)
        joined = with_building(building, latest_text(tracker)) if building else None
        if joined:
            return self._settle("address", check_address(joined, None, community_of(tracker.sender_id)), dispatcher, tracker)
        candidate = first_value(latest_entity(tracker, "address") or str(value or ""), "address")
        counts = dict(tracker.get_slot("retry_counts") or {})
        problem = tracker.get_slot("repair_problem") or latest_text(tracker)
        if bare_building(candidate) and in_the_home(problem) and not counts.get(ROOM_ASKED):
            say(dispatcher, texts.render("validation.address_room", building=candidate))
            return {"address": None, "retry_counts": {**counts, ROOM_ASKED: 1}}
        return super().validate_address(value, dispatcher, tracker, domain)

    @staticmethod
    def _building_named_before(tracker: Tracker) -> str | None:
        """The building alone that the resident's last address before this message named, if it was one."""
        for text in earlier_texts(tracker):
            address = first_value(text, "address")
            if address:
                return address if bare_building(address) else None
        return None

    def validate_repair_problem(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "")
        if text.startswith("/") or text == latest_text(tracker):
            text = resident_text(tracker)  # a button, or its choice typed: the case said before it
        # 「5号楼1单元802」 said before the 报修 button: another question's answer, not what is broken (asked
        # 「哪里或什么设施需要维修」, 「2号楼电梯」 is the answer)
        before = text != latest_text(tracker)
        room = self._room_named_before(tracker) if not before else None
        if room and not room_only(text):  # 「水龙头漏水」 after 「厨房」: 厨房水龙头漏水
            text = in_the_room(room, text)
        text = self._question_answered_beside(text, dispatcher, tracker)
        checked = Checked(None) if before and is_bare_answer(text) else check_problem(text)
        if checked.value:  # a later repair message adds to the problem, not replaces it
            return {"repair_problem": added_to(tracker, "repair_problem", self.form_name(), checked.value)[:2000]}
        earlier, loop = before_this_message(tracker, "repair_problem")
        if loop == self.form_name() and earlier:
            return {"repair_problem": earlier}  # 「我要报修」 mid-form says nothing new: the problem stays
        if is_repair_opener(text):  # 「我要报修」: the form's own question asks what is broken
            checked = Checked(None)
        return self._settle("repair_problem", checked, dispatcher, tracker)

    @staticmethod
    def _question_answered_beside(text: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> str:
        """「水龙头漏水了 对了小区能装太阳能板吗」, the repair that starts the form: the question said to
        be a second matter (还有, 对了, 请问 …; bot.intake.asides) is answered or handed over with its
        own ticket, and the problem is the fault alone. Only the message that starts the repair."""
        if text != latest_text(tracker) or before_this_message(tracker, "repair_problem")[0]:
            return text
        aside = fault_beside_question(text)
        if aside is None or not aside.announced:
            return text
        answer_beside_case(dispatcher, tracker, aside.question, REPAIR_CASE)
        return aside.matter

    @staticmethod
    def _room_named_before(tracker: Tracker) -> str | None:
        """The room the resident's last message named alone, asked what is broken (「厨房」)."""
        if tracker.get_slot("requested_slot") != "repair_problem":
            return None
        return room_only(next(earlier_texts(tracker), ""))

    def validate_visit_time(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        candidate, entity = str(value or ""), latest_entity(tracker, "visit_time")
        if not entity and candidate == latest_text(tracker) and is_bare_answer(candidate):
            return {"visit_time": None}  # 「7栋2单元501」: another question's answer (its slot takes it); the time is asked again
        earlier, loop = before_this_message(tracker, "visit_time")
        settled = self._settle("visit_time", check_visit_time(candidate, entity), dispatcher, tracker)
        return self._noted("visit_time", "validation.visit_time_noted", earlier, loop, settled, dispatcher, tracker)

    def validate_repair_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value is True or nothing_to_change(latest_text(tracker)):
            return {"repair_confirmed": True}
        say(dispatcher, texts.render("repair.change_which"))
        return {"repair_confirmed": None}


class ValidateComplaintForm(ContactValidation):
    """What happened, the subject, where, a phone; for a late repair which of the resident's repairs
    (``complaint_ticket``, asked only when they have some); then the summary to confirm."""

    ADDS_TO = "complaint_detail"
    CASE_INTENT = "complaint"

    def name(self) -> str:
        return "validate_complaint_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        asked = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        late = tracker.get_slot("complaint_subject") == LATE_REPAIR
        if late and (tracker.get_slot("complaint_ticket") or earlier_repairs(tracker.sender_id, tracker.get_slot("phone"))):
            return asked
        return [slot for slot in asked if slot != "complaint_ticket"]

    def tells_the_case(self, text: str) -> bool:
        return says_what_happened(text)

    def validate_complaint_ticket(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._choose_repair("complaint_ticket", value, dispatcher, tracker)

    def validate_complaint_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value is True or nothing_to_change(latest_text(tracker)):
            return {"complaint_confirmed": True}
        say(dispatcher, texts.render("complaint.change_which"))
        return {"complaint_confirmed": None}

    async def extract_complaint_subject(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot("complaint_subject"):
            return {}
        subject = subject_from_detail(complaint_without_question(tracker.get_slot("complaint_detail")))
        return {"complaint_subject": subject} if subject else {}

    def validate_complaint_detail(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "")
        if text.startswith("/") or text == latest_text(tracker):
            text = resident_text(tracker)  # a button, or its choice typed: the case said before it
        text = as_told(text)  # without the phone (its own slot) and the greeting
        if not before_this_message(tracker, "complaint_detail")[0]:
            text = complaint_without_question(text)  # 「…太吵了 另外物业费什么时候交」: answered after the apology
        if not says_what_happened(text):  # 「我要投诉」, the 投诉 button: nothing said yet
            earlier, loop = before_this_message(tracker, "complaint_detail")
            if loop == self.form_name() and earlier:
                return {"complaint_detail": earlier}  # said again mid-form: what was said stays
            # The opener alone: the form asks what happened; anything else too short is told why.
            reason = "" if is_bare_opener(text) else "complaint.detail_too_short"
            return self._settle("complaint_detail", Checked(None, reason), dispatcher, tracker)
        return {"complaint_detail": added_to(tracker, "complaint_detail", self.form_name(), text)[:2000]}

    def validate_complaint_subject(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "").strip()
        if not text or text.startswith("/"):
            say(dispatcher, texts.render("complaint.subject_missing"))
            return {"complaint_subject": None}
        return {"complaint_subject": text[:50]}


class ValidateInquiryContactForm(ContactValidation):
    def name(self) -> str:
        return "validate_inquiry_contact_form"


class ValidateTicketLookupForm(FormValidationAction):
    """A ticket number or phone to look up — asked only when the resident has no tickets of their
    own yet (this conversation's, their phone's): with some, ``action_ticket_status`` reports those."""

    def name(self) -> str:
        return "validate_ticket_lookup_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        named = tracker.get_slot("lookup_key") or latest_entity(tracker, "ticket_id") or latest_entity(tracker, "phone")
        if not named and own_tickets(tracker.sender_id, tracker.get_slot("phone")):
            return []
        return list(domain_slots)

    async def extract_lookup_key(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        key = latest_entity(tracker, "ticket_id") or latest_entity(tracker, "phone")
        return {"lookup_key": key} if key else {}

    def validate_lookup_key(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value:
            return {"lookup_key": str(value)}
        say(dispatcher, texts.render("status.lookup_key_missing"))
        return {"lookup_key": None}
