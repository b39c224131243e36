"""The evaluation sets: the held-out split in tests/heldout and the external TSV."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from bot.bench.metrics import intake_class
from bot.settings import PROJECT_ROOT

HELDOUT_DIR = PROJECT_ROOT / "tests" / "heldout"
EXTERNAL_TSV = PROJECT_ROOT.parent / "shared" / "eval" / "external_real.tsv"


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
        examples.append(Example(message.get("text"), intake_class(intent), intent))
    return examples


def external_examples(path: Path = EXTERNAL_TSV) -> list[Example]:
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [Example(row["text"], row["label"], row["label"], row.get("flag") or "") for row in rows]
