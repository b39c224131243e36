"""The evaluation sets: the held-out split in tests/heldout, the external TSV, and the robustness
sets in tests/robustness (noisy writing, device faults; written for issue 12, never trained on)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from bot.evaluation.metrics import intake_class
from bot.settings import PROJECT_ROOT, shared_dir

HELDOUT_DIR = PROJECT_ROOT / "tests" / "heldout"
ROBUSTNESS_DIR = PROJECT_ROOT / "tests" / "robustness"
# Pinyin, homophone typos, traditional script and full width, each row labelled with its class.
NOISY_TSV = ROBUSTNESS_DIR / "noisy.tsv"
# Device faults that share letters with a danger (热水器打不着火, 电梯门关不上), labelled repair, and
# beside them dangers named at a device (燃气灶有煤气味), labelled emergency.
DEVICE_FAULTS_TSV = ROBUSTNESS_DIR / "device_faults.tsv"
# Questions a community's record answers and questions it does not (issue 13 §3; written for it,
# never trained on): ``expect`` answer|handover, ``topic`` (the topic whose answer has the fact, or
# the nearest topic whose answer does not), ``text``.
ANSWERABILITY_TSV = PROJECT_ROOT / "tests" / "answerability" / "questions.tsv"
# The same columns, written afresh (2026-12-04) before the coverage rules were changed again and never
# read while tuning them: questions.tsv was read while the rules were written, so its rates flatter.
FRESH_ANSWERABILITY_TSV = PROJECT_ROOT / "tests" / "answerability" / "fresh.tsv"
# The same columns again, written on 2026-12-05 by someone who had read neither the other sets, the
# training examples nor the model's misses — only the first community's record — and committed
# before it was first measured: fresh.tsv's misses had been read by then, so its rates flatter too.
OUTSIDE_ANSWERABILITY_TSV = PROJECT_ROOT / "tests" / "answerability" / "outside.tsv"
# The same columns once more, written on 2026-12-05 (evening) the same way as outside.tsv, after
# outside.tsv's misses had been read and before the coverage rules were changed for them.
STREET_ANSWERABILITY_TSV = PROJECT_ROOT / "tests" / "answerability" / "street.tsv"
LANE_ANSWERABILITY_TSV = PROJECT_ROOT / "tests" / "answerability" / "lane.tsv"
# Each answerability set by the name the bench reports it under.
ANSWERABILITY_SETS = {"questions": ANSWERABILITY_TSV, "fresh": FRESH_ANSWERABILITY_TSV, "outside": OUTSIDE_ANSWERABILITY_TSV, "street": STREET_ANSWERABILITY_TSV, "lane": LANE_ANSWERABILITY_TSV}
# Sets whose misses the benchmarks do not print (bot.bench.answerability): nobody has read them, so
# the next change of the coverage rules or the inquiry data can be measured on them.
UNREAD_ANSWERABILITY_SETS = frozenset({"lane"})
EXTERNAL_NAME = Path("eval") / "external_real.tsv"
WORKPLACE_SHARED = Path("/work/shared")  # where this workplace keeps ../shared for every checkout
# Flags of external rows: emergency words without an emergency (reported apart, tolerated false
# alarms), and rows whose label people disagree on (reported with and without them).
HARD_NEGATIVE = "emergency_word_hard_negative"
AMBIGUOUS = "ambiguous"


def find_external_tsv(root: Path = PROJECT_ROOT) -> Path:
    """The external evaluation set (test only, never trained on): ``$WUYE_SHARED_DIR``, else the
    ``shared`` directory next to the checkout or next to any of its parents (a clone elsewhere, such
    as CI's), else the workplace's ``/work/shared``. When none has it, the first candidate is
    returned (and reading it fails with a clear path)."""
    configured = shared_dir()
    candidates = [configured] if configured else []
    candidates += [parent / "shared" for parent in root.parents] + [WORKPLACE_SHARED]
    for directory in candidates:
        if (directory / EXTERNAL_NAME).is_file():
            return directory / EXTERNAL_NAME
    return candidates[0] / EXTERNAL_NAME


EXTERNAL_TSV = find_external_tsv()


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # the intake class, or "other"
    intent: str  # the full intent as labelled
    flag: str = ""


def heldout_examples(directory: Path = HELDOUT_DIR) -> list[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(directory))
    examples = []
    for message in data.intent_examples:
        intent = message.get("intent")
        # a retrieval intent's full name (inquiry/<topic>) is its response key
        examples.append(Example(message.get("text"), intake_class(intent), message.get("intent_response_key") or intent))
    return examples


def external_examples(path: Path = EXTERNAL_TSV) -> list[Example]:
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [Example(row["text"], row["label"], row["label"], row.get("flag") or "") for row in rows]


def split_hard_negatives(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """(the rows scored, the hard negatives reported apart) of the external set."""
    return [e for e in examples if e.flag != HARD_NEGATIVE], [e for e in examples if e.flag == HARD_NEGATIVE]


def robustness_examples(path: Path) -> list[Example]:
    """A robustness set (``label``, ``text``, ``kind``); the kind goes into ``flag``."""
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [Example(row["text"], row["label"], row["label"], row.get("kind") or "") for row in rows]


@dataclass(frozen=True)
class Question:
    text: str
    expect: str  # "answer" | "handover"
    topic: str


def answerability_questions(path: Path = ANSWERABILITY_TSV) -> list[Question]:
    with path.open(encoding="utf-8") as handle:
        return [Question(row["text"], row["expect"], row["topic"]) for row in csv.DictReader(handle, delimiter="\t")]
