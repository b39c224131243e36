"""The evaluation sets: the held-out split in tests/heldout and the external TSV."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from bot.bench.metrics import intake_class
from bot.settings import PROJECT_ROOT

HELDOUT_DIR = PROJECT_ROOT / "tests" / "heldout"
EXTERNAL_NAME = Path("eval") / "external_real.tsv"
WORKPLACE_SHARED = Path("/work/shared")  # where this workplace keeps ../shared for every checkout


def find_external_tsv(root: Path = PROJECT_ROOT) -> Path:
    """The external evaluation set (test only, never trained on): ``$WUYE_SHARED_DIR``, else the
    ``shared`` directory next to the checkout or next to any of its parents (a clone elsewhere, such
    as CI's), else the workplace's ``/work/shared``. When none has it, the first candidate is
    returned (and reading it fails with a clear path)."""
    candidates = [Path(os.environ["WUYE_SHARED_DIR"])] if os.environ.get("WUYE_SHARED_DIR") else []
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
        examples.append(Example(message.get("text"), intake_class(intent), intent))
    return examples


def external_examples(path: Path = EXTERNAL_TSV) -> list[Example]:
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [Example(row["text"], row["label"], row["label"], row.get("flag") or "") for row in rows]
