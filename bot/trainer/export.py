"""Export trainers' labels into ``nlu_data/annotated.yml`` (Rasa 3.x YAML) and validate the data.

The file is regenerated from the ``annotations`` table on every export: intents sorted, examples
sorted, one line per example, no duplicates, and nothing that is already training data in another
file or part of an evaluation set (the held-out split and the external set stay unseen). "The same
sentence" — and an evaluation sentence held in, or holding, a label's text — is decided by
``bot/nlu/sentences.py``, as for the trainer's conflict checks and the test suite's leak check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import rasa_commands
from bot.clock import utcnow
from bot.evaluation.datasets import EXTERNAL_TSV
from bot.modeling import ANNOTATED_FILE
from bot.nlu.sentences import Match, sentence_key
from bot.settings import PROJECT_ROOT
from bot.storage.models import Annotation
from bot.trainer.conflicts import evaluation_sentences, evaluation_set_name

HEADER = (
    'version: "3.1"\n\n'
    "# Written by `python -m bot trainer export` from the trainers' labels (annotations table).\n"
    "# Regenerated on every export: edit labels in the trainer UI, not here.\n\n"
)

REASON_NOISE = "标记为噪声，不作训练数据"
REASON_EMPTY = "文本为空"
REASON_UNKNOWN_INTENT = "意图不在 domain.yml 中：{intent}"
REASON_IN_TRAINING = "训练数据中已有这句话"
REASON_IN_HELDOUT = "这句话在留出测试集中，不能用于训练"
REASON_IN_EXTERNAL = "这句话在外部评测集中，不能用于训练"
REASON_IN_OTHER_SET = "这句话在{name}中，不能用于训练"
REASON_HOLDS_TEST = "这句话包含{name}中的「{other}」，不能用于训练"
REASON_INSIDE_TEST = "这句话是{name}中「{other}」的一部分，不能用于训练"
REASON_DUPLICATE = "与另一条标注重复（保留最新的一条）"


@dataclass
class ExportResult:
    path: Path
    written: int
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (text, reason)


def one_line(text: str) -> str:
    return " ".join(text.split())


def _nlu_texts(files: list[Path]) -> set[str]:
    from rasa.shared.nlu.training_data.loading import load_data

    texts: set[str] = set()
    for path in files:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if "nlu" in content:
            texts |= {sentence_key(m.get("text")) for m in load_data(str(path)).intent_examples}
    return texts


SAME_REASONS = {"heldout": REASON_IN_HELDOUT, "external": REASON_IN_EXTERNAL}


def evaluation_reason(found: Match[tuple[str, str]]) -> str:
    """Why a label's text stays out of training: the evaluation sentence it is, holds or sits in."""
    other, where = found.value
    if found.relation == "same" and where in SAME_REASONS:
        return SAME_REASONS[where]
    if found.relation == "same":
        return REASON_IN_OTHER_SET.format(name=evaluation_set_name(where))
    template = REASON_HOLDS_TEST if found.relation == "contains" else REASON_INSIDE_TEST
    return template.format(name=evaluation_set_name(where), other=other)


def known_intents(root: Path = PROJECT_ROOT) -> set[str]:
    """Intents of the domain plus retrieval intents ``inquiry/<topic>`` that have an answer."""
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8")) or {}
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents", [])}
    for path in sorted((root / "nlu_data").glob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name in content.get("responses") or {}:
            if name.startswith("utter_") and "/" in name:
                intents.add(name.removeprefix("utter_"))
    return intents


def domain_entities(root: Path = PROJECT_ROOT) -> set[str]:
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8")) or {}
    return {e if isinstance(e, str) else next(iter(e)) for e in domain.get("entities", [])}


def marked_up(text: str, entities: list[dict] | None, allowed: set[str]) -> str:
    """``text`` with Rasa's ``[value](entity)`` markup for valid, non-overlapping spans."""
    spans = []
    for entity in entities or []:
        try:
            start, end, name = int(entity["start"]), int(entity["end"]), str(entity["entity"])
        except (KeyError, TypeError, ValueError):
            continue
        if name in allowed and 0 <= start < end <= len(text):
            spans.append((start, end, name))
    out, position = [], 0
    for start, end, name in sorted(spans):
        if start < position:
            continue
        out += [text[position:start], f"[{text[start:end]}]({name})"]
        position = end
    return "".join(out) + text[position:]


def nlu_yaml(examples: dict[str, list[str]], header: str = HEADER) -> str:
    """Rasa 3.x NLU YAML: intents sorted, examples sorted and unique."""
    lines = [header.rstrip("\n"), "nlu:"] if header else ["nlu:"]
    for intent in sorted(examples):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in sorted(set(examples[intent]))]
    return "\n".join(lines) + "\n"


def export_annotations(session: Session, root: Path = PROJECT_ROOT, external: Path = EXTERNAL_TSV) -> ExportResult:
    path = root / "nlu_data" / ANNOTATED_FILE
    other_files = [p for p in sorted((root / "nlu_data").glob("*.yml")) if p.name != ANNOTATED_FILE]
    training = _nlu_texts(other_files)
    evaluation = evaluation_sentences(root, external)
    intents = known_intents(root)
    entities = domain_entities(root)

    rows = session.execute(select(Annotation).order_by(Annotation.updated_at.desc(), Annotation.id.desc())).scalars().all()
    chosen: dict[str, Annotation] = {}
    skipped: list[tuple[str, str]] = []
    for row in rows:  # newest first: a newer label of the same sentence wins
        text = one_line(row.text or "")
        key = sentence_key(text)
        found = evaluation.find(text) if key else None
        if row.noise:
            skipped.append((text, REASON_NOISE))
        elif not key:
            skipped.append((text, REASON_EMPTY))
        elif not row.intent:
            continue  # not labelled yet
        elif row.intent not in intents:
            skipped.append((text, REASON_UNKNOWN_INTENT.format(intent=row.intent)))
        elif found is not None:
            skipped.append((text, evaluation_reason(found)))
        elif key in training:
            skipped.append((text, REASON_IN_TRAINING))
        elif key in chosen:
            skipped.append((text, REASON_DUPLICATE))
        else:
            chosen[key] = row

    examples: dict[str, list[str]] = {}
    for row in chosen.values():
        # entity offsets refer to the text as stored, so mark up first, then make it one line
        examples.setdefault(row.intent, []).append(one_line(marked_up(row.text, row.entities, entities)))
    if examples:
        path.write_text(nlu_yaml(examples), encoding="utf-8")
    elif path.exists():
        path.unlink()  # nothing labelled any more: no empty intent list for Rasa to reject
    now = utcnow()
    for row in chosen.values():
        row.exported_at = now
    session.flush()
    return ExportResult(path=path, written=len(chosen), skipped=skipped)


def validate_data(root: Path = PROJECT_ROOT, config: Path | None = None) -> tuple[bool, str]:
    """``rasa data validate`` on the project's data; (passed, its output)."""
    result = rasa_commands.data_validate(root, config).run(capture_output=True, text=True)
    output = (result.stdout + result.stderr).strip()
    return result.returncode == 0, output[-8000:]
