"""Custom actions: answers, tickets, emergencies and handoff. Logic lives in ``bot.intake``.

As in Rasa's financial-demo, an action calls the intake (which returns facts: ticket number,
priority, promise, deadline, what is missing) and chooses the wording: a catalogue text from
bot/texts/zh_CN.yml (``render`` / :func:`actions.common.addressed`), never prose built in Python.
What Rasa says by itself (form questions, rule responses) are ``utter_*`` responses in domain.yml;
see bot/texts/__init__.py for which text lives where.
"""

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

from actions.common import (
    addressed,
    before_this_message,
    last_bot_text,
    latest_entity,
    latest_text,
    parse_alone,
    parse_of,
    phone_declined_text,
    previous_action,
    resident_text,
    say,
    slots,
)
from actions.questions import CASE_OF_FORM, COMPLAINT_CASE, answer_beside_case, deadline_of, handover_lead, reply_beside_case
from bot import texts
from bot.clock import local_text
from bot.intake.asides import Aside, fault_beside_question, question_beside_complaint
from bot.intake.case_notes import HURRIED, NO_LONGER_NEEDED, note_on_case
from bot.intake.clarify import clarify_choices, is_follow_up_question
from bot.intake.complaint import (
    ComplaintRequest,
    add_to_open_case,
    create_complaint_ticket,
    says_what_happened,
)
from bot.intake.complaint import (
    summarise as summarise_complaint,
)
from bot.intake.continuity import COMPLAINT_SLOTS, HANDED_BACK, PHONE_DECLINED, REPAIR_SLOTS
from bot.intake.earlier import NO_TICKET, EarlierTicket, earlier_repairs, named_repair
from bot.intake.emergency import EmergencyOutcome, handle_emergency
from bot.intake.human import request_human
from bot.intake.inquiry import (
    ANSWER,
    PARTIAL,
    add_contact_phone,
    add_question,
    asks_something,
    carried_topic,
    create_inquiry_ticket,
    reply_for,
    topic_followed,
)
from bot.intake.rating import RATING_BUTTONS, record_rating, thanks_key
from bot.intake.repair import RepairRequest, create_repair_ticket, rework, summarise
from bot.intake.results import Reworked, TicketCreated
from bot.intake.status import TicketStatus, asks_when_done, find_tickets, own_tickets
from bot.intake.validation import asks_to_change
from bot.nlu.hurry import urges
from bot.nlu.languages import is_foreign_sentence
from bot.nlu.locked_out import is_locked_out
from bot.nlu.lost_things import is_lost_thing
from bot.nlu.openers import is_inquiry_opener
from bot.nlu.rework import says_repair_failed
from bot.nlu.withdrawals import is_withdrawal
from bot.politeness import apology, closing, echo, greeting
from bot.tickets.rules import about_a_neighbour, complaint_department, complaint_rule

LAST_TOPIC = "last_topic"  # the topic of the answer just given, for a follow-up without one (「多少钱」)
# The actions that may have just answered a question: the clarifying one answers a follow-up, and
# a part answered (「游泳池…9:00–21:00。关于温度…」) is followed by the form that asks for a phone.
# 「好的」 after an answer (action_answer_yes) keeps it the answer just given: 「可以送上门吗」 next asks on from it.
ANSWERING = ("action_answer_inquiry", "action_clarify_intent", "inquiry_contact_form", "action_answer_yes")


def _reset(*names: str) -> list[EventType]:
    return [SlotSet(name, None) for name in names] + [SlotSet("retry_counts", None), SlotSet("pending_text", None)]


def _case_over() -> list[EventType]:
    """Another case starts or one ends: what follows no longer continues an agent's (bot.intake.continuity)."""
    return [SlotSet(HANDED_BACK, None)]


def _stop_forms() -> list[EventType]:
    return [ActiveLoop(None), SlotSet("requested_slot", None)]


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        hello = greeting(tracker.get_slot("surname"), tracker.get_slot("title"))
        if is_foreign_sentence(latest_text(tracker)):  # 「Hello, my kitchen sink is leaking」: more than a greeting
            hello = texts.render("message.chinese_only")
        say(dispatcher, hello)
        return []


