"""``python -m bot bench nlu``: accuracy, speed and memory of the NLU model.

Reports macro-F1, per-class precision/recall and emergency recall on the held-out split and on
the external set (hard negatives and ambiguous rows reported apart), training time, the latency of
Rasa's ``/model/parse`` over HTTP (p50/p95) and the peak memory of each process.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bot.bench.datasets import EXTERNAL_TSV, Example, external_examples, heldout_examples
from bot.bench.metrics import intake_class, report
from bot.modeling import ensure_model, train
from bot.processes import Stack, free_port, peak_memory_mb

HARD_NEGATIVE = "emergency_word_hard_negative"
AMBIGUOUS = "ambiguous"


def parse(port: int, text: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/model/parse",
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def evaluate(port: int, examples: list[Example]) -> tuple[dict, list[dict], list[float]]:
    predicted, latencies, mistakes = [], [], []
    for example in examples:
        started = time.perf_counter()
        result = parse(port, example.text)
        latencies.append((time.perf_counter() - started) * 1000)
        label = intake_class((result.get("intent") or {}).get("name"))
        predicted.append(label)
        if label != example.label:
            mistakes.append({"text": example.text, "gold": example.label, "predicted": label, "flag": example.flag})
    return report([e.label for e in examples], predicted), mistakes, latencies


def external_section(port: int) -> dict:
    examples = external_examples()
    main = [e for e in examples if e.flag != HARD_NEGATIVE]
    hard = [e for e in examples if e.flag == HARD_NEGATIVE]
    metrics, mistakes, latencies = evaluate(port, main)
    hard_predictions = [intake_class((parse(port, e.text).get("intent") or {}).get("name")) for e in hard]
    ambiguous_mistakes = [m for m in mistakes if m["flag"] == AMBIGUOUS]
    unambiguous = [e for e in main if e.flag != AMBIGUOUS]
    unambiguous_metrics, _, _ = evaluate(port, unambiguous)
    return {
        "metrics": metrics,
        "metrics_without_ambiguous": unambiguous_metrics,
        "ambiguous_rows": sum(e.flag == AMBIGUOUS for e in main),
        "ambiguous_mistakes": len(ambiguous_mistakes),
        "hard_negatives": len(hard),
        "hard_negatives_flagged_emergency": sum(p == "emergency" for p in hard_predictions),
        "mistakes": mistakes,
        "latencies": latencies,
    }


def run(models_dir: Path, measure_training: bool = True, repeats: int = 3) -> dict:
    results: dict[str, Any] = {}
    if measure_training:
        with tempfile.TemporaryDirectory() as scratch:
            _, seconds = train(Path(scratch) / "model", name="bench", cache_dir=Path(scratch) / "cache")
        results["training_seconds"] = round(seconds, 1)
    model = ensure_model(models_dir)
    stack = Stack(model, rasa_port=free_port(), actions_port=free_port(), log_dir=Path(tempfile.mkdtemp()))
    with stack:
        port = stack.rasa_port
        parse(port, "预热")
        heldout, heldout_mistakes, latencies = evaluate(port, heldout_examples())
        results["heldout"] = heldout | {"mistakes": heldout_mistakes}
        if EXTERNAL_TSV.exists():
            external = external_section(port)
            latencies += external.pop("latencies")
            results["external"] = external
        else:
            results["external"] = {"missing": str(EXTERNAL_TSV)}
        for _ in range(repeats - 1):
            for example in heldout_examples():
                started = time.perf_counter()
                parse(port, example.text)
                latencies.append((time.perf_counter() - started) * 1000)
        results["parse_latency_ms"] = {
            "n": len(latencies),
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
            "mean": round(statistics.fmean(latencies), 1),
        }
        results["peak_memory_mb"] = {
            name: round(peak_memory_mb(process.pid) or 0.0, 1) for name, process in stack.processes.items()
        }
    results["model"] = model.name
    return results


def format_report(results: dict) -> str:
    lines = []
    if "training_seconds" in results:
        lines.append(f"full training: {results['training_seconds']} s")
    for name in ("heldout", "external"):
        section = results.get(name) or {}
        metrics = section.get("metrics", section)
        if "macro_f1" not in metrics:
            lines.append(f"{name}: not available ({section})")
            continue
        lines.append(
            f"{name}: n={metrics['n']} macro-F1={metrics['macro_f1']:.3f} accuracy={metrics['accuracy']:.3f} "
            f"emergency recall={metrics['emergency_recall']:.3f}"
        )
        for cls, values in metrics["per_class"].items():
            lines.append(f"  {cls:<10} P={values['precision']:.3f} R={values['recall']:.3f} F1={values['f1']:.3f} n={values['support']}")
        if name == "external":
            clean = section["metrics_without_ambiguous"]
            lines.append(f"  without ambiguous rows: macro-F1={clean['macro_f1']:.3f} (ambiguous rows {section['ambiguous_rows']}, of them misclassified {section['ambiguous_mistakes']})")
            lines.append(f"  hard negatives flagged as emergency: {section['hard_negatives_flagged_emergency']}/{section['hard_negatives']} (tolerated false alarms)")
    latency = results.get("parse_latency_ms")
    if latency:
        lines.append(f"/model/parse latency over HTTP: p50={latency['p50']} ms p95={latency['p95']} ms (n={latency['n']})")
    if results.get("peak_memory_mb"):
        lines.append("peak memory: " + ", ".join(f"{k} {v} MiB" for k, v in results["peak_memory_mb"].items()))
    return "\n".join(lines)
