"""Whole conversations with the bot: Rasa's REST channel against the real model, the action server
and the database (not bot/conversations, the agents' lifecycle: tests/test_conversation_lifecycle.py)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from bot import texts as catalogue
from bot.communities import FIRST_COMMUNITY_FILE, read_community_file
from bot.politeness import is_polite
from bot.processes import Stack
from bot.storage import session_scope
from bot.storage.models import Conversation, HandoffRequest, Ticket
from tests.rasa_support import Resident, post

pytestmark = pytest.mark.rasa


def resident(stack: Stack) -> Resident:
    return Resident(stack, f"resident-{uuid.uuid4().hex[:10]}")


def texts(replies: list[dict]) -> list[str]:
    return [r.get("text") or "" for r in replies]


def assert_polite(replies: list[dict]) -> None:
    assert replies, "the bot did not answer"
    for text in texts(replies):
        assert is_polite(text), text


def tickets_of(url: str, sender: str) -> list[Ticket]:
    with session_scope(url) as session:
        return list(session.execute(sa.select(Ticket).where(Ticket.conversation_id == sender)).scalars())


def test_emergency_gets_instructions_ticket_and_queue(rasa_stack: Stack, stack_database: str) -> None:
    r = resident(rasa_stack)
    replies = r.say("救命 3栋2单元102厨房着火了 烟很大")
    assert_polite(replies)
    assert "119" in texts(replies)[0]
    [ticket] = tickets_of(stack_database, r.sender)
    assert (ticket.category, ticket.subcategory, ticket.priority) == ("emergency", "fire", "紧急")
    assert ticket.address == "3-2-102"
    with session_scope(stack_database) as session:
        conversation = session.get(Conversation, r.sender)
        assert conversation.status == "pending" and conversation.priority == 0
        assert session.execute(sa.select(HandoffRequest).where(HandoffRequest.conversation_id == r.sender)).scalar_one().reason == "emergency"
    # The bot stops steering: later messages are recorded, not answered.
    assert r.say("我现在在楼下了") == []
    assert any(e.get("text") == "我现在在楼下了" for e in r.tracker()["events"] if e["event"] == "user")


def test_repair_form_creates_ticket_with_priority_and_deadline(rasa_stack: Stack, stack_database: str) -> None:
    r = resident(rasa_stack)
    assert_polite(r.say("我家卫生间马桶堵了"))
    assert_polite(r.say("5号楼1单元802"))
    assert_polite(r.say("13912345678"))
    summary = r.say("明天下午三点以后")
    assert_polite(summary)
    assert "5-1-802" in texts(summary)[-1]
    created = r.say("确认")
    assert_polite(created)
    [ticket] = tickets_of(stack_database, r.sender)
    assert ticket.number in texts(created)[-1]
    assert ticket.category == "repair" and ticket.priority in ("急修", "一般")
    assert ticket.contact_phone == "13912345678" and ticket.address == "5-1-802"
    assert ticket.resolve_by is not None
    # Asked right after, the resident is not asked for the number just given: their ticket's status.
    status = r.say("我的报修什么时候来")
    assert_polite(status)
    assert ticket.number in bot_says(status) and "已受理" in bot_says(status), bot_says(status)


def test_a_home_repair_naming_only_the_building_is_asked_once_for_the_unit_and_room(rasa_stack: Stack, stack_database: str) -> None:
    """「我是3栋的老王 我家卫生间漏水了」 (tried on scripts/run): the unit-and-room question, then at once
    the whole address question asking for the building again. One question; the answer is read with it."""
    r = resident(rasa_stack)
    asked = r.say("我是3栋的老王 我家卫生间漏水了")
    assert_polite(asked)
    assert texts(asked) == [catalogue.render("validation.address_room", building="3号楼")], texts(asked)
    assert_polite(r.say("1单元301"))
    assert r.tracker()["slots"]["address"] == "3-1-301"


def test_a_correction_mid_form_is_taken_not_read_as_cancelling(rasa_stack: Stack, stack_database: str) -> None:
    """「不是601 是602」 to the phone question (tried on scripts/run) cancelled the registration."""
    r = resident(rasa_stack)
    assert_polite(r.say("厨房灯不亮了"))
    assert_polite(r.say("8栋1单元601"))
    corrected = r.say("不是601 是602")
    assert_polite(corrected)
    assert texts(corrected)[0] == "好的，地址已为您改为 8-1-602。", texts(corrected)
    assert len(corrected) == 2 and texts(corrected)[1].startswith("请留下您的联系电话"), texts(corrected)  # the question it was at
    assert r.tracker()["active_loop"].get("name") == "repair_form"
    assert r.tracker()["slots"]["address"] == "8-1-602"
    assert_polite(r.say("13912345678"))
    assert_polite(r.say("明天上午"))
    summary = r.say("不对 是1602")
    assert any("8-1-1602" in text for text in texts(summary)), texts(summary)  # at the summary too: shown again
    created = r.say("确认")
    [ticket] = tickets_of(stack_database, r.sender)
    assert ticket.address == "8-1-1602" and ticket.number in texts(created)[-1]


@pytest.mark.parametrize("first", ["楼道灯坏了 还有快递站在哪", "厨房水龙头漏水了 对了小区能装太阳能板吗"])
def test_a_fault_and_a_question_in_one_message_are_both_taken_up(rasa_stack: Stack, stack_database: str, first: str) -> None:
    """Read as a question (the parcel station's) or as a repair, a message holding both gets the
    question answered or registered for staff and the fault registered as a repair
    (bot/intake/asides.py): before, one of the two was dropped."""
    r = resident(rasa_stack)
    opened = r.say(first)
    assert_polite(opened)
    assert "资料里没有写明" not in bot_says(opened) and "快递驿站" in bot_says(opened) if "快递" in first else "工单号" in bot_says(opened)
    r.say("3栋2单元301")
    r.say("13912345678")
    summary = r.say("明天上午")
    assert_polite(summary)
    fault = first.split(" ")[0]
    assert fault in texts(summary)[-1] and "快递" not in texts(summary)[-1] and "太阳能" not in texts(summary)[-1]
    r.say("确认")
    repairs = [t for t in tickets_of(stack_database, r.sender) if t.category == "repair"]
    assert [t.description for t in repairs] == [fault]
    questions = [t.description for t in tickets_of(stack_database, r.sender) if t.category == "inquiry"]
    assert questions == ([] if "快递" in first else ["小区能装太阳能板吗"])


def test_a_question_beside_a_fault_is_read_on_its_own_words(rasa_stack: Stack, stack_database: str) -> None:
    """「我家厨房水管漏水了 另外物业费什么时候交」: the whole message's topic was blurred by the repair's
    words (an honest hand-over for a question the community's record answers); the action server
    now asks Rasa to read the question alone (actions.common.parse_alone)."""
    r = resident(rasa_stack)
    opened = r.say("我家厨房水管漏水了 另外物业费什么时候交")
    assert_polite(opened)
    fee = read_community_file(FIRST_COMMUNITY_FILE).answers["fee_payment"].split("。")[0]
    assert fee in bot_says(opened) and "核实" not in bot_says(opened), bot_says(opened)
    assert [t.category for t in tickets_of(stack_database, r.sender)] == []  # no hand-over ticket
    assert r.tracker()["active_loop"].get("name") == "repair_form"


def test_a_complaint_with_a_question_said_beside_it_gets_both(rasa_stack: Stack, stack_database: str) -> None:
    """「楼上装修太吵了 另外小区能装太阳能板吗」: sympathy for the noise, the question registered for
    staff, and the complaint's detail and subject the grievance's alone (bot/intake/asides.py)."""
    r = resident(rasa_stack)
    opened = r.say("楼上装修太吵了 另外小区能装太阳能板吗")
    assert_polite(opened)
    assert texts(opened)[0] == catalogue.render("complaint.sorry_neighbour") and "您反映的问题，我们接着为您登记。" in bot_says(opened)
    r.say("5栋2单元601")
    summary = r.say("13912345678")
    assert "楼上装修太吵了" in texts(summary)[-1] and "太阳能" not in texts(summary)[-1] and "邻里噪音或占道" in texts(summary)[-1]
    r.say("确认")
    by_category = {t.category: t.description for t in tickets_of(stack_database, r.sender)}
    assert by_category == {"inquiry": "小区能装太阳能板吗", "complaint": "【邻里噪音或占道】楼上装修太吵了"}


def test_a_resident_who_asks_to_wait_for_their_phone_is_not_handed_to_an_agent(rasa_stack: Stack, stack_database: str) -> None:
    """「等一下我找找号码」 when the phone is asked was ``request_human`` and paged the agents; it is
    answered 「不着急」, the form waits for the number, and the repair goes on."""
    r = resident(rasa_stack)
    r.say("我家卫生间马桶堵了")
    r.say("5号楼1单元802")
    assert r.tracker()["slots"]["requested_slot"] == "phone"
    replies = r.say("等一下我找找号码")
    assert_polite(replies)
    assert "不着急" in texts(replies)[0]
    tracker = r.tracker()
    assert tracker["latest_message"]["intent"]["name"] == "wait"
    assert tracker["active_loop"]["name"] == "repair_form" and tracker["slots"]["requested_slot"] == "phone"
    with session_scope(stack_database) as session:
        assert session.execute(sa.select(HandoffRequest).where(HandoffRequest.conversation_id == r.sender)).first() is None
    r.say("13912345678")
    assert r.tracker()["slots"]["phone"] == "13912345678"


def test_a_resident_without_a_phone_still_has_the_repair_registered(rasa_stack: Stack, stack_database: str) -> None:
    """「没有了」 to the phone question (``deny``) cancelled the repair; the repair goes on without a
    phone, and 「取消」 there still cancels."""
    r = resident(rasa_stack)
    r.say("楼道灯不亮了")
    r.say("3栋2单元")
    assert r.tracker()["slots"]["requested_slot"] == "phone"
    declined = r.say("没有了")
    assert_polite(declined)
    assert "不留电话也可以登记" in bot_says(declined) and "不会提交" not in bot_says(declined)
    assert r.tracker()["slots"]["requested_slot"] == "visit_time"
    summary = r.say("明天上午")
    assert_polite(summary)
    assert "联系电话：未留" in bot_says(summary)
    created = r.say("确认")
    assert_polite(created)
    [ticket] = tickets_of(stack_database, r.sender)
    assert ticket.number in bot_says(created) and ticket.contact_phone == "" and "楼道灯" in ticket.description

    other = resident(rasa_stack)
    other.say("我家卫生间马桶堵了")
    other.say("5号楼1单元802")
    cancelled = other.say("取消")
    assert "已为您取消本次登记" in bot_says(cancelled)
    assert not (other.tracker().get("active_loop") or {}).get("name") and tickets_of(stack_database, other.sender) == []

    complaint = resident(rasa_stack)
    complaint.say("我要投诉 东门保安昨天晚上态度很差")
    assert complaint.tracker()["slots"]["requested_slot"] == "phone"
    summary = complaint.say("没有")
    assert_polite(summary)
    assert "不留电话也可以登记" in bot_says(summary) and "联系电话：未留" in bot_says(summary)
    complaint.say("确认")
    [registered] = tickets_of(stack_database, complaint.sender)
    assert registered.category == "complaint" and registered.contact_phone == ""


def test_an_opener_starts_the_case_it_announces(rasa_stack: Stack, stack_database: str) -> None:
    """「我要报修」 was the fallback's clarifying question; 「我想咨询一下」 a hand-over with a ticket
    that said only that (bot/nlu/openers.py)."""
    r = resident(rasa_stack)
    opened = r.say("你好，我要报修")
    assert_polite(opened)
    assert r.tracker()["active_loop"]["name"] == "repair_form" and r.tracker()["slots"]["requested_slot"] == "repair_problem"
    r.say("厨房水龙头一直滴水")
    assert r.tracker()["slots"]["requested_slot"] == "address"
    for kind, slot in (("repair", "repair_problem"), ("complaint", "complaint_detail")):  # the widget's starter buttons
        starter = resident(rasa_stack)
        starter.say(catalogue.render(f"widget.starter.{kind}.message"))
        assert starter.tracker()["slots"]["requested_slot"] == slot, kind

    complaining = resident(rasa_stack)
    opened = complaining.say("我要投诉")
    assert_polite(opened)
    assert complaining.tracker()["slots"]["requested_slot"] == "complaint_detail"
    complaining.say("物业保安态度太差了 昨天在东门骂人")
    slots = complaining.tracker()["slots"]
    assert (slots["complaint_detail"], slots["complaint_subject"]) == ("物业保安态度太差了 昨天在东门骂人", "工作人员服务")

    asking = resident(rasa_stack)
    asked = asking.say("我想咨询一下")
    assert_polite(asked)
    assert "请问您想咨询什么" in bot_says(asked)
    answered = asking.say("物业费多少钱")
    assert "物业费" in bot_says(answered) and "工单号" not in bot_says(answered)
    assert tickets_of(stack_database, asking.sender) == []


def test_a_complaint_is_registered_when_the_resident_leaves_before_the_form_is_done(rasa_stack: Stack, stack_database: str) -> None:
    """DOMAIN §3: every complaint is registered; 「谢谢 再见」 mid-form was 「已填写的内容不会提交」."""
    r = resident(rasa_stack)
    r.say("我要投诉 快递柜老是坏")
    replies = r.say("谢谢 再见")
    assert_polite(replies)
    [ticket] = tickets_of(stack_database, r.sender)
    assert ticket.category == "complaint" and "快递柜老是坏" in ticket.description
    assert ticket.number in texts(replies)[0] and "不会提交" not in " ".join(texts(replies))
    assert not (r.tracker().get("active_loop") or {}).get("name")  # the form is over


def test_a_sentence_in_english_is_told_the_assistant_reads_chinese_and_pinyin_is_read(rasa_stack: Stack, stack_database: str) -> None:
    r = resident(rasa_stack)
    replies = r.say("Hello, my kitchen sink is leaking")
    assert_polite(replies)
    assert "只能识别中文" in bot_says(replies) and "转人工" in bot_says(replies)
    assert "119" in bot_says(resident(rasa_stack).say("zhao huo le kuai lai ren"))  # pinyin: 着火了, an emergency


def test_emergency_in_the_middle_of_a_form_wins(rasa_stack: Stack, stack_database: str) -> None:
    r = resident(rasa_stack)
    r.say("阳台窗户关不上了")
    replies = r.say("不好了 楼道里一股很重的煤气味")
    assert_polite(replies)
    assert any("燃气" in t or "通风" in t for t in texts(replies))
    categories = [t.category for t in tickets_of(stack_database, r.sender)]
    assert categories == ["emergency"]


@pytest.mark.parametrize(
    ("answers", "emergency", "found"),
    [
        (("楼道灯不亮了", "3栋2单元", "没有", "明天上午"), "电梯困人了 5号楼1单元", ("5号楼1单元", "")),  # at the summary
        (("阳台窗户关不上了", "3栋2单元101"), "煤气泄漏了 我电话13800001111", ("3-2-101", "13800001111")),  # at the phone
    ],
    ids=["address-at-summary", "phone-at-phone"],
)
def test_an_emergency_naming_a_place_or_phone_mid_form_wins(
    rasa_stack: Stack, stack_database: str, answers: tuple[str, ...], emergency: str, found: tuple[str, str]
) -> None:
    """Tried in Chromium: 「电梯困人了 5号楼1单元」 typed at the repair summary filled the address, which
    kept the form going — the resident got the summary again, with no safety advice (the gateway's
    early alert had reached the agents). The message's place or phone no longer fills a form slot."""
    r = resident(rasa_stack)
    for answer in answers:
        r.say(answer)
    replies = r.say(emergency)
    assert_polite(replies)
    assert "请您确认报修信息" not in bot_says(replies)
    [ticket] = [t for t in tickets_of(stack_database, r.sender) if t.category == "emergency"]
    assert ticket.number in bot_says(replies)
    assert found[0] in ticket.address and ticket.contact_phone == found[1]


@pytest.mark.parametrize(
    "message",
    [
        "😀😀😀🙏",
        "<script>alert('x')</script><b>hi</b>",
        "What time is it in London please",
        "物业" * 2600,
        "asdfghjkl",
    ],
    ids=["emoji", "html", "english", "huge", "mash"],
)
def test_bad_input_gets_a_polite_answer_and_no_ticket(rasa_stack: Stack, stack_database: str, message: str) -> None:
    r = resident(rasa_stack)
    replies = r.say(message)
    assert_polite(replies)
    assert tickets_of(stack_database, r.sender) == []
    events = [e for e in r.tracker()["events"] if e["event"] == "user"]
    assert events[-1]["text"] == message  # nothing the resident sent is lost


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"message": "hi"}', b'{"sender": "x", "message": 5}', b""],
    ids=["broken", "array", "no-sender", "number", "empty-body"],
)
def test_malformed_requests_get_polite_400(rasa_stack: Stack, body: bytes) -> None:
    status, reply = post(rasa_stack.rasa_port, "/webhooks/rest/webhook", body)
    assert status == 400
    assert is_polite(reply[0]["text"])