class ActionGoodbye(Action):
    def name(self) -> str:
        return "action_goodbye"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        _say_goodbye(dispatcher, tracker)
        return []


# The question most answers end with; a no to it means there is nothing else.
ANYTHING_ELSE = "还有什么可以帮您"
# Any "what can I do for you" (the greeting's 「请问有什么可以帮您？」 too): a yes to it asks nothing yet.
ASKED_WHAT_ELSE = "可以帮您"


def _say_goodbye(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The closing, with the satisfaction question (DOMAIN §8) — without asking again whether
    anything else is needed when the assistant has just asked it."""
    asked = ANYTHING_ELSE in last_bot_text(tracker)
    say(dispatcher, closing(tracker.get_slot("surname"), tracker.get_slot("title"), asked_already=asked), RATING_BUTTONS)


class ActionAnswerNo(Action):
    """A no outside any form (the forms' own: :class:`ActionDenyInForm`). 「修好了不用来了」「我不报修了」:
    the resident's words go on their open case's ticket for staff to confirm and close
    (bot.intake.case_notes); 「没有了」 to 「请问还有什么可以帮您？」: goodbye, with the satisfaction
    question; any other no: asked to say it another way (Rasa's ``utter_default``, as before)."""

    def name(self) -> str:
        return "action_answer_no"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = resident_text(tracker)
        if is_withdrawal(text):
            number = note_on_case(tracker.sender_id, NO_LONGER_NEEDED, text)
            say(dispatcher, addressed(tracker, "withdrawal.noted", number=number) if number else texts.render("withdrawal.nothing_open"))
            return []
        if ANYTHING_ELSE in last_bot_text(tracker):
            _say_goodbye(dispatcher, tracker)
            return []
        dispatcher.utter_message(response="utter_default")
        return []


class ActionAnswerYes(Action):
    """A yes outside any form. After an agent's hand-back: 「好的。请问还有什么可以帮您？」 (as before).
    A question the classifier read as a yes (「可以送上门吗」: 可以) is a question: the clarifying
    action answers it when it asks on from the answer just given, else asks what was meant.
    「好的」「嗯嗯」 to 「请问还有什么可以帮您？」 (after an answer, a ticket, a greeting) is acknowledged —
    it was 「我没能完全理解您的意思」; anything else: asked to say it another way, as before."""

    def name(self) -> str:
        return "action_answer_yes"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot(HANDED_BACK):
            dispatcher.utter_message(response="utter_anything_else")
            return []
        if asks_something(resident_text(tracker)):
            return ActionClarifyIntent().run(dispatcher, tracker, domain)
        # Only an answer stays the one just given (ANSWERING): after anything else 「多少钱」 is not about it.
        no_answer = [] if previous_action(tracker) in ANSWERING or not tracker.get_slot(LAST_TOPIC) else [SlotSet(LAST_TOPIC, None)]
        if ASKED_WHAT_ELSE in last_bot_text(tracker):
            say(dispatcher, texts.render("script.yes_noted"))
        else:
            dispatcher.utter_message(response="utter_default")
        return no_answer


class ActionRecordRating(Action):
    def name(self) -> str:
        return "action_record_rating"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        level = record_rating(tracker.sender_id, latest_entity(tracker, "rating") or "")
        if level is None:
            say(dispatcher, texts.render("rating.choose"), RATING_BUTTONS)
        else:
            say(dispatcher, texts.render(thanks_key(level)))
        return []


class ActionAnswerInquiry(Action):
    """The conversation's community's answer to the topic Rasa picked, read now (bot.communities);
    when it does not cover what was asked, the part that does and the honest hand-over (DOMAIN §4,
    bot.intake.coverage)."""

    def name(self) -> str:
        return "action_answer_inquiry"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return self.answer(dispatcher, tracker, _followed(tracker))

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, followed: str | None) -> list[EventType]:
        """``followed``: the answer just given's topic when the question is 「那X呢」 about a thing it names."""
        surname, title = tracker.get_slot("surname"), tracker.get_slot("title")
        question = resident_text(tracker)
        if not question.strip() or is_inquiry_opener(question):  # 「我想咨询一下」: the question comes next, nothing to register yet
            say(dispatcher, texts.render("inquiry.ask_what"))
            return []
        if previous_action(tracker) in REGISTERED and asks_when_done(question):
            found = own_tickets(tracker.sender_id, tracker.get_slot("phone"))[:1]  # 「多久能处理」 right after the ticket
            if found:
                say(dispatcher, status_text(found))
                return []
        change = CHANGE_WHICH.get(tracker.active_loop_name or "")
        if change and asks_to_change(question):  # 「可以改时间吗」 in a form: the form's 修改, not a topic's answer
            say(dispatcher, texts.render(change))
            return []
        after_an_answer = previous_action(tracker) in ANSWERING
        carried = carried_topic(question, tracker.get_slot(LAST_TOPIC), after_an_answer) or followed
        # 「楼道灯坏了 还有快递站在哪」: the question is answered on its own words, the fault registered
        # as a repair next (bot.intake.asides); not in a form, which holds a case already.
        aside = None if carried or tracker.active_loop_name else fault_beside_question(question)
        asked = aside.question if aside else question
        # the question read on its own words when a fault stands beside it (the repair's words blur
        # its topic); a button's: the question's own
        parsed = (parse_alone(asked) if aside else None) or parse_of(tracker, question)
        reply = reply_for(tracker.sender_id, asked, parsed, carried)
        topic = reply.topic if reply.verdict in (ANSWER, PARTIAL) else None
        answered = [SlotSet(LAST_TOPIC, topic)] if topic or tracker.get_slot(LAST_TOPIC) else []
        if reply.verdict == ANSWER and aside:
            say(dispatcher, addressed(tracker, "inquiry.answer_then_repair", answer=reply.text.rstrip(), fault=echo(aside.matter)))
            return [*answered, *_repair_next(aside)]
        # In a repair or a complaint form the form's question follows: the case goes on, and
        # 「请问还有什么可以帮您？」 right before 「请问具体地址是哪里？」 asked two things at once.
        case = CASE_OF_FORM.get(tracker.active_loop_name or "")
        if case:
            reply_beside_case(dispatcher, tracker, reply, asked, case, tracker.get_slot("phone") or "")
            return answered
        if reply.verdict == ANSWER:
            say(dispatcher, addressed(tracker, "inquiry.answer", answer=reply.text.rstrip()))
            return answered
        then_repair = texts.render("inquiry.then_repair", fault=echo(aside.matter)) if aside else ""
        other_form = tracker.active_loop_name not in (None, "inquiry_contact_form")
        if other_form or tracker.get_slot("phone"):
            # Do not break the form in progress: register the question with what we know.
            # The hand-over says why and who answers (DOMAIN §4), with a phone known as without one.
            created = create_inquiry_ticket(asked, tracker.get_slot("phone") or "", tracker.sender_id, surname, title)
            lead = handover_lead(tracker, reply)
            say(dispatcher, lead + inquiry_ticket_text(tracker, created, addressed_already=True) + then_repair)
            return [*answered, *_repair_next(aside)] if aside else answered
        # The hand-over: the question is registered now, to be answered here; a phone, asked next,
        # is optional (staff may call). A second question while the phone is asked joins the first.
        lead = handover_lead(tracker, reply)
        waiting = tracker.get_slot("inquiry_ticket") if tracker.active_loop_name == "inquiry_contact_form" else None
        if waiting and add_question(waiting, tracker.sender_id, question):
            say(dispatcher, lead + texts.render("inquiry.question_added", number=waiting))
            return [*answered, FollowupAction("inquiry_contact_form")]
        created = create_inquiry_ticket(asked, "", tracker.sender_id, surname, title)
        say(dispatcher, lead + texts.render("inquiry.registered", number=created.number, deadline=deadline_of(created.resolve_by)) + then_repair)
        if aside:  # the repair form asks the phone; the question is answered here
            return [*answered, SlotSet("inquiry_ticket", created.number), *_repair_next(aside)]
        return [*answered, SlotSet("inquiry_ticket", created.number), FollowupAction("inquiry_contact_form")]


def _repair_next(aside: Aside) -> list[EventType]:
    """The fault stated beside the question, registered through the repair form (which asks where
    and a phone): the form starts with what is broken already said."""
    return [SlotSet("repair_problem", aside.matter), FollowupAction("repair_form")]


# The actions that have just registered the resident's case: 「多久能处理」 next asks about it.
REGISTERED = ("action_create_repair_ticket", "action_create_complaint_ticket")
# What may be changed, said by the form that holds it (the summary's 修改 says the same: actions.forms).
CHANGE_WHICH = {"repair_form": "repair.change_which", "complaint_form": "complaint.change_which"}


def _followed(tracker: Tracker) -> str | None:
    """「那支付宝呢」 right after an answer that names 支付宝: that answer's topic (bot.intake.inquiry)."""
    if previous_action(tracker) not in ANSWERING:
        return None
    return topic_followed(tracker.sender_id, resident_text(tracker), tracker.get_slot(LAST_TOPIC))


class ActionCreateInquiryTicket(Action):
    """The inquiry contact form is done: the phone goes on the question the hand-over registered
    (a question that waited without a ticket gets one now)."""

    def name(self) -> str:
        return "action_create_inquiry_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = slots(tracker, "inquiry_ticket", "pending_text", "phone", "surname", "title")
        done = [SlotSet("inquiry_ticket", None), SlotSet("pending_text", None), SlotSet("retry_counts", None)]
        if s["inquiry_ticket"] and s["phone"] and add_contact_phone(s["inquiry_ticket"], tracker.sender_id, s["phone"]):
            say(dispatcher, addressed(tracker, "inquiry.phone_added", number=s["inquiry_ticket"]))
            return done
        created = create_inquiry_ticket(s["pending_text"] or "（问题见对话记录）", s["phone"] or "", tracker.sender_id, s["surname"], s["title"])
        say(dispatcher, inquiry_ticket_text(tracker, created))
        return done


class ActionSkipPhone(Action):
    """The resident goes on without leaving a phone after a hand-over (says no, starts a repair or
    a complaint, says goodbye): the question stays registered, to be answered here; the form ends."""

    def name(self) -> str:
        return "action_skip_phone"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if (tracker.latest_message or {}).get("intent", {}).get("name") == "deny":
            say(dispatcher, texts.render("inquiry.no_phone"))
        return _stop_forms() + [SlotSet("inquiry_ticket", None), SlotSet("pending_text", None), SlotSet("retry_counts", None)]


def inquiry_ticket_text(tracker: Tracker, created: TicketCreated, addressed_already: bool = False) -> str:
    if addressed_already:
        return texts.render("inquiry.ticket_created", number=created.number, deadline=deadline_of(created.resolve_by))
    return addressed(tracker, "inquiry.ticket_created", number=created.number, deadline=deadline_of(created.resolve_by))


class ActionHandleEmergency(Action):
    def name(self) -> str:
        return "action_handle_emergency"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = slots(tracker, "address", "phone", "surname", "title")
        address = latest_entity(tracker, "address") or s["address"]
        phone = latest_entity(tracker, "phone") or s["phone"]
        outcome = handle_emergency(tracker.sender_id, resident_text(tracker), address, phone, s["surname"], s["title"])
        say(dispatcher, emergency_text(tracker, outcome))
        # What the message named is what the bot collected: the console's 「已收集信息」 said 暂无 beside
        # a ticket with the address (tried on scripts/run with 「救命 3栋2单元102厨房着火了」).
        named = [SlotSet(slot, value) for slot, value in (("address", address), ("phone", phone)) if value and value != s[slot]]
        # The bot stops steering: an agent takes over from the queue (DOMAIN §5: 严禁推诿).
        return _stop_forms() + _reset(*REPAIR_SLOTS, *COMPLAINT_SLOTS) + _case_over() + named + [ConversationPaused()]


def emergency_text(tracker: Tracker, outcome: EmergencyOutcome) -> str:
    """Safety advice first, then the duty phone, the ticket, what we still need to know, and only
    what is true now: the agents are alerted, nobody has seen the case yet (DOMAIN §5, §7). The
    gateway keeps the resident company until an agent claims it (bot.gateway.aftercare)."""
    return addressed(tracker, "emergency.received", **outcome.text_values())


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        summary = tracker.get_slot("repair_problem") or tracker.get_slot("complaint_detail") or latest_text(tracker)
        request = request_human(tracker.sender_id, summary)
        # 「我被锁在门外了」「我家猫跑丢了」 asked for no one: the shape did (bot.nlu.locked_out,
        # bot.nlu.lost_things); 「好的，」 would answer nothing.
        text = latest_text(tracker)
        key = "human.locked_out" if is_locked_out(text) else "human.lost_thing" if is_lost_thing(text) else "human.handoff"
        say(dispatcher, texts.render(key, joining=request.joining_text()))
        return _stop_forms() + _case_over() + [ConversationPaused()]


class ActionAskRepairConfirmed(Action):
    def name(self) -> str:
        return "action_ask_repair_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        summary = summarise(_repair_request(tracker))
        text = texts.render(
            "repair.summary",
            problem=echo(summary.problem),
            address=echo(summary.address),
            phone=echo(summary.phone) or texts.render("form.no_phone"),
            visit_time=echo(summary.visit_time),
            priority=summary.priority,
        )
        say(dispatcher, text, [
            {"title": texts.render("repair.confirm_button"), "payload": "/affirm"},
            {"title": texts.render("repair.change_button"), "payload": "/deny"},
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
        original = tracker.get_slot("repair_ticket")
        if original and original != NO_TICKET:
            done = rework(_repair_request(tracker), original)
            key, values = _rework_text(done) if done is not None else ("repair.rework_not_found", {})
            say(dispatcher, addressed(tracker, key, **values))
            return _reset(*REPAIR_SLOTS) + _case_over()
        if tracker.get_slot("repair_confirmed") is not True:
            return _reset(*REPAIR_SLOTS)
        request = _repair_request(tracker)
        created = create_repair_ticket(request)
        say(dispatcher, addressed(
            tracker,
            "repair.ticket_created",
            number=created.number,
            priority=created.priority,
            promise=texts.render(created.promise),
            deadline=deadline_of(created.resolve_by),
            visit_time=echo(request.visit_time),
        ))
        return _reset(*REPAIR_SLOTS) + _case_over()


def _rework_text(done: Reworked) -> tuple[str, dict[str, Any]]:
    """The catalogue key and values telling the resident their 返修 (or the note on the open ticket)."""
    deadline = deadline_of(done.resolve_by)
    if done.new:
        values = {"number": done.number, "related": done.original, "priority": done.priority, "promise": texts.render(done.promise), "deadline": deadline, "department": done.department}
        return "repair.rework_created", values
    by = texts.render("repair.rework_noted_deadline", deadline=deadline) if deadline else ""
    return "repair.rework_noted", {"number": done.number, "department": done.department, "deadline": by}


def ask_which_repair(dispatcher: CollectingDispatcher, tracker: Tracker, question: str) -> list[EventType]:
    """The resident's own repairs as buttons (:func:`ticket_buttons`), under the form's ``question``."""
    say(dispatcher, texts.render(question), ticket_buttons(earlier_repairs(tracker.sender_id, tracker.get_slot("phone"))))
    return []


class ActionAskRepairTicket(Action):
    """Which of the resident's repairs did not hold (「修完还是漏」); the chosen one gets its 返修."""

    def name(self) -> str:
        return "action_ask_repair_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return ask_which_repair(dispatcher, tracker, "repair.ask_ticket")


def ask_phone(dispatcher: CollectingDispatcher, tracker: Tracker, response: str) -> list[EventType]:
    """The form's phone question (``response``); to a yes to it (「好的」「嗯」: the resident is about to
    give one) the short prompt alone — the whole question again read as if they had not been heard."""
    asked, _ = before_this_message(tracker, "requested_slot")
    if asked == "phone" and (tracker.latest_message or {}).get("intent", {}).get("name") == "affirm":
        say(dispatcher, texts.render("validation.phone_go_ahead"))
    else:
        dispatcher.utter_message(response=response)
    return []


class ActionAskPhone(Action):
    """The repair and complaint forms' phone question (``utter_ask_phone``)."""

    def name(self) -> str:
        return "action_ask_phone"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return ask_phone(dispatcher, tracker, "utter_ask_phone")


class ActionAskInquiryContactFormPhone(Action):
    """The optional phone after a hand-over (``utter_ask_inquiry_contact_form_phone``)."""

    def name(self) -> str:
        return "action_ask_inquiry_contact_form_phone"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return ask_phone(dispatcher, tracker, "utter_ask_inquiry_contact_form_phone")


class ActionApologise(Action):
    """The complaint's first answer (DOMAIN §3): an apology on behalf of the department complained
    about — or, for a neighbour's conduct, sympathy (no department did wrong) — and, when a community
    rule answers the resident's question (「你们管不管」), what the rule is and who enforces it."""

    def name(self) -> str:
        return "action_apologise"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        detail = tracker.get_slot("complaint_detail") or resident_text(tracker)
        # 「楼上装修太吵了 另外物业费什么时候交」: the apology is for the grievance, the question answered
        # after it (bot.intake.asides; the form keeps the grievance alone as the detail)
        aside = question_beside_complaint(detail)
        detail = aside.matter if aside else detail
        department = complaint_department(detail)
        text = texts.render("complaint.sorry_neighbour") if about_a_neighbour(detail) else apology(department=department)
        rule = complaint_rule(detail)
        if rule:
            text += texts.render(rule, department=department)
        say(dispatcher, text)
        if aside:
            answer_beside_case(dispatcher, tracker, aside.question, COMPLAINT_CASE)
        return []


def _complaint_request(tracker: Tracker) -> ComplaintRequest:
    s = slots(tracker, "complaint_detail", "complaint_subject", "address", "phone", "surname", "title", "complaint_ticket")
    return ComplaintRequest(
        detail=s["complaint_detail"] or "",
        subject=s["complaint_subject"] or "其他",
        address=s["address"] or "",
        phone=s["phone"] or "",
        conversation_id=tracker.sender_id,
        surname=s["surname"],
        title=s["title"],
        related_ticket=s["complaint_ticket"],
    )


def ticket_buttons(candidates: list[EarlierTicket]) -> list[dict[str, str]]:
    """One button per earlier repair (its number and what it was) and "none of these"; the payload
    carries the number as the form's entity, whatever the classifier makes of it."""
    buttons = [
        {"title": texts.render("complaint.ticket_button", number=t.number, what=echo(t.what), status=t.status), "payload": f'/inform{{"ticket_id":"{t.number}"}}'}
        for t in candidates
    ]
    return buttons + [{"title": texts.render("complaint.no_ticket_button"), "payload": f'/inform{{"ticket_id":"{NO_TICKET}"}}'}]


class ActionAskComplaintTicket(Action):
    """Which repair is late (DOMAIN §3 records what the complaint is about; the complaint is then
    linked to that ticket)."""

    def name(self) -> str:
        return "action_ask_complaint_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return ask_which_repair(dispatcher, tracker, "complaint.ask_ticket")


class ActionAskComplaintConfirmed(Action):
    """The summary to confirm before the complaint is registered: known details (an address and
    phone from an earlier repair) are shown, never reused silently."""

    def name(self) -> str:
        return "action_ask_complaint_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        request = _complaint_request(tracker)
        summary = summarise_complaint(request)
        if summary.ticket is not None:
            ticket = texts.render("complaint.summary_ticket", number=summary.ticket.number, what=echo(summary.ticket.what), status=summary.ticket.status)
        else:
            ticket = texts.render("complaint.summary_no_ticket") if request.related_ticket else ""
        text = texts.render(
            "complaint.summary",
            detail=echo(summary.detail),
            subject=summary.subject,
            address=echo(summary.address),
            phone=echo(summary.phone) or texts.render("form.no_phone"),
            ticket=ticket,
        )
        say(dispatcher, text, [
            {"title": texts.render("complaint.confirm_button"), "payload": "/affirm"},
            {"title": texts.render("complaint.change_button"), "payload": "/deny"},
        ])
        return []


class ActionCreateComplaintTicket(Action):
    def name(self) -> str:
        return "action_create_complaint_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not tracker.get_slot("complaint_detail") or tracker.get_slot("complaint_confirmed") is not True:
            return _reset(*COMPLAINT_SLOTS)
        _register_complaint(dispatcher, tracker, "complaint.ticket_created")
        return _reset(*COMPLAINT_SLOTS) + _case_over()


class ActionRegisterComplaintOnGoodbye(Action):
    """Goodbye in the middle of the complaint form. DOMAIN §3: every complaint is registered — what
    the resident told us is, as it stands (subject 其他 unless known; without an address or a phone
    the answer comes here, in the conversation), instead of 「已填写的内容不会提交」. A bare opener
    (「我要投诉」) with nothing said yet registers nothing. ``action_goodbye`` follows (rules.yml)."""

    def name(self) -> str:
        return "action_register_complaint_on_goodbye"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if says_what_happened(tracker.get_slot("complaint_detail")):
            _register_complaint(dispatcher, tracker, "complaint.registered_on_leaving")
        return _stop_forms() + _reset(*COMPLAINT_SLOTS) + _case_over()


def _register_complaint(dispatcher: CollectingDispatcher, tracker: Tracker, key: str) -> None:
    """The complaint of the tracker's slots registered, and the resident told its number and promise;
    a complaint that the chosen repair did not hold (「修好没两天又坏了」) also gets that repair's
    返修 (bot.intake.repair.rework), told with the link."""
    request = _complaint_request(tracker)
    created = create_complaint_ticket(request)
    linked = texts.render("complaint.linked", related=created.related) if created.related else ""
    if created.related and says_repair_failed(request.detail):
        redo = rework(RepairRequest(request.detail, request.address, request.phone, "", tracker.sender_id), created.related)
        if redo is not None and redo.new:
            linked += texts.render("complaint.rework", number=redo.number)
    say(dispatcher, addressed(
        tracker,
        key,
        number=created.number,
        level=created.priority,
        linked=linked,
        department=created.department,
        promise=texts.render(created.promise),
        deadline=deadline_of(created.resolve_by),
    ))


class ActionContinueCase(Action):
    """A complaint right after an agent handed the conversation back (rules.yml, ``handed_back``):
    it continues the case the agent handled — added to its open ticket, with the agent's name when
    the agent's last answer is in the tracker — instead of a second apology and a new form. When
    that case has no open ticket, the complaint is registered through the form without starting
    over (the known name, address and phone are kept and confirmed in the summary)."""

    def name(self) -> str:
        return "action_continue_case"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        number = add_to_open_case(tracker.sender_id, resident_text(tracker))
        if number is None:
            say(dispatcher, texts.render("complaint.continue_registration"))
            return [FollowupAction("complaint_form")]
        agent = last_agent(tracker)
        if agent:
            say(dispatcher, addressed(tracker, "complaint.added_to_case_after_agent", number=number, agent=agent))
        else:
            say(dispatcher, addressed(tracker, "complaint.added_to_case", number=number))
        return _reset(*COMPLAINT_SLOTS)


def last_agent(tracker: Tracker) -> str | None:
    """The agent (as residents know them) whose reply is the tracker's latest agent utterance."""
    for event in reversed(tracker.events):
        metadata = event.get("metadata") or {}
        if event.get("event") == "bot" and metadata.get("agent"):
            return str(metadata["agent"])
    return None


class ActionStatusInForm(Action):
    """A status question or a hurry while a form is asking (「能快点吗 我等着用」 at the address
    question): the hurry is acknowledged — the case it hurries is the one being registered — and
    the form goes on; a question about another case is told the form comes first, as before."""

    def name(self) -> str:
        return "action_status_in_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        # 「WY202612080005」 typed while a complaint is registered (「我上周报的修到现在没人来」): the repair
        # it is about, linked as the form's own question would (it asks only residents with repairs
        # of their own); tried on scripts/run, it was 「我们继续刚才的登记」 and the number was lost.
        named = named_repair(text, tracker.sender_id, tracker.get_slot("phone")) if tracker.active_loop_name == "complaint_form" else None
        if named and named.own:
            say(dispatcher, texts.render("complaint.repair_linked", number=named.number))
            return [SlotSet("complaint_ticket", named.number)]
        if named:  # not theirs as far as we know (another phone): on the complaint, for staff to check
            say(dispatcher, texts.render("complaint.repair_noted", number=named.number))
            detail = tracker.get_slot("complaint_detail") or ""
            return [SlotSet("complaint_detail", f"{detail}；居民提到报修工单 {named.number}".lstrip("；")[:2000])]
        if urges(text):
            say(dispatcher, texts.render("validation.hurried_in_form"))
        else:
            dispatcher.utter_message(response="utter_please_continue")
        return []


class ActionTicketStatus(Action):
    def name(self) -> str:
        return "action_ticket_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        hurried = note_on_case(tracker.sender_id, HURRIED, text) if urges(text) else None
        if hurried:  # 「能快点吗 我等着用」: noted on the open case's ticket for its handlers
            say(dispatcher, addressed(tracker, "status.hurried", number=hurried))
        key = tracker.get_slot("lookup_key")
        looked_up = find_tickets(key, tracker.sender_id) if key else []
        # A number or phone named now: those tickets. One found earlier in the conversation is kept
        # (「师傅什么时候来」 after 「查一下工单WY…」 asked for the number again, tried on scripts/run),
        # with the resident's own tickets beside it; with none named, their own.
        if key and (not looked_up or latest_entity(tracker, "ticket_id") or latest_entity(tracker, "phone")):
            found = looked_up
        else:
            shown = {t.number for t in looked_up}
            found = looked_up + [t for t in own_tickets(tracker.sender_id, tracker.get_slot("phone")) if t.number not in shown]
        if key or found:
            say(dispatcher, status_text(found))
        return [SlotSet("lookup_key", key if looked_up else None), SlotSet("retry_counts", None)]


def status_text(found: list[TicketStatus]) -> str:
    if not found:
        return texts.render("status.not_found")
    lines = [
        texts.render(
            "status.line",
            number=t.number,
            category=t.category,
            priority=t.priority,
            status=t.status,
            department=t.department,
            visit=texts.render("status.line_visit", visit_time=echo(t.visit_time)) if t.visit_time else "",
            deadline=texts.render("status.line_deadline", deadline=local_text(t.resolve_by)) if t.resolve_by else "",
            overdue=texts.render("status.line_overdue") if t.overdue else "",
        )
        for t in found
    ]
    return texts.render("status.found", lines="\n".join(lines))


class ActionClarifyIntent(Action):
    def name(self) -> str:
        return "action_clarify_intent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        after_an_answer = previous_action(tracker) in ANSWERING
        followed = _followed(tracker)
        if followed or is_follow_up_question(latest_text(tracker), tracker.latest_message or {}, after_an_answer, tracker.get_slot(LAST_TOPIC)):
            return ActionAnswerInquiry().answer(dispatcher, tracker, followed)  # 「那停车费呢」 after an answer
        ranking: list[dict[str, Any]] = (tracker.latest_message or {}).get("intent_ranking") or []
        entities = (tracker.latest_message or {}).get("entities") or []
        buttons = [{"title": texts.render(f"clarify.choice.{name}"), "payload": f"/{name}"} for name in clarify_choices(ranking, entities=entities)]
        say(dispatcher, texts.render("clarify.question"), buttons)
        no_answer = [SlotSet(LAST_TOPIC, None)] if tracker.get_slot(LAST_TOPIC) else []  # nothing answered now
        return [SlotSet("pending_text", latest_text(tracker)), *no_answer]


class ActionCancelForm(Action):
    def name(self) -> str:
        return "action_cancel_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return _cancel_form(dispatcher)


class ActionDenyInForm(Action):
    """A no while the repair or complaint form asks. A no to the phone question (「没有」「没有了」
    「不方便留」) is not a no to the case: it goes on without a phone (the form asks its next question);
    any other no (「取消」「算了」) cancels the form, as before."""

    def name(self) -> str:
        return "action_deny_in_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        form = (tracker.active_loop or {}).get("name")
        declined = phone_declined_text(tracker, form)
        if not declined:
            return _cancel_form(dispatcher)
        say(dispatcher, declined)
        return [SlotSet(PHONE_DECLINED, True), FollowupAction(form)]


def _cancel_form(dispatcher: CollectingDispatcher) -> list[EventType]:
    say(dispatcher, texts.render("form.cancelled"))
    return _stop_forms() + _reset(*REPAIR_SLOTS, *COMPLAINT_SLOTS, "lookup_key") + _case_over()
