"""Rule-based entity extraction: address, phone, surname and title, visit time, ticket number.

spaCy's blank Chinese pipeline (jieba segmenter) with an ``EntityRuler`` finds the token-level
entities (titles after a surname, common areas, parts of a visit time); regular expressions over
the characters find the structured ones (``3-2-102``, ``13812345678``, ``WY202611220001``), which
jieba would otherwise split unpredictably.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot.nlu.lexicon import (
    COMMON_AREAS,
    COMPOUND_SURNAMES,
    NUMBER,
    SURNAMES,
    TITLES,
    cn_to_int,
)

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


# --- addresses ------------------------------------------------------------------------

_BUILDING = rf"(?P<building>{NUMBER})\s*(?:号楼|栋|幢|號樓|棟|座|号)"
_UNIT = rf"(?P<unit>{NUMBER})\s*(?:单元|單元)"
_ROOM = r"(?P<room>\d{3,4}|[一二三四五六七八九零〇]{3,4})\s*(?:室|号房|号|房)?"
ADDRESS_DASHED = re.compile(r"(?<![\d-])(?P<building>\d{1,2})-(?P<unit>\d{1,2})-(?P<room>\d{3,4})(?![\d-])")
ADDRESS_FULL = re.compile(rf"{_BUILDING}\s*(?:{_UNIT})?\s*(?:{_ROOM})?")
ADDRESS_UNIT_ROOM = re.compile(rf"{_UNIT}\s*{_ROOM}")


def _address_value(building: str | None, unit: str | None, room: str | None) -> str:
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


def _find_addresses(text: str) -> list[Entity]:
    found: list[Entity] = []
    for pattern in (ADDRESS_DASHED, ADDRESS_FULL, ADDRESS_UNIT_ROOM):
        for match in pattern.finditer(text):
            groups = match.groupdict()
            building = groups.get("building")
            # "3号" alone is a date far more often than a building.
            if pattern is ADDRESS_FULL and not groups.get("unit") and match.group(0).rstrip().endswith("号"):
                continue
            value = _address_value(building, groups.get("unit"), groups.get("room"))
            if not value:
                continue
            span = match.group(0).rstrip()
            found.append(Entity("address", value, match.start(), match.start() + len(span), span))
    return found


# --- phone numbers and ticket numbers -------------------------------------------------------

MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
# Area code, then a 7–8 digit number that may itself be split: 0571-86612345, 0571-8661-2345, 010 1234 5678.
LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[ -](\d{3,4})[ -]?(\d{4})(?!\d)")
TICKET = re.compile(r"(?<![A-Za-z0-9])[Ww][Yy]\s?(\d{12,14})(?!\d)")


def _find_phones(text: str) -> list[Entity]:
    found = [
        Entity("phone", "".join(m.groups()), m.start(), m.end(), m.group(0)) for m in MOBILE.finditer(text)
    ]
    found += [
        Entity("phone", f"{m.group(1)}-{m.group(2)}{m.group(3)}", m.start(), m.end(), m.group(0))
        for m in LANDLINE.finditer(text)
    ]
    return found


def _find_tickets(text: str) -> list[Entity]:
    return [Entity("ticket_id", f"WY{m.group(1)}", m.start(), m.end(), m.group(0)) for m in TICKET.finditer(text)]


# --- surname and title -------------------------------------------------------------------

_SURNAME_CLASS = f"(?:{'|'.join(COMPOUND_SURNAMES)}|[{SURNAMES}])"
SELF_INTRO_TITLE = re.compile(
    rf"(?:我是|我叫|本人|我姓|免贵姓|叫我|是)\s*(?P<surname>{_SURNAME_CLASS})(?P<title>{'|'.join(TITLES)})"
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


# --- visit time (spaCy EntityRuler over jieba tokens) ---------------------------------------------

DAY_WORDS = ["今天", "明天", "后天", "大后天", "今晚", "明早", "明晚", "周末", "工作日", "这周末", "下周末"]
WEEKDAY = re.compile(r"^(?:下?周|下?星期|礼拜)[一二三四五六日天]$")
PART_OF_DAY = ["上午", "下午", "中午", "晚上", "早上", "傍晚", "白天", "早晨", "夜里", "今早"]
ANY_TIME = ["随时", "都可以", "都行", "任何时间", "全天"]
CLOCK = re.compile(rf"(?:{NUMBER}|\d{{1,2}})\s*(?:点|点钟|[:：]\d{{2}})(?:半|\d{{1,2}}分?|一刻)?")
DATE = re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]|\d{1,2}\s*[日号](?=[上下中晚早]|\s*\d)")
# jieba splits 下周二 into 下 + 周二; the prefix changes the day, so it belongs to the time.
WEEK_PREFIX = re.compile(r"(?:下下|下|这|本)$")
WEEK_WORD = re.compile(r"周|星期|礼拜")
TIME_SUFFIX = re.compile(r"^(?:以后|之后|后|以前|之前|前|左右|前后|到\d{1,2}点|至\d{1,2}点)")


@lru_cache(maxsize=1)
def _nlp() -> Any:
    """The blank Chinese spaCy pipeline with jieba and an EntityRuler for time words."""
    import spacy

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH"})
    patterns: list[dict[str, Any]] = [{"label": "TIME_PART", "pattern": w} for w in DAY_WORDS + PART_OF_DAY + ANY_TIME]
    patterns.append({"label": "TIME_PART", "pattern": [{"TEXT": {"REGEX": WEEKDAY.pattern}}]})
    patterns += [{"label": "PLACE", "pattern": area} for area in COMMON_AREAS]
    ruler.add_patterns(patterns)
    return nlp


def warm_up() -> None:
    """Load jieba and the spaCy pipeline now, so that the first resident does not wait for it."""
    _nlp()("预热")


def _spans_from_tokens(text: str) -> tuple[list[tuple[int, int]], list[Entity]]:
    doc = _nlp()(text)
    times = [(ent.start_char, ent.end_char) for ent in doc.ents if ent.label_ == "TIME_PART"]
    places = [
        Entity("address", ent.text, ent.start_char, ent.end_char, ent.text) for ent in doc.ents if ent.label_ == "PLACE"
    ]
    return times, places


def _find_times(text: str, token_times: list[tuple[int, int]]) -> list[Entity]:
    pieces = sorted(token_times + [m.span() for m in CLOCK.finditer(text)] + [m.span() for m in DATE.finditer(text)])
    merged: list[list[int]] = []
    for start, end in pieces:
        gap = text[merged[-1][1] : start] if merged else None
        if merged and start <= merged[-1][1] + 1 and (gap is None or gap.strip(" 的") == ""):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    found = []
    for start, end in merged:
        prefix = WEEK_PREFIX.search(text[:start])
        if prefix and WEEK_WORD.match(text, start):
            start = prefix.start()
        suffix = TIME_SUFFIX.match(text[end:])
        if suffix:
            end += suffix.end()
        span = text[start:end]
        found.append(Entity("visit_time", span, start, end, span))
    return found


RATING = re.compile(r"很不满意|不满意|非常满意|满意|一般")
RATING_CONTEXT = re.compile(r"评价|评分|打分|打|选|给")


def _find_ratings(text: str) -> list[Entity]:
    """A satisfaction level (DOMAIN §6), only when the message is about rating."""
    stripped = text.strip(" 。！!，,")
    if stripped not in ("非常满意", "满意", "一般", "不满意", "很不满意") and not RATING_CONTEXT.search(text):
        return []
    return [Entity("rating", m.group(0), m.start(), m.end(), m.group(0)) for m in RATING.finditer(text)][:1]


def _drop_overlaps(entities: list[Entity]) -> list[Entity]:
    """Keep the longest of overlapping entities; surname and title pairs never overlap others."""
    kept: list[Entity] = []
    for entity in sorted(entities, key=lambda e: (-(e.end - e.start), e.start)):
        if all(entity.end <= k.start or entity.start >= k.end for k in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: e.start)


def extract_entities(text: str) -> list[Entity]:
    """All entities in ``text`` with character offsets and normalised values."""
    if not text or not text.strip():
        return []
    text = text[:2000]
    token_times, places = _spans_from_tokens(text)
    structured = _find_tickets(text) + _find_phones(text) + _find_addresses(text) + places
    structured = _drop_overlaps(structured)
    taken = [(e.start, e.end) for e in structured]

    def free(e: Entity) -> bool:
        return all(e.end <= s or e.start >= t for s, t in taken)

    times = [e for e in _find_times(text, token_times) if free(e)]
    names = [e for e in _find_names(text) if free(e)]
    ratings = [e for e in _find_ratings(text) if free(e)]
    return sorted(structured + times + names + ratings, key=lambda e: e.start)


def first_value(text: str, entity: str) -> str | None:
    for found in extract_entities(text):
        if found.entity == entity:
            return found.value
    return None