def test_empty_message_gets_a_prompt(rasa_stack: Stack, stack_database: str) -> None:
    r = resident(rasa_stack)
    replies = r.say("   ")
    assert_polite(replies)
    assert tickets_of(stack_database, r.sender) == []


def test_parse_shows_the_emergency_guard(rasa_stack: Stack) -> None:
    status, parsed = post(rasa_stack.rasa_port, "/model/parse", {"text": "电梯卡在5楼了 我被关在里面出不来"})
    assert status == 200
    assert parsed["intent"]["name"] == "emergency"
    assert parsed["emergency_guard"]["types"] == ["lift"] or "lift" in parsed["emergency_guard"]["types"]


@pytest.mark.parametrize("text", ["已经好了不用来了", "修好了不用来了", "我不报修了", "先不修了"])
def test_a_case_the_resident_no_longer_needs_is_a_no_not_an_emergency(rasa_stack: Stack, text: str) -> None:
    """「已经好了不用来了」 was ``emergency`` 0.61 (a ticket and every agent paged) and 「先不修了」
    ``complaint``: a no by its shape (bot/nlu/withdrawals.py), the guard not raising it."""
    status, parsed = post(rasa_stack.rasa_port, "/model/parse", {"text": text})
    assert status == 200 and parsed["intent"]["name"] == "deny", parsed["intent"]
    assert parsed["emergency_guard"]["promoted"] is False


