"""Checks for the answers a resident gives to a form's questions.

Each validator returns the normalised value, or ``None`` with the reason the answer cannot be
used (a catalogue key, ``validation.*`` in bot/texts/zh_CN.yml, for the form to say). After ``MAX_RETRIES`` unusable answers the form stops insisting: it keeps what the resident
wrote, marked for a colleague to confirm by phone or chat, so a resident is never stuck.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.communities import CommunityRecord, address_problem, building_and_unit, community_of_conversation
from bot.han import HAN
from bot.nlu.entities import extract_entities, first_value, without_phones
from bot.nlu.openers import without_greeting
from bot.nlu.pauses import PAUSE, PUNCTUATION
from bot.storage import session_scope
from bot.tickets.rules import OTHER_REPAIR, repair_subcategory

MAX_RETRIES = 2
TO_CONFIRM = "（待客服核实）"  # marks a kept answer in the stored value (agents see it on the ticket)
GENERIC_REPAIR_WORDS = re.compile(
    r"我|要|想|报修|报个修|维修|修理|修一下|修|帮|一下|请|你好|您好|麻烦|需要|东西|坏了|有问题|有点|问题|你们|物业|师傅|上门|过来|看看|[\s，。,.!！?？~]"
)


@dataclass(frozen=True)
class Checked:
    value: str | None
    reason: str = ""  # the catalogue key of what to ask instead
    values: tuple[tuple[str, object], ...] = ()  # what the reason's text needs filled in


def says_more_than(text: str | None, generic: re.Pattern[str]) -> bool:
    """Does ``text`` say something of its own — two Chinese characters or more once the ``generic``
    words are taken out (「我要报修」 or 「我要投诉」 alone do not)?"""
    return len(HAN.findall(generic.sub("", text or ""))) >= 2


# A room of the home and nothing more (「厨房」 to 「请问是哪里或什么设施需要维修？」): where, not what is
# broken — the ticket said 报修内容：厨房 (tried on scripts/run). A facility (「2号楼电梯」) is an answer.
ROOMS = r"厨房|卫生间|厕所|洗手间|浴室|客厅|卧室|主卧|次卧|阳台|书房|餐厅|家里|屋里"
ROOM_ONLY = re.compile(rf"(?:在|是|就是|家的?|家里的?)?({ROOMS})(?:里|里面|那边|这边|那里)?(?:的)?")


def room_only(text: str | None) -> str | None:
    """The room, when the answer names a room of the home and nothing else; else None."""
    found = ROOM_ONLY.fullmatch(GENERIC_REPAIR_WORDS.sub("", text or ""))
    return found.group(1) if found else None


def as_told(text: str | None) -> str:
    """A case in the resident's words, as the summary and the ticket keep it: without the phone
    (its own slot, shown masked) and without the greeting it opened with (「你好 我家的灯不亮了」)."""
    return without_greeting(without_phones((text or "").strip())).strip()


def check_problem(text: str | None) -> Checked:
    text = as_told(text)
    if not text or text.startswith("/"):
        return Checked(None)  # nothing said yet: the form's own question asks it
    if not says_more_than(text, GENERIC_REPAIR_WORDS):
        return Checked(None, "validation.problem_vague")
    room = room_only(text)
    if room:
        return Checked(None, "validation.problem_room", (("room", room),))
    return Checked(text[:500])


def in_the_room(room: str, answer: str) -> str:
    """「水龙头漏水」 after 「厨房」: 厨房水龙头漏水 (the answer as it is when it names a room itself)."""
    return answer if re.search(ROOMS, answer) else f"{room}{answer}"


def names_the_fault(text: str, problem: str | None) -> bool:
    """Does ``text`` name the same kind of fault as the repair ``problem`` (「就是洗菜池下面那个管子」
    after 「厨房水管漏水」: both water), i.e. say more about it rather than where the home is?"""
    kind = repair_subcategory(text)
    return bool(problem) and kind != OTHER_REPAIR and kind == repair_subcategory(problem or "")


def check_address(text: str | None, entity_value: str | None = None, community: CommunityRecord | None = None) -> Checked:
    """An address; one in a building or unit the resident's community does not have (13号楼 of a
    12-building community) is questioned politely — after the retries it is kept, to confirm."""
    value = entity_value or first_value(text or "", "address")
    if not value:
        return Checked(None, "validation.address")
    problem = address_problem(community, value) if community is not None else None
    if problem is None:
        return Checked(value)
    if problem.unit is None:
        return Checked(None, "validation.address_no_building", (("community", community.name), ("building", problem.building), ("buildings", problem.buildings)))
    return Checked(None, "validation.address_no_unit", (("community", community.name), ("building", problem.building), ("unit", problem.unit), ("units", problem.units)))


def later_address(earlier: str | None, later: str, asked: bool) -> str:
    """The address a case keeps when a message names a place while another question is asked.

    A place in a detail (「东门保安骂人」 after 5-1-802) says where something happened — the message
    itself goes into the case's detail — and does not replace the home address given before; an
    address that names a building is a correction and does. Asked for the address, any answer counts.
    """
    if asked or not earlier or building_and_unit(earlier) is None or building_and_unit(later) is not None:
        return later
    return earlier


# A repair inside a home (「我家阳台的推拉门坏了」) needs the unit and room: 「我是7栋的」 alone was taken
# as the address (tried on scripts/run), and the ticket said 7号楼 — no door for the engineer to knock
# on. A common part (楼道, 电梯 …) needs no room.
IN_THE_HOME = re.compile(r"我家|家里|家中|屋里|室内|户内|卧室|主卧|次卧|客厅|厨房|卫生间|厕所|洗手间|阳台|书房|餐厅|马桶|浴室")
COMMON_PART = re.compile(r"楼道|走廊|过道|电梯|大堂|车库|车位|单元门|楼梯|外墙|公共|门口|路灯|绿化|屋顶|天台|消防|水箱|水泵|岗亭")
BARE_BUILDING = re.compile(r"\d+号楼")
ROOM_OR_UNIT = re.compile(r"单元|室|(?<!\d)\d{3,4}(?!\d)")


def in_the_home(problem: str | None) -> bool:
    """Is the repair inside the resident's home (not in a common part)?"""
    problem = problem or ""
    return IN_THE_HOME.search(problem) is not None and COMMON_PART.search(problem) is None


