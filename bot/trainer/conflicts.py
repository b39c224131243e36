"""Conflict checks for a label a trainer gives a text.

Three kinds, each shown to the trainer before anything is saved:

- ``test_set``: the text is, holds or sits inside a sentence of the held-out split
  (``tests/heldout``) or of the external evaluation set — compared as ``bot/nlu/sentences.py``
  says (full width, punctuation and spaces do not count; containment from five characters on).
  Training on it would make every later evaluation a lie, so this one cannot be overridden: such a
  text can only be marked as noise (noise is never exported).
- ``label``: the same or a near-identical text (``difflib`` ratio ≥ 0.9 of their sentence keys) already
  carries another label, in an annotation or in ``nlu_data/``. The trainer may override.
- ``guard``: the label contradicts the emergency guard (``bot/nlu/emergency.py``): the guard calls the
  text a live emergency but the label is not ``emergency``, or the other way round. The trainer may
  override (the guard's lexicon is not the truth either).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from bot.evaluation.datasets import EXTERNAL_TSV, external_examples, heldout_examples, robustness_examples
from bot.nlu.emergency import assess
from bot.nlu.sentences import Match, SentenceIndex, sentence_key
from bot.settings import PROJECT_ROOT

NEAR_IDENTICAL = 0.9
EMERGENCY = "emergency"


@dataclass(frozen=True)
class Conflict:
    kind: str  # test_set | label | guard
    message: str  # for the trainer, in Chinese
    overridable: bool
    other_text: str = ""
    other_label: str = ""
    source: str = ""  # heldout | external | annotation | nlu_data | guard

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LabelledText:
    text: str
    label: str
    source: str  # annotation | nlu_data


def similar(a: str, b: str) -> float:
    """``difflib`` ratio of two sentence keys (1.0 when equal)."""
    if a == b:
        return 1.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < NEAR_IDENTICAL or matcher.quick_ratio() < NEAR_IDENTICAL:
        return 0.0
    return matcher.ratio()


def same_label(a: str, b: str) -> bool:
    """``inquiry`` and ``inquiry/parking`` agree; ``inquiry/parking`` and ``inquiry/pets`` do not."""
    if "/" in a and "/" in b:
        return a == b
    return a.split("/", 1)[0] == b.split("/", 1)[0]


def _signature(paths: Iterable[Path]) -> tuple[tuple[str, float], ...]:
    return tuple((str(p), p.stat().st_mtime) for p in sorted(paths) if p.exists())


@lru_cache(maxsize=4)
def _nlu_examples_cached(signature: tuple[tuple[str, float], ...]) -> tuple[LabelledText, ...]:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    examples: list[LabelledText] = []
    for path, _mtime in signature:
        if not RasaYAMLReader.is_yaml_nlu_file(path):
            continue  # rules, stories, responses
        for message in RasaYAMLReader().read(path).intent_examples:
            label = message.get("intent_response_key") or message.get("intent")
            if message.get("text") and label:
                examples.append(LabelledText(message.get("text"), label, "nlu_data"))
    return tuple(examples)


def nlu_examples(root: Path = PROJECT_ROOT) -> tuple[LabelledText, ...]:
    """Every intent example in ``nlu_data/*.yml`` (re-read when a file changes)."""
    return _nlu_examples_cached(_signature((root / "nlu_data").glob("*.yml")))


@lru_cache(maxsize=4)
def _evaluation_cached(
    heldout: tuple[tuple[str, float], ...], external: tuple[tuple[str, float], ...], robustness: tuple[tuple[str, float], ...] = ()
) -> SentenceIndex[tuple[str, str]]:
    items: list[tuple[str, tuple[str, str]]] = []
    if heldout:
        items += [(e.text, (e.text, "heldout")) for e in heldout_examples(Path(heldout[0][0]).parent)]
    if external:
        items += [(e.text, (e.text, "external")) for e in external_examples(Path(external[0][0]))]
    for path, _ in robustness:
        items += [(e.text, (e.text, "robustness")) for e in robustness_examples(Path(path))]
    return SentenceIndex(items)


def evaluation_sentences(root: Path = PROJECT_ROOT, external: Path = EXTERNAL_TSV) -> SentenceIndex[tuple[str, str]]:
    """Every evaluation sentence, valued (original text, ``heldout`` | ``external`` | ``robustness``:
    the noisy-text and device-fault sets in ``tests/robustness``); re-read when a file changes. A
    sentence in several sets counts as held-out first."""
    return _evaluation_cached(
        _signature((root / "tests" / "heldout").glob("*.yml")),
        _signature([external]),
        _signature((root / "tests" / "robustness").glob("*.tsv")),
    )


def evaluation_match(text: str, root: Path = PROJECT_ROOT, external: Path = EXTERNAL_TSV) -> Match[tuple[str, str]] | None:
    """The evaluation sentence ``text`` is, holds or sits inside (the same one first), if any."""
    return evaluation_sentences(root, external).find(text)


def in_test_set(text: str, root: Path = PROJECT_ROOT) -> tuple[str, str] | None:
    """(the evaluation sentence, its set) when ``text`` may not become training data because of it."""
    found = evaluation_match(text, root)
    return found.value if found else None


EVALUATION_SET_NAMES = {"heldout": "留出测试集（tests/heldout）", "external": "外部评测集", "robustness": "鲁棒性评测集（tests/robustness）"}


def evaluation_set_name(where: str) -> str:
    return EVALUATION_SET_NAMES[where]


def test_set_conflict(text: str, root: Path = PROJECT_ROOT) -> Conflict | None:
    found = evaluation_match(text, root)
    if found is None:
        return None
    original, where = found.value
    name = evaluation_set_name(where)
    if found.relation == "same":
        message = f"这句话在{name}中，不能用作训练数据，只能标为噪声"
    elif found.relation == "contains":
        message = f"这句话包含{name}中的「{original}」，不能用作训练数据，只能标为噪声"
    else:
        message = f"这句话是{name}中「{original}」的一部分，不能用作训练数据，只能标为噪声"
    return Conflict("test_set", message, False, original, "", where)


def guard_conflict(text: str, label: str) -> Conflict | None:
    result = assess(text)
    labelled_emergency = label.split("/", 1)[0] == EMERGENCY
    if result.is_emergency and not labelled_emergency:
        found = "、".join(dict.fromkeys(result.matched)) or "危险词"
        return Conflict("guard", f"紧急守卫判定这是正在发生的紧急情况（命中：{found}），但标注不是紧急求助", True, "", EMERGENCY, "guard")
    if labelled_emergency and not result.is_emergency:
        why = "有事后/假设的说法" if result.danger_types else "没有命中任何危险词"
        return Conflict("guard", f"标注为紧急求助，但紧急守卫不认为是正在发生的紧急情况（{why}）", True, "", "", "guard")
    return None


def label_conflicts(text: str, label: str, labelled: Iterable[LabelledText], limit: int = 5) -> list[Conflict]:
    """Same or near-identical texts with a different label (at most ``limit``, most similar first)."""
    mine = sentence_key(text)
    if not mine:
        return []
    found: list[tuple[float, LabelledText]] = []
    for other in labelled:
        if same_label(label, other.label):
            continue
        score = similar(mine, sentence_key(other.text))
        if score >= NEAR_IDENTICAL:
            found.append((score, other))
    found.sort(key=lambda pair: -pair[0])
    conflicts = []
    for score, other in found[:limit]:
        where = "已有标注" if other.source == "annotation" else "训练数据（nlu_data）"
        how = "相同" if score == 1.0 else f"几乎相同（相似度 {score:.2f}）"
        conflicts.append(Conflict("label", f"{where}中有{how}的句子标为「{other.label}」", True, other.text, other.label, other.source))
    return conflicts
