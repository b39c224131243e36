"""How the NLU reads what a resident wrote: one reading for noisy writing.

Residents type on phones, in a hurry, with whatever input method is at hand (issue 12, point 4):

- full-width characters and compatibility forms (``１３８``, ``３栋``): NFKC folds them;
- traditional characters (``電梯困人``, ``樓道``): OpenCC's ``t2s`` tables (the ``opencc`` package
  ships its dictionaries, nothing is downloaded);
- pinyin when the input method is not switched (``dianti kun ren le``, ``zhaohuo le``): the most
  probable run of words whose toneless pinyin spells the letters. Words and their readings come
  from jieba's dictionary and pypinyin's phrase and character tables (both shipped with the
  packages); a word's probability mixes jieba's general frequencies with how often residents use
  it in the training data (``nlu_data/``), so ``wu ye`` is 物业, not the more general 呜咽;
- homophone typos of the words that decide an emergency (``电第`` for 电梯, ``着伙`` for 着火,
  ``露电`` for 漏电, ``著火``): a word of ``WATCHED_WORDS`` is read where the text has the same word
  with one character replaced by one that sounds the same (any of its readings) or nearly so
  (the usual fuzzy-pinyin pairs, ``FUZZY_INITIALS``/``FUZZY_FINALS``), but only where jieba's
  dictionary segmentation does not join those characters with others (这是火锅 is not 这失火锅)
  and the written pair is not itself a word (没气, 泄露 stay).

The reading is for the model only. The text the resident wrote stays what is stored, shown and
put into slots; the tokenizer (``bot.nlu.components.ReadingJiebaTokenizer``) gives the classifier
the reading's words at the written text's offsets, the guard (``bot.nlu.emergency.assess``) checks
both the written text and the reading, and the entity extractor reads the reading and reports
spans of the written text. ``Reading.origin`` keeps, for every character of the reading, the span
of the written text it comes from.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.han import HAN
from bot.settings import PROJECT_ROOT

JIEBA_DICTIONARY = PROJECT_ROOT / "bot" / "nlu" / "jieba_dict"
TRAINING_DATA = PROJECT_ROOT / "nlu_data"

# Words whose misspelling must not hide an emergency, and the objects they are said of (DOMAIN.md
# §1 and §5: 火警, 燃气泄漏, 电梯困人, 水管爆裂, 触电/漏电, 急救, 刑事案件 …). Only these are repaired:
# a homophone repair toward any word of the language would rewrite ordinary sentences.
WATCHED_WORDS = (
    "电梯", "着火", "失火", "起火", "火灾", "冒烟", "烟味", "燃气", "漏气", "泄漏", "漏电", "触电",
    "困人", "被困", "救命", "救人", "水管", "爆管", "漏水", "晕倒", "昏倒", "摔倒", "流血", "急救",
    "小偷", "打架", "抢劫", "中毒", "跳楼", "自杀",
)
# Fuzzy pinyin: pairs that input methods and southern speakers confuse (the "模糊音" settings of
# Chinese input methods), plus the unaspirated/aspirated stops (电第 for 电梯).
FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("h", "f"), ("r", "l"), ("t", "d"), ("p", "b"), ("k", "g"))
FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"), ("iang", "ian"), ("uang", "uan"), ("ou", "u"))

# Pinyin has no context to tell 打架 from 大家 or 被关在 from 悲观在; where the letters spell a word
# of an emergency, that reading wins (DOMAIN.md §1: when in doubt, emergency).
PINYIN_PREFERRED = WATCHED_WORDS + (
    "关在", "困在", "卡在", "锁在", "被关", "被锁", "出不来", "出不去", "快来", "来人", "有人", "里面",
    "关人", "被偷", "被盗", "爆了", "爆裂", "淹了", "冒火花", "煤气", "天然气", "燃气味", "煤气味", "天然气味",
    "焦味", "糊味", "味道", "浓烟", "报警", "老人",
    "号楼", "单元",
)
PREFERRED_FREQUENCY = 20000  # about as common as 大家
MIN_WORD_FREQUENCY = 3  # jieba gives 3 to words it knows nothing more about
RARE_READING = 0.01
DOMAIN_SHARE = 0.5  # weight of the training data's word frequencies against jieba's general ones
# Syllables without a vowel (嗯 ng, 呣 m, 哼 hng) would let English split into "pinyin": si+ng.
INTERJECTIONS = frozenset({"ng", "m", "n", "hm", "hng", "r"})
# Residents typing pinyin type words (dianti, zhaohuo, yun dao); a run whose syllables all fall
# into single characters, or nearly all (can you → 参有), is English or noise, left as written.
MIN_WORD_COVERAGE = 0.3

LATIN_RUN = re.compile(r"[A-Za-z]+(?:[ '’-]+[A-Za-z]+)*")
MAX_WORD_SYLLABLES = 4
MAX_SYLLABLE = 6  # zhuang, chuang, shuang


@dataclass(frozen=True)
class Reading:
    """The text as the model reads it, and where each of its characters was written."""

    text: str
    origin: tuple[tuple[int, int], ...]  # per character of ``text``: its span in the written text

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the written text that ``text[start:end]`` was read from."""
        if start >= end:
            at = self.origin[start][0] if start < len(self.origin) else (self.origin[-1][1] if self.origin else 0)
            return at, at
        return self.origin[start][0], self.origin[end - 1][1]