def bare_building(address: str | None) -> bool:
    """Does the address name a building and nothing more (「7号楼」)?"""
    return BARE_BUILDING.fullmatch(address or "") is not None


def with_building(building: str, answer: str) -> str | None:
    """「2单元501室」 after 「7号楼」: the whole address (7-2-501); None when the answer names a building
    of its own or adds nothing to the building."""
    if ROOM_OR_UNIT.search(answer) is None:
        return None  # 「东门那边」: a place, not the rest of this address
    own = first_value(answer, "address")
    if own is not None and building_and_unit(own) is not None:
        return None
    joined = first_value(f"{building}{answer}", "address")
    return joined if joined and joined != building else None


def community_of(conversation_id: str) -> CommunityRecord:
    """The community of the conversation (its record as it is now)."""
    with session_scope() as session:
        return community_of_conversation(session, conversation_id)


ARABIC_DIGIT = re.compile(r"[0-9０-９]")
CHINESE_DIGIT = re.compile(r"[零〇幺一二三四五六七八九]")


def tries_a_phone(text: str | None) -> bool:
    """Does the message try to give a number at all? A digit, or a run of Chinese numerals as some
    residents type a phone (一三八…). 「东门保安骂人」 or 「昨天晚上十点」 do not: asked for a phone,
    the resident is saying more about the case, not giving a wrong number."""
    text = text or ""
    return bool(ARABIC_DIGIT.search(text)) or len(CHINESE_DIGIT.findall(text)) >= 5


def answers_another_question(text: str | None) -> bool:
    """Does the message give an address or a visit time, with no number of its own besides
    (「就是5号楼2单元的楼道」 when the phone is asked: its digits are the building's, not a short phone)?"""
    text = text or ""
    found = [e for e in extract_entities(text) if e.entity in ("address", "visit_time")]
    for e in found:
        text = text[: e.start] + " " * (e.end - e.start) + text[e.end :]
    return bool(found) and not tries_a_phone(text)


# What the resident asks of the case (DOMAIN.md §3, seed 003 「客户投诉管理制度」: the complaint records
# what the resident asks for): 「我希望赔一个」「要求赔偿」「让他道歉」. Said at another question, the
# classifier is unsure of it (the fallback, 0.50): it is the case's, not noise to ask again over.
REMEDY = re.compile(
    r"赔|补偿|退(?:钱|费|款|我)|道歉|给(?:个|一个|我们|我)?(?:说法|交代|解释)|换(?:一个|个)?新的|处分|处罚|严肃处理"
)


def asks_a_remedy(text: str | None) -> bool:
    """Does the message say what the resident wants done about the case (赔, 道歉, 给个说法 …)?"""
    return bool(text) and len(text.strip()) >= 3 and bool(REMEDY.search(text[:300]))


