"""``python -m bot bench nlu``: accuracy, speed and memory of the NLU model.

Reports macro-F1, per-class precision/recall and emergency recall on the held-out split and on
the external set (hard negatives and ambiguous rows reported apart); how many held-out questions get their own
topic's answer (``inquiry/<topic>``, the ResponseSelector's choice); on the robustness sets
(``tests/robustness``) the noisy set's emergency recall and the false-alarm rate on device faults;
training time, the latency of Rasa's ``/model/parse`` over HTTP (p50/p95) and the peak memory of
each process; on the answerability sets (``tests/answerability``, issue 13 §3: questions.tsv, fresh.tsv, outside.tsv) the rates of
questions answered correctly and handed over honestly (bot.bench.answerability).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.bench import answerability
from bot.bench.parsing import parse
from bot.evaluation.datasets import (
    AMBIGUOUS,
    DEVICE_FAULTS_TSV,
    EXTERNAL_TSV,
    NOISY_TSV,
    Example,
    external_examples,
    heldout_examples,
    robustness_examples,
    split_hard_negatives,
)
from bot.evaluation.metrics import intake_class, report
from bot.modeling import train
from bot.processes import Stack, free_port, peak_memory_mb
from bot.serving import model_for_data


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def chosen_topic(result: dict[str, Any]) -> str | None:
    """The ``inquiry/<topic>`` the ResponseSelector chose for a parse result."""
    selected = ((result.get("response_selector") or {}).get("inquiry") or {}).get("response") or {}
    return selected.get("intent_response_key")


def evaluate(port: int, examples: list[Example], topics: list[dict] | None = None) -> tuple[dict, list[dict], list[float]]:
    """Four-class metrics; with ``topics``, each inquiry example's gold and chosen topic is added to it."""
    predicted, latencies, mistakes = [], [], []
    for example in examples:
        started = time.perf_counter()
        result = parse(port, example.text)
        latencies.append((time.perf_counter() - started) * 1000)
        label = intake_class((result.get("intent") or {}).get("name"))
        predicted.append(label)
        if label != example.label:
            mistakes.append({"text": example.text, "gold": example.label, "predicted": label, "flag": example.flag})
        if topics is not None and example.intent.startswith("inquiry/"):
            topics.append({"text": example.text, "gold": example.intent, "class": label, "chosen": chosen_topic(result)})
    return report([e.label for e in examples], predicted), mistakes, latencies


def topic_section(rows: list[dict]) -> dict:
    """How often the held-out questions get their own topic's answer (the ResponseSelector's choice
    among ``inquiry/<topic>``), counted over every labelled question, whatever the class chosen."""
    right = [r for r in rows if r["chosen"] == r["gold"] and r["class"] == "inquiry"]
    return {"n": len(rows), "correct": len(right), "accuracy": len(right) / len(rows) if rows else 0.0, "mistakes": [r for r in rows if r not in right]}


def external_section(port: int) -> dict:
    main, hard = split_hard_negatives(external_examples())
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


def false_alarms(examples: list[Example], mistakes: list[dict]) -> dict:
    """How many messages that are not emergencies were read as one, by kind of message."""
    calm = [e for e in examples if e.label != "emergency"]
    alarms = [m for m in mistakes if m["predicted"] == "emergency" and m["gold"] != "emergency"]
    by_kind = {kind: {"n": sum(e.flag == kind for e in calm), "alarms": sum(m["flag"] == kind for m in alarms)} for kind in dict.fromkeys(e.flag for e in calm)}
    return {"n": len(calm), "alarms": len(alarms), "rate": len(alarms) / len(calm) if calm else 0.0, "by_kind": by_kind}


def robustness_section(port: int, path: Path) -> dict:
    """Metrics on one robustness set, its false alarms, and emergency recall per kind of noise."""
    examples = robustness_examples(path)
    metrics, mistakes, latencies = evaluate(port, examples)
    emergencies = [e for e in examples if e.label == "emergency"]
    missed = [m for m in mistakes if m["gold"] == "emergency"]
    recall_by_kind = {
        kind: 1 - sum(m["flag"] == kind for m in missed) / n
        for kind in dict.fromkeys(e.flag for e in emergencies)
        if (n := sum(e.flag == kind for e in emergencies))
    }
    return {
        "metrics": metrics,
        "false_alarms": false_alarms(examples, mistakes),
        "emergency_recall_by_kind": recall_by_kind,
        "mistakes": mistakes,
        "latencies": latencies,
    }


def run(models_dir: Path, measure_training: bool = True, repeats: int = 3) -> dict:
    results: dict[str, Any] = {}
    if measure_training:
        with tempfile.TemporaryDirectory() as scratch:
            _, seconds = train(Path(scratch) / "model", name="bench", cache_dir=Path(scratch) / "cache")
        results["training_seconds"] = round(seconds, 1)
    model = model_for_data(models_dir)
    stack = Stack(model, rasa_port=free_port(), actions_port=free_port(), log_dir=Path(tempfile.mkdtemp()))
    with stack:
        port = stack.rasa_port
        parse(port, "预热")
        topics: list[dict] = []
        heldout, heldout_mistakes, latencies = evaluate(port, heldout_examples(), topics)
        results["heldout"] = heldout | {"mistakes": heldout_mistakes}
        results["heldout_topics"] = topic_section(topics)
        if EXTERNAL_TSV.exists():
            external = external_section(port)
            latencies += external.pop("latencies")
            results["external"] = external
        else:
            results["external"] = {"missing": str(EXTERNAL_TSV)}
        for name, path in (("noisy", NOISY_TSV), ("device_faults", DEVICE_FAULTS_TSV)):
            section = robustness_section(port, path)
            latencies += section.pop("latencies")
            results[name] = section
        results["answerability"] = answerability.evaluate_sets(lambda text: parse(port, text))
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
    topics = results.get("heldout_topics")
    if topics:
        lines.append(f"heldout topics (inquiry/<topic>): {topics['correct']}/{topics['n']} = {topics['accuracy']:.3f} given their own topic's answer")
    for name, title in (("noisy", "noisy writing (tests/robustness/noisy.tsv)"), ("device_faults", "device faults (tests/robustness/device_faults.tsv)")):
        section = results.get(name)
        if not section:
            continue
        metrics, alarms = section["metrics"], section["false_alarms"]
        lines.append(
            f"{title}: n={metrics['n']} accuracy={metrics['accuracy']:.3f} emergency recall={metrics['emergency_recall']:.3f} "
            f"(n={metrics['per_class']['emergency']['support']}); false alarms {alarms['alarms']}/{alarms['n']} = {alarms['rate']:.3f}"
        )
        lines.append("  emergency recall by kind: " + ", ".join(f"{k} {v:.2f}" for k, v in section["emergency_recall_by_kind"].items()))
        lines.append("  false alarms by kind: " + ", ".join(f"{k} {v['alarms']}/{v['n']}" for k, v in alarms["by_kind"].items()))
    if results.get("answerability"):
        lines += answerability.format_sets(results["answerability"])
    latency = results.get("parse_latency_ms")
    if latency:
        lines.append(f"/model/parse latency over HTTP: p50={latency['p50']} ms p95={latency['p95']} ms (n={latency['n']})")
    if results.get("peak_memory_mb"):
        lines.append("peak memory: " + ", ".join(f"{k} {v} MiB" for k, v in results["peak_memory_mb"].items()))
    return "\n".join(lines)