def test_praise_is_thanked_and_files_nothing(rasa_stack: Stack, stack_database: str) -> None:
    """「我要表扬一下你们的维修师傅」 was a complaint (0.65): an apology and the complaint form for a
    compliment (bot/nlu/praise.py)."""
    r = resident(rasa_stack)
    replies = r.say("我要表扬一下你们的维修师傅")
    assert_polite(replies)
    assert len(replies) == 1 and texts(replies)[0].startswith("不客气"), texts(replies)  # utter_thank, no apology
    assert tickets_of(stack_database, r.sender) == []


def test_a_gate_that_does_not_know_the_resident_starts_a_repair(rasa_stack: Stack, stack_database: str) -> None:
    """「大门的人脸识别认不出我」 was ``inform`` (0.81): 「报修还是投诉」 for a broken gate (bot/nlu/faults.py)."""
    r = resident(rasa_stack)
    replies = r.say("大门的人脸识别认不出我")
    assert_polite(replies)
    assert r.tracker()["active_loop"].get("name") == "repair_form"
    assert r.tracker()["slots"]["repair_problem"] == "大门的人脸识别认不出我"


def test_after_a_repair_a_resident_who_no_longer_needs_it_is_noted_and_nothing_else_is_goodbye(
    rasa_stack: Stack, stack_database: str
) -> None:
    r = resident(rasa_stack)
    for message in ("卧室衣柜门掉了", "3栋2单元101", "13912345678", "明天上午"):
        r.say(message)
    r.say("确认")
    [ticket] = tickets_of(stack_database, r.sender)
    noted = r.say("已经好了不用来了")
    assert_polite(noted)
    assert ticket.number in bot_says(noted) and "核实" in bot_says(noted)
    with session_scope(stack_database) as session:
        notes = [e.note for e in session.get(Ticket, ticket.id).events]
        assert notes[-1] == "居民表示不再需要：已经好了不用来了"
        assert session.execute(sa.select(HandoffRequest).where(HandoffRequest.conversation_id == r.sender)).first() is None
    goodbye = r.say("没有了")  # to 「请问还有什么可以帮您？」
    assert_polite(goodbye)
    assert goodbye[-1].get("buttons"), goodbye  # the satisfaction question


