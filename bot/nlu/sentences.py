"""When two texts are "the same sentence", and when one sits inside the other.

One comparison for every place that asks: the trainer's export (a label already in the training
data, or in an evaluation set), the trainer's conflict checks (``annotate``, the inbox's test-set
mark, agents' class corrections), and the test suite's leak check between ``nlu_data/`` and the
evaluation sets. The rule it serves is the external set's: "none of these texts (nor trivial edits
of them) may appear in the training data" (``shared/eval/README.md``); the held-out split
(``tests/heldout``) is kept unseen the same way.

The key (``sentence_key``):

- NFKC: full width folds to half width (``３栋`` → ``3栋``, ``！`` → ``!``, ``ＡＢ`` → ``AB``) and
  compatibility forms to plain ones (``①`` → ``1``, ``㎡`` → ``m2``): what one input method or
  another produces compares equal;
- ``casefold``: ``OK`` and ``ok`` are one word;
- then only letters and digits (Unicode categories L and N) are kept: punctuation, symbols (emoji
  among them), combining marks and every kind of whitespace go. Residents separate clauses with
  spaces, commas or nothing, and add ``！！`` or 🙏 without saying anything else.

Deliberately *not* folded, because "the same sentence" does not need it:

- traditional and simplified characters (``電梯`` ≠ ``电梯``): the key stays what the resident
  wrote. How the model *reads* a text (OpenCC's conversion, pinyin, typos of danger words) is
  ``bot/nlu/reading.py``; the leak check compares evaluation sentences and training examples as
  written and as read (``tests/test_training_data_leaks.py``), and still checks the hand-made
  simplified writing of the held-out split's nine traditional-script sentences;
- Chinese and Arabic numerals (``三号楼`` ≠ ``3号楼``), synonyms and typos: another wording is
  another sentence. Near-identical wording with a different label is the trainer's label conflict
  (``difflib`` on these keys, ``bot/trainer/conflicts.py``), not sameness.

Containment counts both ways, but only when the shorter key has at least ``MIN_CONTAINED``
characters. Four characters or fewer are one or two words — 电梯坏了, 我要投诉, 楼上漏水, 油烟扰民 —
the vocabulary every text of the domain shares: forbidding them inside other sentences would forbid
talking about property management at all. From five characters on the shorter text is a clause with
a meaning of its own: 插座不通电, 物业不管事, 家里被盗了 are whole held-out sentences, and a training
example that holds one of them (or sits inside an evaluation sentence) teaches the model part of the
answer.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

MIN_CONTAINED = 5
KEPT_CATEGORIES = ("L", "N")  # letters and digits; P, S, Z, M, C are dropped

Relation = Literal["same", "contains", "inside"]  # the text is / holds / is part of the other one
T = TypeVar("T")


def sentence_key(text: str | None) -> str:
    """The comparison key of a text: NFKC, case-folded, letters and digits only."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in KEPT_CATEGORIES)


def relation(key: str, other: str) -> Relation | None:
    """How the key ``key`` stands to the key ``other``: the same, holding it, inside it, or apart."""
    if not key or not other:
        return None
    if key == other:
        return "same"
    if len(other) >= MIN_CONTAINED and other in key:
        return "contains"
    if len(key) >= MIN_CONTAINED and key in other:
        return "inside"
    return None


@dataclass(frozen=True)
class Match(Generic[T]):
    relation: Relation
    key: str  # the key of the sentence found
    value: T  # what the index keeps for it (its original text, where it comes from)


class SentenceIndex(Generic[T]):
    """A set of sentences, each with a value, searched by ``relation`` in a few microseconds.

    The trainer's inbox asks for every message it lists, so the search is not a loop over all
    sentences: equality is a dict lookup; sentences inside a text are found through their first
    ``MIN_CONTAINED`` characters (one lookup per position of the text); a text inside a sentence
    is one substring search in all keys joined by a newline (keys never contain one).
    """

    def __init__(self, items: Iterable[tuple[str, T]]) -> None:
        self._values: dict[str, T] = {}
        for text, value in items:
            key = sentence_key(text)
            if key:
                self._values.setdefault(key, value)  # the first source given wins
        self._keys = list(self._values)
        self._by_head: dict[str, list[str]] = {}
        for key in self._keys:
            if len(key) >= MIN_CONTAINED:
                self._by_head.setdefault(key[:MIN_CONTAINED], []).append(key)
        self._joined = "\n".join(self._keys)
        self._starts: list[int] = []
        position = 0
        for key in self._keys:
            self._starts.append(position)
            position += len(key) + 1

    def __len__(self) -> int:
        return len(self._keys)

    def find_all(self, text: str) -> list[Match[T]]:
        """Every sentence ``text`` is, holds or sits inside: the same first, then those it holds,
        then those it is part of."""
        key = sentence_key(text)
        if not key:
            return []
        found: list[Match[T]] = []
        if key in self._values:
            found.append(Match("same", key, self._values[key]))
        held: dict[str, None] = {}
        for start in range(len(key) - MIN_CONTAINED + 1):
            for other in self._by_head.get(key[start : start + MIN_CONTAINED], ()):
                if other != key and key.startswith(other, start):
                    held.setdefault(other)
        found += [Match("contains", other, self._values[other]) for other in held]
        if len(key) >= MIN_CONTAINED:
            position = self._joined.find(key)
            while position != -1:
                index = bisect_right(self._starts, position) - 1
                other = self._keys[index]
                if other != key:
                    found.append(Match("inside", other, self._values[other]))
                following = index + 1
                position = self._joined.find(key, self._starts[following]) if following < len(self._keys) else -1
        return found

    def find(self, text: str) -> Match[T] | None:
        """The first of ``find_all``: the same sentence when there is one."""
        matches = self.find_all(text)
        return matches[0] if matches else None
