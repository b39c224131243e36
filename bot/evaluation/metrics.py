"""Classification metrics for the four intake classes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

CORE_CLASSES = ("inquiry", "repair", "complaint", "emergency")
# Dialogue intents that belong to an intake class; everything else counts as "other".
INTENT_TO_CLASS = {name: name for name in CORE_CLASSES} | {"ticket_status": "inquiry"}


def intake_class(intent: str | None) -> str:
    base = (intent or "").split("/", 1)[0]
    return INTENT_TO_CLASS.get(base, "other")


@dataclass
class ClassReport:
    precision: float
    recall: float
    f1: float
    support: int


def report(gold: list[str], predicted: list[str]) -> dict:
    """Per-class precision/recall/F1 over the core classes, macro-F1, accuracy, confusion."""
    per_class: dict[str, ClassReport] = {}
    for name in CORE_CLASSES:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == name and p == name)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != name and p == name)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == name and p != name)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = ClassReport(precision, recall, f1, tp + fn)
    present = [c for c in CORE_CLASSES if per_class[c].support]
    macro = sum(per_class[c].f1 for c in present) / len(present) if present else 0.0
    confusion = Counter(zip(gold, predicted, strict=True))
    return {
        "n": len(gold),
        "accuracy": sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold) if gold else 0.0,
        "macro_f1": macro,
        "per_class": {c: vars(per_class[c]) for c in CORE_CLASSES},
        "emergency_recall": per_class["emergency"].recall,
        "confusion": {f"{g}->{p}": n for (g, p), n in sorted(confusion.items())},
    }
