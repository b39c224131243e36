"""Rule-based entity extraction: address, phone, surname and title, visit time, ticket number.

Patterns over the characters of the text *as read* (``bot.nlu.reading``: full width folded,
traditional characters simplified, pinyin spelled in characters), reported with the spans of the
text as written. Characters rather than jieba tokens: jieba joins 今天下午 into one word and splits
下周二 into two, so a grammar over tokens missed what residents write most (issue 12: 「今天下午」
asked three times, then kept as 待客服核实). The grammar pieces — day words, parts of the day,
clock times, places and public parts of a building — are listed here and in ``lexicon.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from bot.nlu.lexicon import (
    BUILDING_PARTS,
    COMMON_AREAS,
    COMPOUND_SURNAMES,
    NUMBER,
    SURNAMES,
    TITLES,
    cn_to_int,
)
from bot.nlu.reading import Reading, read
from bot.nlu.reading import warm_up as warm_up_reading
from bot.satisfaction import LABELS

ENTITY_NAMES = ("address", "phone", "surname", "title", "visit_time", "ticket_id", "rating")


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    start: int
    end: int
    text: str

    def as_rasa(self, extractor: str) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "start": self.start,
            "end": self.end,
            "value": self.value,
            "confidence_entity": 1.0,
            "extractor": extractor,
        }


# --- addresses and places ---------------------------------------------------------------

_BUILDING = rf"(?P<building>{NUMBER})\s*(?:号楼|栋|幢|座|号)"
_UNIT = rf"(?P<unit>{NUMBER})\s*单元"
# A room is 3–4 digits not followed by more: in 「7栋2单元 13900002222」 the digits are a phone (the
# address took 1390 as the room, overlapped the phone and was dropped).
_ROOM = r"(?P<room>\d{3,4}(?!\d)|[一二三四五六七八九零〇]{3,4})\s*(?:室|号房|号|房)?"
ADDRESS_DASHED = re.compile(r"(?<![\d-])(?P<building>\d{1,2})-(?P<unit>\d{1,2})-(?P<room>\d{3,4})(?![\d-])")
ADDRESS_FULL = re.compile(rf"{_BUILDING}\s*(?:{_UNIT})?\s*(?:{_ROOM})?")
ADDRESS_UNIT_ROOM = re.compile(rf"{_UNIT}\s*{_ROOM}")

# A public place (地下车库, 东门, 快递驿站 …), the part of it (南门岗亭, 车库入口) and the level of a
# car park (地下车库B2, 负一层车库); or a public part of a building (2号楼电梯, 3号楼大堂, 5栋楼顶).
_alternatives = lambda words: "|".join(sorted(words, key=len, reverse=True))  # noqa: E731 - longest first
_LEVEL = r"(?:[Bb]\s?[1-4]|负\s?[一二三四1-4]\s?(?:层|楼)?|地下\s?[一二三1-3]\s?层)"
_SUBPART = r"(?:岗亭|门岗|入口|出口)"  # places in themselves; 门口 and 道闸 belong to the problem
PLACE = re.compile(
    rf"(?:小区)?(?P<area>{_alternatives(COMMON_AREAS)})(?:\s?(?P<sub>{_SUBPART}))?(?:\s?(?P<level>{_LEVEL}))?"
    rf"|(?P<level_first>{_LEVEL})\s?(?:的)?(?P<park>地下车库|车库|停车场|地库)"
)
BUILDING_PLACE = re.compile(
    rf"(?P<building>{NUMBER})\s*(?:号楼|栋|幢|座)\s*(?:(?P<unit>{NUMBER})\s*单元)?\s*(?P<part>{_alternatives(BUILDING_PARTS)})"
)


def address_value(building: str | None, unit: str | None, room: str | None) -> str:
    """An address as the product writes it: 3-2-102 when whole, else 3号楼, 3号楼2单元, 2单元102室 …."""
    b = cn_to_int(building) if building else None
    u = cn_to_int(unit) if unit else None
    r = cn_to_int(room) if room else None
    if b is not None and u is not None and r is not None:
        return f"{b}-{u}-{r}"
    parts = []
    if b is not None:
        parts.append(f"{b}号楼")
    if u is not None:
        parts.append(f"{u}单元")
    if r is not None:
        parts.append(f"{r}室")
    return "".join(parts)


# A unit or a room alone (「602」「2单元」「2单元601」): the part of an address a resident corrects.
UNIT_OR_ROOM_ALONE = re.compile(rf"(?:{_UNIT})?\s*(?:{_ROOM})?")


def address_parts(text: str) -> tuple[str | None, str | None, str | None] | None:
    """The building, unit and room (as digits) of a text that is just an address — 3-2-102,
    3栋2单元102室, 7号楼501室 — or just a unit or room (「602」「2单元601」); None otherwise."""
    text = text.strip()
    for pattern in (ADDRESS_DASHED, ADDRESS_FULL, UNIT_OR_ROOM_ALONE):
        match = pattern.fullmatch(text)
        if match and match.group(0):
            groups = match.groupdict()
            return tuple(str(cn_to_int(groups[part])) if groups.get(part) else None for part in ("building", "unit", "room"))  # type: ignore[return-value]
    return None


def _level(text: str | None) -> str:
    return re.sub(r"\s", "", text or "").upper()


def _find_addresses(text: str) -> list[Entity]:
    found: list[Entity] = []
    for pattern in (ADDRESS_DASHED, ADDRESS_FULL, ADDRESS_UNIT_ROOM):
        for match in pattern.finditer(text):
            groups = match.groupdict()
            building = groups.get("building")
            # "3号" alone is a date far more often than a building.
            if pattern is ADDRESS_FULL and not groups.get("unit") and match.group(0).rstrip().endswith("号"):
                continue
            value = address_value(building, groups.get("unit"), groups.get("room"))
            if not value:
                continue
            span = match.group(0).rstrip()
            found.append(Entity("address", value, match.start(), match.start() + len(span), span))
    for match in BUILDING_PLACE.finditer(text):
        value = address_value(match.group("building"), match.group("unit"), None) + match.group("part")
        found.append(Entity("address", value, match.start(), match.end(), match.group(0)))
    for match in PLACE.finditer(text):
        if match.group("park"):
            value = match.group("park") + _level(match.group("level_first"))
        else:
            value = match.group("area") + (match.group("sub") or "") + _level(match.group("level"))
        found.append(Entity("address", value, match.start(), match.end(), match.group(0)))
    return found


# --- phone numbers and ticket numbers -------------------------------------------------------

# A mobile number, with or without the country code (+86, 0086, 86) and with spaces or dashes
# between its groups: 138-1234-5678, 138 1234 5678, +86 138 1234 5678, 8613812345678.
MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
# Area code, then a 7–8 digit number that may itself be split: 0571-86612345, 0571-8661-2345,
# 010 1234 5678, (0755)1234567, 075512345678; an extension after 转/分机/ext: 0755-1234567转8021.
LANDLINE = re.compile(
    r"(?<!\d)(?:[(（](0\d{2,3})[)）]\s?|(0\d{2,3})[ -]|(0(?:10|2\d)|0[3-9]\d{2})(?=\d{7,8}(?!\d)))"
    r"(\d{3,4})[ -]?(\d{4})(?!\d)"
    r"(?:\s?(?:转|分机|分机号|ext\.?|EXT\.?|-)\s?(\d{1,5})(?!\d))?"
)
TICKET = re.compile(r"(?<![A-Za-z0-9])[Ww][Yy]\s?(\d{12,14})(?!\d)")


# A number spelled digit by digit in characters (「一三九零零零零六六六六」, 幺 for 1: how a number is read
# aloud, and what voice input writes): seven or more in a run are read as digits, one for one, so the
# phone patterns find them (a room or a building, 三栋二单元, is never such a run).
SPOKEN_DIGITS = str.maketrans("零〇○一幺二两三四五六七八九", "00011223456789")
SPOKEN_RUN = re.compile(r"[零〇○一幺二两三四五六七八九\d](?:[ -]?[零〇○一幺二两三四五六七八九\d]){6,}")


def _spoken_as_digits(text: str) -> str:
    """``text`` with every run of digits spelled in characters written in digits (the same length)."""
    return SPOKEN_RUN.sub(lambda m: m.group().translate(SPOKEN_DIGITS), text)


def _find_phones(text: str) -> list[Entity]:
    text = _spoken_as_digits(text)
    found = [Entity("phone", "".join(m.groups()), m.start(), m.end(), m.group(0)) for m in MOBILE.finditer(text)]
    for m in LANDLINE.finditer(text):
        area = m.group(1) or m.group(2) or m.group(3)
        value = f"{area}-{m.group(4)}{m.group(5)}" + (f"转{m.group(6)}" if m.group(6) else "")
        found.append(Entity("phone", value, m.start(), m.end(), m.group(0)))
    return found


def _find_tickets(text: str) -> list[Entity]:
    return [Entity("ticket_id", f"WY{m.group(1)}", m.start(), m.end(), m.group(0)) for m in TICKET.finditer(text)]


# --- surname and title -------------------------------------------------------------------

_SURNAME_CLASS = f"(?:{'|'.join(COMPOUND_SURNAMES)}|[{SURNAMES}])"
# 「我是业主王女士」「我是3栋的张阿姨」: who they are in the community may come between 我是 and the name.
_WHO_IN_THE_COMMUNITY = r"(?:业主|住户|租户|(?:\d+|[一二三四五六七八九十]+)(?:栋|号楼|幢)[^，。,.!！?？\s]{0,8}?的)?"
SELF_INTRO_TITLE = re.compile(
    rf"(?:我是|我叫|本人|我姓|免贵姓|叫我|是)\s*{_WHO_IN_THE_COMMUNITY}(?P<surname>{_SURNAME_CLASS})(?P<title>{'|'.join(TITLES)})"
)
LEADING_TITLE = re.compile(rf"^\s*(?P<surname>{_SURNAME_CLASS})(?P<title>{'|'.join(TITLES)})(?=$|[\s，,。.!！、:：])")
SELF_INTRO_SURNAME = re.compile(rf"(?:我姓|免贵姓|本人姓|姓)\s*(?P<surname>{_SURNAME_CLASS})(?![{SURNAMES}]?(?:先生|女士))")


def _find_names(text: str) -> list[Entity]:
    found: list[Entity] = []
    for pattern in (SELF_INTRO_TITLE, LEADING_TITLE):
        for match in pattern.finditer(text):
            surname, title = match.group("surname"), match.group("title")
            found.append(Entity("surname", surname, match.start("surname"), match.end("surname"), surname))
            found.append(Entity("title", TITLES[title], match.start("title"), match.end("title"), title))
    if not found:
        for match in SELF_INTRO_SURNAME.finditer(text):
            surname = match.group("surname")
            found.append(Entity("surname", surname, match.start("surname"), match.end("surname"), surname))
    return found


# --- visit time ------------------------------------------------------------------------------

# The pieces residents build a visit time from; adjacent pieces make one time (今天下午三点,
# 周六周日都行, 下午三点到五点, 今晚8点半之后). DOMAIN.md §2: a repair record holds a convenient time.
DAY = (
    r"大后天|后天|明天|今天|今儿|明儿|今晚|明晚|今早|明早|明晨|今夜|"
    r"(?:这个?|本|下个?)?周末|工作日|双休日|休息日|节假日|改天|"
    r"(?:下下|下个?|这个?|本)?(?:周|星期|礼拜)[一二三四五六日天1-7]"
)
PART_OF_DAY = r"上午|下午|中午|晚上|早上|傍晚|白天|早晨|夜里|晚间|午后|凌晨|一早|一大早"
# 下班后, 放学以后, 午饭后, 上班前: the time a resident is home, said by what they do.
ROUTINE = r"(?:下班|放学|午饭|晚饭|吃完饭|午休)(?:以后|之后|后|回来|回家)|上班(?:以前|之前|前)"
ANY_TIME = r"随时(?:来)?(?:都(?:行|可以))?|(?:什么|啥)时候(?:来)?都(?:行|可以|方便)|哪天(?:来)?都(?:行|可以)|任何时间|全天|一整天|都可以|都行"
CLOCK = rf"(?:{NUMBER}|\d{{1,2}})\s*(?:点钟?|[:：]\d{{2}}|时)(?:半|\d{{1,2}}分?|一刻|三刻|整)?"
DATE = r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]|\d{1,2}\s*[日号](?=[上下中晚早]|\s*\d)"
TIME_PIECE = re.compile(f"{ROUTINE}|{DATE}|{CLOCK}|{DAY}|{PART_OF_DAY}|{ANY_TIME}")
# What may stand between two pieces of one time: nothing, a space, 的, or a range or a choice.
TIME_JOINT = re.compile(r"\s*(?:的|到|至|或者?|和|、|-|~|～|—)?\s*")
TIME_SUFFIX = re.compile(r"(?:以后|之后|以前|之前|左右|前后|以内|之间|后|前)")


def _find_times(text: str) -> list[Entity]:
    merged: list[list[int]] = []
    for match in TIME_PIECE.finditer(text):
        start, end = match.span()
        if merged and TIME_JOINT.fullmatch(text, merged[-1][1], start):
            merged[-1][1] = end
        else:
            merged.append([start, end])
    found = []
    for start, end in merged:
        suffix = TIME_SUFFIX.match(text, end)
        if suffix:
            end = suffix.end()
        span = text[start:end]
        found.append(Entity("visit_time", span, start, end, span))
    return found


# The five levels of the one satisfaction scale, longest first so 不满意 is never read as 满意.
RATING = re.compile("|".join(sorted(LABELS, key=len, reverse=True)))
RATING_CONTEXT = re.compile(r"评价|评分|打分|打|选|给")


def _find_ratings(text: str) -> list[Entity]:
    """A satisfaction level (DOMAIN §6), only when the message is about rating."""
    stripped = text.strip(" 。！!，,")
    if stripped not in LABELS and not RATING_CONTEXT.search(text):
        return []
    return [Entity("rating", m.group(0), m.start(), m.end(), m.group(0)) for m in RATING.finditer(text)][:1]


def _drop_overlaps(entities: list[Entity]) -> list[Entity]:
    """Keep the longest of overlapping entities; surname and title pairs never overlap others."""
    kept: list[Entity] = []
    for entity in sorted(entities, key=lambda e: (-(e.end - e.start), e.start)):
        if all(entity.end <= k.start or entity.start >= k.end for k in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: e.start)


def _found_in(text: str) -> list[Entity]:
    structured = _drop_overlaps(_find_tickets(text) + _find_phones(text) + _find_addresses(text))
    taken = [(e.start, e.end) for e in structured]

    def free(e: Entity) -> bool:
        return all(e.end <= s or e.start >= t for s, t in taken)

    times = [e for e in _find_times(text) if free(e)]
    names = [e for e in _find_names(text) if free(e)]
    ratings = [e for e in _find_ratings(text) if free(e)]
    return structured + times + names + ratings


def _as_written(entity: Entity, reading: Reading, written: str) -> Entity:
    start, end = reading.span(entity.start, entity.end)
    return replace(entity, start=start, end=end, text=written[start:end])


def extract_entities(text: str) -> list[Entity]:
    """All entities in ``text`` with character offsets and normalised values.

    Found in the text as read (``bot.nlu.reading``), so 後天下午 is 后天下午 and ３栋 is 3号楼;
    offsets and ``text`` are those of what the resident wrote.
    """
    if not text or not text.strip():
        return []
    written = text[:2000]
    reading = read(written)
    found = [_as_written(e, reading, written) for e in _found_in(reading.text)]
    return sorted(found, key=lambda e: e.start)


def first_value(text: str, entity: str) -> str | None:
    for found in extract_entities(text):
        if found.entity == entity:
            return found.value
    return None


# The words that introduce a phone (「我电话」「手机号是」「联系方式：」), removed with it.
_PHONE_LABEL = re.compile(r"(?:我的?|的)?(?:手机号码?|电话号码?|电话|手机|号码|座机|联系方式)\s*(?:是|为)?\s*[:：]?\s*$")
_SEPARATORS = " \t,，、;；:：。"


def without_phones(text: str) -> str:
    """``text`` with every phone number it gives taken out, with the words introducing it:
    「厨房水龙头漏水了 我电话13812345678」 → 「厨房水龙头漏水了」. A case's wording is read again in
    summaries and lists, where the phone is shown masked (``bot.tickets.masking``), not whole."""
    kept = text
    for phone in reversed([e for e in extract_entities(text) if e.entity == "phone"]):
        before, after = kept[: phone.start], kept[phone.end :]
        label = _PHONE_LABEL.search(before)
        before = (before[: label.start()] if label else before).rstrip(_SEPARATORS)
        after = after.lstrip(_SEPARATORS)
        kept = f"{before} {after}" if before and after else before or after
    return kept.strip()


# What a resident may add around a bare answer: 「我家是4号楼」, 「电话 138…」, 「今晚吧」, 「下午来就行」.
ANSWER_ENTITIES = ("address", "phone", "visit_time", "surname", "title")
ANSWER_FILLER = re.compile(
    r"(?:[\s,，。.!！?？~、:：;；()（）+-]|我家|我|家|住|在|是|就|都|可以|行|吧|啊|呀|哦|嗯|呢|的|"
    r"手机号|电话号|电话|手机|号码|座机|联系方式|地址|时间|上门|过来|来|麻烦|请|您|"
    # 「东门那个」「3栋那边」: the place pointed at, nothing said of the case
    r"那个|这个|那边|这边|那儿|这儿|那里|这里)*"
)


def is_bare_answer(text: str) -> bool:
    """The message is nothing but an address, a phone, a visit time or a name: an answer to one of
    the forms' questions (「今晚」, 「东门岗亭」, 「+86 138 1234 5678」), whatever words it shares
    with a complaint or a greeting (「早上好」 is not one: 好 is no filler)."""
    found = [e for e in extract_entities(text) if e.entity in ANSWER_ENTITIES]
    if not found or any(e.entity not in ANSWER_ENTITIES for e in extract_entities(text)):
        return False
    rest = list(text[:2000])
    for entity in found:
        rest[entity.start : entity.end] = " " * (entity.end - entity.start)
    return ANSWER_FILLER.fullmatch("".join(rest)) is not None


def warm_up() -> None:
    """Load jieba and the reading's tables now, so that the first resident does not wait for them."""
    warm_up_reading()
    extract_entities("预热")