# --------------------------------------------------------------------------- complete complaints (issue 12 §2)


def bot_says(replies: list[dict]) -> str:
    return "\n".join(texts(replies))


def test_a_complaint_that_a_repair_is_late_is_linked_to_that_repair(rasa_stack: Stack, stack_database: str) -> None:
    r = resident(rasa_stack)
    for answer in ("我家卫生间马桶堵了", "5号楼1单元802", "13912345678", "明天下午三点以后", "确认"):
        assert_polite(r.say(answer))
    [repair] = tickets_of(stack_database, r.sender)
    first = r.say("报修三天了还没人来修 太慢了")
    assert_polite(first)
    assert "工程部" in bot_says(first)  # the apology names the department that is late
    # Address and phone are known from the repair: not asked again; the late repair is asked for.
    assert "联系电话" not in bot_says(first) and "哪一次报修" in bot_says(first)
    buttons = first[-1]["buttons"]
    assert buttons[0]["title"].startswith(repair.number) and "马桶堵了" in buttons[0]["title"]
    assert buttons[-1]["title"] == "都不是"
    summary = r.say(buttons[0]["payload"])  # the resident taps the repair
    assert_polite(summary)
    assert "5-1-802" in bot_says(summary) and "139****5678" in bot_says(summary) and f"关联工单：{repair.number}" in bot_says(summary)
    assert [b["title"] for b in summary[-1]["buttons"]] == ["确认", "修改"]
    assert len(tickets_of(stack_database, r.sender)) == 1, "nothing is filed before the resident confirms"
    created = r.say("确认")
    assert_polite(created)
    repair, complaint = tickets_of(stack_database, r.sender)
    assert complaint.category == "complaint" and complaint.description.startswith("【维修进度】")
    assert complaint.number in bot_says(created) and repair.number in bot_says(created)
    with session_scope(stack_database) as session:
        notes = {t.number: [e.note for e in session.get(Ticket, t.id).events] for t in (repair, complaint)}
    assert f"居民投诉处理进度，投诉工单 {complaint.number}" in notes[repair.number]
    assert f"关联工单 {repair.number}" in notes[complaint.number]