# --- the libraries' tables, loaded once per process ---------------------------------------------

_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _pinyin_dict() -> dict[int, str]:
    """pypinyin's character table: code point → its readings with tones, most common first."""
    from pypinyin.pinyin_dict import pinyin_dict

    return pinyin_dict


@lru_cache(maxsize=8192)
def _readings(char: str) -> frozenset[str]:
    """Every toneless reading of one character (着: zhe, zhao, zhuo)."""
    readings = _pinyin_dict().get(ord(char)) if len(char) == 1 else None
    return frozenset(_toneless(p) for p in readings.split(",")) if readings else frozenset()


def _toneless(syllable: str) -> str:
    syllable = syllable.replace("ü", "v").replace("Ü", "v")
    return "".join(ch for ch in unicodedata.normalize("NFKD", syllable) if not unicodedata.combining(ch)).lower()


@lru_cache(maxsize=1)
def _jieba() -> Any:
    """jieba with the project's dictionary: the same words the tokenizer knows."""
    import jieba

    with _LOCK:
        jieba.initialize()
        for path in sorted(Path(JIEBA_DICTIONARY).glob("*.txt")):
            jieba.load_userdict(str(path))
    return jieba


def _frequencies() -> dict[str, int]:
    return _jieba().dt.FREQ


@dataclass(frozen=True)
class _PinyinIndex:
    words: dict[tuple[str, ...], tuple[str, float]]  # syllables → the most probable word, its log-probability


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every toneless syllable of Mandarin that has a vowel (from pypinyin's character table)."""
    return frozenset(_toneless(p) for readings in _pinyin_dict().values() for p in readings.split(",")) - INTERJECTIONS


@lru_cache(maxsize=1)
def _primary_readings() -> dict[str, str]:
    """Each character's first (most common) reading."""
    return {chr(code): _toneless(readings.split(",")[0]) for code, readings in _pinyin_dict().items()}


@lru_cache(maxsize=1)
def _domain_counts() -> tuple[dict[str, int], int]:
    """How often each word occurs in the training examples (jieba's dictionary segmentation)."""
    counts: dict[str, int] = {}
    for path in sorted(TRAINING_DATA.glob("*.yml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            example = line.strip()
            if not example.startswith("- ") or ":" in example[:20]:
                continue
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", example[2:])  # [满意](rating) → 满意
            for word in _jieba().cut(text, HMM=False):
                if word.strip():
                    counts[word] = counts.get(word, 0) + 1
    return counts, max(1, sum(counts.values()))


@lru_cache(maxsize=1)
def _pinyin_index() -> _PinyinIndex:
    """Toneless syllables → the most probable word: jieba's words (``MIN_WORD_FREQUENCY`` and up)
    read by pypinyin's phrase dictionary or, where it has none, by each character's common reading;
    single characters by every reading, the uncommon ones at ``RARE_READING`` of the weight (会 is
    kuai only in 会计); ``PINYIN_PREFERRED`` at least as probable as ``PREFERRED_FREQUENCY``. The
    probability mixes jieba's (general Chinese) with the training data's (``DOMAIN_SHARE``)."""
    from pypinyin.phrases_dict import phrases_dict

    freq = _frequencies()
    total = _jieba().dt.total
    domain, domain_total = _domain_counts()
    primary = _primary_readings()
    best: dict[tuple[str, ...], tuple[str, float]] = {}

    def offer(word: str, syllables: tuple[str, ...], count: float, weight: float = 1.0) -> None:
        probability = weight * ((1 - DOMAIN_SHARE) * count / total + DOMAIN_SHARE * domain.get(word, 0) / domain_total)
        if probability <= 0:
            return
        score = math.log(probability)
        if syllables not in best or score > best[syllables][1]:
            best[syllables] = (word, score)

    for word, count in freq.items():
        if 2 <= len(word) <= MAX_WORD_SYLLABLES and count >= MIN_WORD_FREQUENCY:
            readings = phrases_dict.get(word)
            if readings and len(readings) == len(word):
                offer(word, tuple(_toneless(r[0]) for r in readings), count)
            elif all(ch in primary for ch in word):
                offer(word, tuple(primary[ch] for ch in word), count)
    for code, readings in _pinyin_dict().items():
        char = chr(code)
        count = freq.get(char) or 0
        for syllable in {_toneless(r) for r in readings.split(",")}:
            offer(char, (syllable,), count, 1.0 if syllable == primary[char] else RARE_READING)
    for word in PINYIN_PREFERRED:
        readings = phrases_dict.get(word)
        syllables = tuple(_toneless(r[0]) for r in readings) if readings and len(readings) == len(word) else tuple(primary[ch] for ch in word)
        offer(word, syllables, max(freq.get(word) or 0, PREFERRED_FREQUENCY / (1 - DOMAIN_SHARE)))
    return _PinyinIndex({key: word for key, word in best.items() if not set(key) & INTERJECTIONS})


# --- the steps ---------------------------------------------------------------------------------


def _fold(text: str) -> tuple[str, list[tuple[int, int]]]:
    """NFKC per character (full width → half width), then traditional → simplified."""
    out: list[str] = []
    origin: list[tuple[int, int]] = []
    for index, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded)
        origin += [(index, index + 1)] * len(folded)
    folded = "".join(out)
    return (_simplified(folded) if HAN.search(folded) else folded), origin


def _simplified(text: str) -> str:
    """OpenCC's conversion, by phrase where it keeps the length, else character by character."""
    converted = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(s if len(s := _t2s().convert(c)) == 1 else c for c in text)


def _syllabify(chunk: str, syllables: frozenset[str]) -> list[list[str]]:
    """Every way to split one space-free chunk of letters into pinyin syllables (few in practice)."""
    ways: list[list[list[str]]] = [[] for _ in range(len(chunk) + 1)]
    ways[0] = [[]]
    for end in range(1, len(chunk) + 1):
        for start in range(max(0, end - MAX_SYLLABLE), end):
            piece = chunk[start:end]
            if piece in syllables and ways[start]:
                ways[end] += [way + [piece] for way in ways[start][:8]]
    return ways[len(chunk)]


def _pinyin_to_hanzi(run: str) -> list[tuple[str, int, int]] | None:
    """(word, start, end in ``run``) for a run of pinyin, or ``None`` when it is not pinyin.

    Syllables never cross the resident's spaces; words may (``kun ren`` is 困人). Among the ways
    to split and spell the letters, the one with the highest product of word probabilities wins;
    a run is read only when at least ``MIN_WORD_COVERAGE`` of its syllables form words.
    """
    positions: list[tuple[str, int, int]] = []  # (syllable, start, end) in run, over every chunk
    for chunk in re.finditer(r"[A-Za-z]+", run):
        ways = _syllabify(chunk.group(0).lower(), _syllables())
        if not ways:
            return None
        way = min(ways, key=len)  # the fewest syllables: xian is 先, not xi an
        at = chunk.start()
        for syllable in way:
            positions.append((syllable, at, at + len(syllable)))
            at += len(syllable)
    if len(positions) < 2:
        return None  # one syllable (you, men, a) is as likely English or a typo
    index = _pinyin_index()  # built only now: ok, WY2026…, B2 never get here
    n = len(positions)
    best: list[tuple[float, list[tuple[str, int, int]]] | None] = [None] * (n + 1)
    best[0] = (0.0, [])
    for start in range(n):
        if best[start] is None:
            continue
        score, path = best[start]  # type: ignore[misc]
        for length in range(1, min(MAX_WORD_SYLLABLES, n - start) + 1):
            key = tuple(p[0] for p in positions[start : start + length])
            found = index.words.get(key)
            if not found:
                continue
            word, word_score = found
            candidate = (score + word_score, path + [(word, positions[start][1], positions[start + length - 1][2])])
            if best[start + length] is None or candidate[0] > best[start + length][0]:  # type: ignore[index]
                best[start + length] = candidate
    if best[n] is None:
        return None
    words = best[n][1]
    in_words = sum(len(word) for word, _, _ in words if len(word) > 1)
    return words if in_words >= MIN_WORD_COVERAGE * n else None


def _read_pinyin(text: str, origin: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    if not re.search(r"[A-Za-z]{2}", text):
        return text, origin
    out: list[str] = []
    new_origin: list[tuple[int, int]] = []
    last = 0
    for match in LATIN_RUN.finditer(text):
        words = _pinyin_to_hanzi(match.group(0))
        if words is None:
            continue
        out.append(text[last : match.start()])
        new_origin += origin[last : match.start()]
        for word, start, end in words:
            span = (origin[match.start() + start][0], origin[match.start() + end - 1][1])
            out.append(word)
            new_origin += [span] * len(word)
        last = match.end()
    out.append(text[last:])
    new_origin += origin[last:]
    return "".join(out), new_origin


def _near(written: str, wanted: str) -> bool:
    """The character ``written`` sounds like ``wanted``: a reading in common, or a fuzzy pair."""
    mine, theirs = _readings(written), _readings(wanted)
    if mine & theirs:
        return True
    return any(_fuzzy_equal(a, b) for a in mine for b in theirs)


@lru_cache(maxsize=4096)
def _fuzzy_equal(a: str, b: str) -> bool:
    return _fuzzy_key(a) == _fuzzy_key(b)


def _fuzzy_key(syllable: str) -> str:
    initial = next((i for i in ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z", "c", "s", "y", "w") if syllable.startswith(i)), "")
    final = syllable[len(initial) :]
    for long, short in FUZZY_INITIALS:
        if initial == long:
            initial = short
    for long, short in FUZZY_FINALS:
        if final == long:
            final = short
    return f"{initial}|{final}"


@lru_cache(maxsize=1)
def _watched() -> dict[str, list[tuple[str, int]]]:
    """Each character → the watched words holding it, and at which position."""
    by_char: dict[str, list[tuple[str, int]]] = {}
    for word in WATCHED_WORDS:
        for position, ch in enumerate(word):
            by_char.setdefault(ch, []).append((word, position))
    return by_char


def _word_bounds(text: str) -> set[int]:
    """Where jieba's dictionary segmentation (no guessing of new words) puts word boundaries."""
    bounds = {0}
    at = 0
    for word in _jieba().cut(text, HMM=False):
        at += len(word)
        bounds.add(at)
    return bounds


def _log_probability(word: str) -> float:
    return math.log(_frequencies().get(word) or 1) - math.log(_jieba().dt.total)


def _repair_homophones(text: str) -> str:
    """Read a watched word where the text writes it with one character that sounds alike.

    Candidates that overlap (「5号楼电第」: 楼电 could be 漏电, 电第 could be 电梯) are settled by
    how much more probable the repaired word is than the written characters (jieba's unigram
    frequencies): 电梯 gains more than 漏电, so 楼 stays 楼.
    """
    watched = _watched()
    candidates: list[tuple[float, int, str]] = []  # (gain, start, word)
    bounds: set[int] | None = None
    for index, ch in enumerate(text):
        for word, position in watched.get(ch, ()):
            start = index - position
            end = start + len(word)
            if start < 0 or end > len(text):
                continue
            window = text[start:end]
            differing = [k for k in range(len(word)) if window[k] != word[k]]
            if len(differing) != 1:
                continue
            k = differing[0]
            if not HAN.match(window[k]) or not _near(window[k], word[k]):
                continue
            if _frequencies().get(window):
                continue  # a word of its own: 泄露, 没气
            bounds = bounds if bounds is not None else _word_bounds(text)
            if start not in bounds or end not in bounds:
                continue  # part of another word: 这是火锅 is not 这失火锅
            gain = _log_probability(word) - sum(_log_probability(c) for c in window)
            if gain > 0:
                candidates.append((gain, start, word))
    chars = list(text)
    taken: list[tuple[int, int]] = []
    for _, start, word in sorted(candidates, reverse=True):
        end = start + len(word)
        if all(end <= s or start >= e for s, e in taken):
            chars[start:end] = list(word)
            taken.append((start, end))
    return "".join(chars)


@lru_cache(maxsize=512)
def read(written: str | None) -> Reading:
    """The reading of ``written`` (cached: the tokenizer, the extractor and the guard each ask)."""
    written = written or ""
    text, origin = _fold(written)
    text, origin = _read_pinyin(text, origin)
    if HAN.search(text):
        text = _repair_homophones(text)
    return Reading(text, tuple(origin))


def warm_up() -> None:
    """Load the conversion tables and jieba now, so that the first noisy message does not wait."""
    _t2s()
    _watched()
    _pinyin_index()


__all__ = ["Reading", "WATCHED_WORDS", "read", "warm_up"]