def check_phone(text: str | None, entity_value: str | None = None) -> Checked:
    if entity_value:
        return Checked(entity_value)
    for entity in extract_entities(text or ""):
        if entity.entity == "phone":
            return Checked(entity.value)
    return Checked(None, "validation.phone")


_PHONE_WORD = r"(?:联系)?(?:电话|手机号?码?|号码|联系方式)"
_NO = r"(?:没有?|没得|不方便|不想|不愿意?|不能|不用|不)"
_GIVE = r"(?:留|给|提供|告诉你们?|说|写)?"
_END = r"(?:了|啊|呀|呢|吧|啦|哦|的)*"
# 「没有」「没有了」「我没手机」「不方便留电话」 or 「电话就不留了吧」 when the phone is asked: the resident
# has none or would rather not give it. 「取消」「算了」 are not: they cancel the form.
DECLINES_PHONE = re.compile(
    rf"(?:我|我们|我家|家里|老人家?)?(?:{_NO}{_GIVE}{_END}{_PHONE_WORD}?|{_PHONE_WORD}(?:就|先|还是|暂时)?{_NO}{_GIVE})"
    rf"{_END}(?:不好意思|抱歉)?"
)
_PUNCTUATION = re.compile(rf"{PUNCTUATION}+")


def declines_phone(text: str | None) -> bool:
    """Does the answer to "your phone, please" say the resident has none or will not give it?"""
    return bool(DECLINES_PHONE.fullmatch(_PUNCTUATION.sub("", text or "")))


_CHANGE = r"(?:改|换|修改|更改|变更|调整|更正)"
_FIELD = r"(?:上门|联系|预约)?的?(?:时间|地址|电话|号码|手机号?|地点|联系方式)"
# 「可以改时间吗」「电话能改吗」「我想改一下上门时间」 while a form holds a time, an address or a phone:
# the resident wants to change what they gave (the summary's 修改), not an answer about a topic
# (「可以改时间吗」 was answered with the renovation rules: 改 for 改动).
CHANGE_REQUEST = re.compile(
    rf"{_CHANGE}(?:一下|下)?(?:成|为)?(?:我的|一下)?{_FIELD}"
    rf"|{_FIELD}(?:能|可以|能不能|可不可以|要|想|得|需要)?(?:再)?{_CHANGE}"
    r"|(?:写|填|记|登记|输|打)错了"
)


def asks_to_change(text: str | None) -> bool:
    """Does the message ask to change a detail the form holds (its time, address or phone)?"""
    return CHANGE_REQUEST.search(text or "") is not None


# 「没有了」 to the summary's 「信息无误请点“确认”；需要修改请直接发送…」: nothing to change. It is the
# classifier's no, which asked 「请问需要修改哪一项？」 and showed the summary again — as often as the
# resident said it (tried on scripts/run). 「不对」「错了」 are no such thing.
NOTHING_TO_CHANGE = re.compile(
    rf"{PAUSE}(?:没有了?|没了|没有要改的?|没什么要改的?|没有需要修改的?|不用改了?|不用修改了?|不需要修改了?|不改了|没有问题|没问题)"
    rf"(?:{PAUSE}(?:都对|就这样|可以了?|提交吧?|谢谢))*{PAUSE}"
)


def nothing_to_change(text: str | None) -> bool:
    """Does the answer to the summary say that nothing needs changing?"""
    return NOTHING_TO_CHANGE.fullmatch((text or "").strip()[:40]) is not None


ANY_TIME_WORDS = re.compile(r"随时|都可以|都行|什么时候都|任何时间|尽快|越快越好|马上")


def check_visit_time(text: str | None, entity_value: str | None = None) -> Checked:
    if entity_value:
        return Checked(entity_value)
    text = (text or "").strip()
    value = first_value(text, "visit_time")
    if value:
        return Checked(value)
    if ANY_TIME_WORDS.search(text):
        return Checked("随时可以")
    return Checked(None, "validation.visit_time")


def accept_after_retries(slot: str, raw: str, retries: dict[str, int]) -> tuple[str | None, dict[str, int]]:
    """Count a failed answer; after too many, keep the raw text marked for confirmation."""
    counts = dict(retries or {})
    counts[slot] = counts.get(slot, 0) + 1
    if counts[slot] > MAX_RETRIES and raw.strip() and not raw.startswith("/"):
        return f"{raw.strip()[:100]}{TO_CONFIRM}", counts
    return None, counts