def test_a_repair_that_did_not_hold_gets_a_complaint_and_a_free_rework_of_that_repair(rasa_stack: Stack, stack_database: str) -> None:
    """「师傅上次来修完 还是漏」 was ``ticket_status`` (asked for a ticket number) with the trained
    model; a repair that did not hold is a complaint (a lapse of the company's own work, DOMAIN §3)
    about the resident's earlier repair, which gets a 返修 (free: seed 000_9f7d19d4d8a4ed5d.txt)."""
    r = resident(rasa_stack)
    for answer in ("厨房水管漏水", "5号楼1单元802", "13912345678", "明天下午三点以后", "确认"):
        assert_polite(r.say(answer))
    [repair] = tickets_of(stack_database, r.sender)
    with session_scope(stack_database) as session:
        session.get(Ticket, repair.id).status = "resolved"  # the engineer marked it done
    asked = r.say("师傅上次来修完 还是漏")
    assert_polite(asked)
    assert "工程部" in bot_says(asked) and "哪一次报修" in bot_says(asked)  # the apology, then which repair
    buttons = asked[-1]["buttons"]
    assert buttons[0]["title"].startswith(repair.number) and buttons[-1]["title"] == "都不是"
    summary = r.say(buttons[0]["payload"])  # the resident taps the repair
    assert_polite(summary)
    assert f"关联工单：{repair.number}" in bot_says(summary)
    created = r.say("确认")
    assert_polite(created)
    original, complaint, redo = tickets_of(stack_database, r.sender)
    assert complaint.category == "complaint" and redo.category == "repair"
    assert redo.description.startswith(f"【返修 {repair.number}，不收费】师傅上次来修完 还是漏")
    assert (redo.address, redo.contact_phone, redo.status) == ("5-1-802", "13912345678", "new")
    assert complaint.number in bot_says(created) and redo.number in bot_says(created) and "不再收取费用" in bot_says(created)


