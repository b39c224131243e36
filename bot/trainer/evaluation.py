"""Evaluate a model on the fixed held-out split and the external set, the way the bench does.

``evaluate_model`` runs the parsing in a subprocess (``python -m bot.trainer.evaluation MODEL``)
so that the caller (web gateway, background job) never loads TensorFlow itself. Retrieval intents
``inquiry/<topic>`` count as ``inquiry``; the external set's hard negatives (emergency words
without an emergency) are reported apart, as in ``python -m bot bench nlu``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
from pathlib import Path

from bot import rasa_commands
from bot.evaluation.datasets import EXTERNAL_TSV, HELDOUT_DIR, Example, external_examples, heldout_examples, split_hard_negatives
from bot.evaluation.metrics import CORE_CLASSES, intake_class, report

LABELS = (*CORE_CLASSES, "other")
MAX_MISTAKES = 100


def split_metrics(examples: list[Example], predicted: list[str]) -> dict:
    """The contract's Split: macro-F1, emergency recall, per-intent P/R/F1, confusion matrix."""
    gold = [e.label for e in examples]
    base = report(gold, predicted)
    pairs = list(zip(gold, predicted, strict=True))
    labels = [label for label in LABELS if label != "other" or "other" in gold or "other" in predicted]
    matrix = [[sum(1 for g, p in pairs if g == row and p == col) for col in labels] for row in labels]
    mistakes = [
        {"text": e.text, "gold": e.label, "predicted": p, "flag": e.flag}
        for e, p in zip(examples, predicted, strict=True)
        if e.label != p
    ]
    return {
        "n": base["n"],
        "accuracy": base["accuracy"],
        "macro_f1": base["macro_f1"],
        "emergency_recall": base["emergency_recall"],
        "per_intent": base["per_class"],
        "confusion": {"labels": labels, "matrix": matrix},
        "mistakes": mistakes[:MAX_MISTAKES],
    }


def _evaluate_in_process(model_path: Path, heldout_dir: Path, external_path: Path) -> dict:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))

    async def classify(texts: list[str]) -> list[str]:
        results = []
        for text in texts:
            parsed = await agent.parse_message(text)
            results.append(intake_class((parsed.get("intent") or {}).get("name")))
        return results

    heldout = heldout_examples(heldout_dir)
    results = {"model": model_path.name, "heldout": split_metrics(heldout, asyncio.run(classify([e.text for e in heldout])))}
    if external_path.exists():
        main, hard = split_hard_negatives(external_examples(external_path))
        external = split_metrics(main, asyncio.run(classify([e.text for e in main])))
        hard_predicted = asyncio.run(classify([e.text for e in hard]))
        external["hard_negatives"] = len(hard)
        external["hard_negatives_flagged_emergency"] = sum(p == "emergency" for p in hard_predicted)
        results["external"] = external
    return results


def evaluate_model(model_path: Path, heldout_dir: Path = HELDOUT_DIR, external_path: Path = EXTERNAL_TSV) -> dict:
    """{"heldout": Split, "external": Split} for a model file (external missing when the set is)."""
    command = rasa_commands.module(
        "bot.trainer.evaluation", str(Path(model_path).resolve()), "--heldout", str(heldout_dir), "--external", str(external_path)
    )
    result = command.run(capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"evaluation of {model_path} failed: {(result.stderr or result.stdout)[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def confusion_png(metrics_split: dict, title: str = "") -> bytes:
    """The split's confusion matrix as a PNG (rows: labelled class, columns: predicted)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    labels = metrics_split["confusion"]["labels"]
    matrix = metrics_split["confusion"]["matrix"]
    figure = Figure(figsize=(4.6, 4.0), dpi=100)
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=35, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("labelled")
    peak = max((max(row) for row in matrix), default=0) or 1
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            axes.text(j, i, str(value), ha="center", va="center", color="white" if value > peak / 2 else "black", fontsize=9)
    axes.set_title(title or f"macro-F1 {metrics_split['macro_f1']:.3f}  emergency recall {metrics_split['emergency_recall']:.3f}", fontsize=9)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="evaluate a model; prints the metrics as one JSON line")
    parser.add_argument("model")
    parser.add_argument("--heldout", default=str(HELDOUT_DIR))
    parser.add_argument("--external", default=str(EXTERNAL_TSV))
    args = parser.parse_args(argv)
    import logging

    logging.disable(logging.WARNING)
    results = _evaluate_in_process(Path(args.model), Path(args.heldout), Path(args.external))
    sys.stdout.write("\n" + json.dumps(results, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