def test_a_follow_up_question_after_an_answer_is_answered(rasa_stack: Stack, stack_database: str) -> None:
    """「那停车费呢」 after the fee answer: the classifier alone is unsure (the clarifying question,
    tried as a resident); after an answer, the topic's answer."""
    answers = read_community_file(FIRST_COMMUNITY_FILE).answers
    r = resident(rasa_stack)
    r.say("物业费多少钱一平")
    replies = r.say("那停车费呢")
    assert_polite(replies)
    assert answers["parking"].strip().split("。")[0] in bot_says(replies), bot_says(replies)
    assert tickets_of(stack_database, r.sender) == []
    # A question naming no thing asks about the answer just given (it was handed over each time).
    r.say("我想办个门禁卡")
    for question in ("要带什么", "多少钱", "在哪办"):
        replies = r.say(question)
        assert_polite(replies)
        assert answers["access_card"].strip().split("。")[0] in bot_says(replies), (question, bot_says(replies))
    assert tickets_of(stack_database, r.sender) == []
    # After a part answered (the pool's hours; its temperature handed over), the next such question too.
    r.say("小区游泳池的水温多少度")
    replies = r.say("几点关门")
    assert "9:00–21:00" in bot_says(replies) and "非常抱歉" not in bot_says(replies), bot_says(replies)


def test_a_yes_after_an_answer_is_acknowledged_and_a_question_read_as_a_yes_is_answered(rasa_stack: Stack, stack_database: str) -> None:
    """Tried as a resident: 「好的」 after an answer got 「我没能完全理解您的意思」, and so did
    「可以送上门吗」 after the express answer (read as a yes: 可以)."""
    answers = read_community_file(FIRST_COMMUNITY_FILE).answers
    r = resident(rasa_stack)
    r.say("快递放哪了")
    replies = r.say("好的")
    assert_polite(replies)
    assert bot_says(replies) == catalogue.render("script.yes_noted"), bot_says(replies)
    replies = r.say("可以送上门吗")
    assert_polite(replies)
    assert answers["express_delivery"].strip().split("。")[0] in bot_says(replies), bot_says(replies)
    assert tickets_of(stack_database, r.sender) == []


def test_a_neighbours_night_renovation_is_answered_with_the_rule_and_filed_after_confirmation(rasa_stack: Stack, stack_database: str) -> None:
    r = resident(rasa_stack)
    first = r.say("楼上邻居晚上十一点还在装修 电钻声吵得睡不着 你们管不管")
    assert_polite(first)
    said = bot_says(first)
    assert "8:00–12:00" in said and "周末和法定节假日不得进行噪音施工" in said  # the rule answers 「你们管不管」
    assert "秩序维护部" not in said and "代表" not in said
    assert "事情发生在哪里" in said  # where, asked for a complaint
    assert_polite(r.say("5栋1单元802"))
    summary = r.say("13812345678")
    assert "请您确认投诉信息" in bot_says(summary) and "邻里噪音或占道" in bot_says(summary)
    assert tickets_of(stack_database, r.sender) == []
    assert_polite(r.say("确认"))
    [ticket] = tickets_of(stack_database, r.sender)
    assert ticket.description.startswith("【邻里噪音或占道】") and ticket.department == "客服中心"
    assert (ticket.address, ticket.contact_phone) == ("5-1-802", "13812345678")


def test_the_commonest_questions_get_the_communitys_own_answers(rasa_stack: Stack, stack_database: str) -> None:
    """bench chat's first script as a resident plays it: the fee and parking questions are answered
    from the first community's record, and the thanks is thanks — no hand-over, no contact form, no
    ticket (a retrained model had once taken 物业费怎么交 for the utilities topic)."""
    answers = read_community_file(FIRST_COMMUNITY_FILE).answers
    r = resident(rasa_stack)
    for question, topic in (("物业费怎么交", "fee_payment"), ("停车场一个月多少钱", "parking")):
        replies = r.say(question)
        assert_polite(replies)
        said = bot_says(replies)
        assert answers[topic].strip().rstrip("。").split("。")[0] in said, said
        assert "核实" not in said and "联系电话" not in said
    thanks = bot_says(r.say("谢谢"))
    assert "联系电话" not in thanks and "登记" not in thanks, thanks
    assert tickets_of(stack_database, r.sender) == []


@pytest.mark.parametrize(
    ("then", "next_case"),
    [("我家厨房水管漏水了", "repair_form"), ("电梯修了一个礼拜还没修好 太慢了", "complaint_form"), ("不用了", None)],
    ids=["a-repair", "a-complaint", "no-phone"],
)
def test_a_handed_over_question_is_registered_at_once_and_the_phone_is_optional(
    rasa_stack: Stack, stack_database: str, then: str, next_case: str | None
) -> None:
    """The hand-over registers the question at once (answered in the conversation) and asks for a
    phone that may be left out: a new case is not read as a bad phone number, and nothing is lost."""
    r = resident(rasa_stack)
    question = "小区游泳池的水温多少度"
    handover, ask = texts(r.say(question))
    [ticket] = tickets_of(stack_database, r.sender)
    assert (ticket.category, ticket.description, ticket.contact_phone or "") == ("inquiry", question, "")
    assert ticket.number in handover and "在这里给您答复" in handover
    assert "联系电话" in ask and "不用了" in ask  # asked once, with the way out
    replies = r.say(then)
    assert_polite(replies)
    assert not any("号码" in t for t in texts(replies)), texts(replies)
    assert [t.number for t in tickets_of(stack_database, r.sender) if t.category == "inquiry"] == [ticket.number]
    assert (r.tracker().get("active_loop") or {}).get("name") == next_case


def test_a_phone_left_after_the_hand_over_goes_on_the_question(rasa_stack: Stack, stack_database: str) -> None:
    r = resident(rasa_stack)
    r.say("小区游泳池的水温多少度")
    replies = r.say("13912345678")
    assert_polite(replies)
    [ticket] = tickets_of(stack_database, r.sender)
    assert ticket.contact_phone == "13912345678" and ticket.number in texts(replies)[-1]


def test_a_place_in_a_question_is_not_the_address_and_more_detail_is_not_a_phone(rasa_stack: Stack, stack_database: str) -> None:
    """A place named in an earlier question (停车场) is not taken as the address of a later complaint;
    asked for a phone, a message with no number adds to the complaint instead of being a wrong number."""
    r = resident(rasa_stack)
    r.say("停车场限高多少")
    r.say("不用了")
    r.say("我要投诉保安态度差")
    assert r.tracker()["slots"].get("address") is None
    asked = {"address": "5号楼1单元802", "phone": "昨天晚上十点 东门保安骂人"}
    for _ in range(4):
        slot = r.tracker()["slots"].get("requested_slot")
        if slot == "phone":
            break
        assert_polite(r.say(asked.get(slot, "保安")))
    replies = r.say(asked["phone"])
    assert_polite(replies)
    assert not any("号码" in t and "不完整" in t for t in texts(replies)), texts(replies)
    slots = r.tracker()["slots"]
    assert slots["requested_slot"] == "phone" and slots["phone"] is None
    assert slots["complaint_detail"].endswith("；昨天晚上十点 东门保安骂人")
    assert slots["address"] == "5-1-802"  # 东门 is where it happened, not where the resident lives
    # The address typed again when the phone is asked is no wrong number: the phone is asked again.
    replies = r.say("5号楼1单元802")
    assert_polite(replies)
    assert not any("不完整" in t for t in texts(replies)), texts(replies)
    assert r.tracker()["slots"]["requested_slot"] == "phone"
