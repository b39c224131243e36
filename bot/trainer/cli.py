"""``python -m bot trainer …``: the trainer workflow for scripting (output is JSON or plain lines)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot import settings
from bot.settings import DEFAULT_RASA_URL, PROJECT_ROOT


def _print(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _session():  # type: ignore[no-untyped-def]
    from bot.storage import session_scope, upgrade

    upgrade()
    return session_scope()


def cmd_export(args: argparse.Namespace) -> int:
    from bot.trainer.export import export_annotations, validate_data

    with _session() as session:
        result = export_annotations(session, Path(args.root))
    out: dict[str, Any] = {"path": str(result.path), "written": result.written, "skipped": [{"text": t, "reason": r} for t, r in result.skipped]}
    code = 0
    if not args.no_validate:
        ok, output = validate_data(Path(args.root))
        out["validate"] = {"ok": ok, "output_tail": output[-1500:]}
        code = 0 if ok else 1
    _print(out)
    return code


def cmd_validate(args: argparse.Namespace) -> int:
    from bot.trainer.export import validate_data

    ok, output = validate_data(Path(args.root))
    print(output[-4000:])
    print("rasa data validate: " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


def cmd_train(args: argparse.Namespace) -> int:
    from bot.storage import upgrade
    from bot.trainer.jobs import TrainingBusy, job_status, start_training, wait

    upgrade()
    try:
        job_id = start_training(args.by, Path(args.root))
    except TrainingBusy as busy:
        print(str(busy), file=sys.stderr)
        return 2
    print(f"training job {job_id} started")
    last = None
    while True:
        finished = wait(job_id, timeout=2.0)
        with _session() as session:
            status = job_status(session, job_id)
        line = f"[{status['status']}] {status['progress'] * 100:5.1f}% {status['stage']}"
        if line != last:
            print(line, flush=True)
            last = line
        if finished:
            break
    print(status["log_tail"][-1500:])
    _print({k: status[k] for k in ("id", "status", "model_version_id")})
    return 0 if status["status"] == "done" else 1


def cmd_status(args: argparse.Namespace) -> int:
    from bot.trainer.jobs import job_status, latest_job

    with _session() as session:
        status = job_status(session, args.job) if args.job else latest_job(session)
    if status is None:
        print("no training job yet")
        return 0
    _print(status)
    return 0


def _brief(metrics: dict | None) -> dict:
    if not metrics:
        return {}
    return {
        split: {
            "n": metrics[split]["n"],
            "macro_f1": round(metrics[split]["macro_f1"], 4),
            "emergency_recall": round(metrics[split]["emergency_recall"], 4),
            "per_intent": {k: {m: round(v[m], 3) if isinstance(v[m], float) else v[m] for m in ("precision", "recall", "f1", "support")} for k, v in metrics[split]["per_intent"].items()},
            "confusion": metrics[split]["confusion"],
        }
        for split in ("heldout", "external")
        if metrics.get(split)
    }


def cmd_evaluate(args: argparse.Namespace) -> int:
    from bot.storage.models import ModelVersion
    from bot.trainer.evaluation import evaluate_model
    from bot.trainer.registry import ensure_metrics

    if args.model:
        _print(_brief(evaluate_model(Path(args.model))))
        return 0
    if args.version is None:
        print("name a registered version (see `trainer models`) or --model PATH", file=sys.stderr)
        return 1
    with _session() as session:
        version = session.get(ModelVersion, args.version)
        if version is None:
            print(f"no model version {args.version}", file=sys.stderr)
            return 1
        if args.force:
            version.metrics = None
        _print({"id": version.id, "name": version.name, "metrics": _brief(ensure_metrics(session, version))})
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from bot.trainer.evaluation import confusion_png
    from bot.trainer.registry import compare

    with _session() as session:
        try:
            result = compare(session, args.version)
        except LookupError as error:
            print(str(error), file=sys.stderr)
            return 1
    if result.get("same"):  # the active model itself: nothing to compare it with
        print(result["verdict"]["reasons"][0], file=sys.stderr)
        return 3
    if args.pictures:
        folder = Path(args.pictures)
        folder.mkdir(parents=True, exist_ok=True)
        for side in ("candidate", "current"):
            version = result[side]
            for split, metrics in (version.get("metrics") or {}).items():
                if isinstance(metrics, dict) and "confusion" in metrics:
                    target = folder / f"{side}-{version['id']}-{split}.png"
                    target.write_bytes(confusion_png(metrics, f"{version['name']} ({split})"))
                    print(f"wrote {target}", file=sys.stderr)
    _print({
        "candidate": {k: v for k, v in result["candidate"].items() if k != "metrics"} | {"metrics": _brief(result["candidate"]["metrics"])},
        "current": {k: v for k, v in result["current"].items() if k != "metrics"} | {"metrics": _brief(result["current"]["metrics"])},
        "verdict": result["verdict"],
    })
    return 0 if result["verdict"]["ok"] else 3


def _promotion(args: argparse.Namespace, action: str) -> int:
    from bot.trainer import registry

    with _session() as session:
        servers = args.rasa_urls or settings.rasa_urls()  # every server, read when the command runs
        result = registry.promote(session, args.version, servers) if action == "promote" else registry.rollback(session, args.version, servers)
    _print({"ok": result.ok, "reason": result.reason})
    return 0 if result.ok else 1


def cmd_promote(args: argparse.Namespace) -> int:
    return _promotion(args, "promote")


def cmd_rollback(args: argparse.Namespace) -> int:
    return _promotion(args, "rollback")


def cmd_models(args: argparse.Namespace) -> int:
    from bot.trainer.registry import list_versions

    with _session() as session:
        rows = list_versions(session)
    if args.format == "json":
        _print([{k: v for k, v in row.items() if k != "metrics"} | {"metrics": _brief(row["metrics"])} for row in rows])
        return 0
    for row in rows:
        metrics = row["metrics"] or {}
        scores = "  ".join(
            f"{split}: F1 {metrics[split]['macro_f1']:.3f} emergency R {metrics[split]['emergency_recall']:.3f}" for split in ("heldout", "external") if metrics.get(split)
        )
        print(f"{row['id']:>4}  {row['status']:<9}  {row['created_at'][:19]}  {row['name']:<40}  {scores or 'not evaluated'}  {row['reason']}")
    print(f"{len(rows)} model(s)")
    return 0


def add_trainer_parser(sub: argparse._SubParsersAction) -> None:
    trainer = sub.add_parser("trainer", help="export labels, retrain, evaluate, promote or roll back models")
    actions = trainer.add_subparsers(dest="action", required=True)

    export = actions.add_parser("export", help="write the annotations to nlu_data/annotated.yml, then rasa data validate")
    export.add_argument("--no-validate", action="store_true")
    export.set_defaults(func=cmd_export)
    validate = actions.add_parser("validate", help="rasa data validate")
    validate.set_defaults(func=cmd_validate)
    train = actions.add_parser("train", help="train a candidate model (waits, showing progress), register and evaluate it")
    for action in (export, validate, train):
        action.add_argument("--root", default=str(PROJECT_ROOT), help="the project folder with nlu_data/, domain.yml, config.yml (default: this checkout)")
    train.add_argument("--by", default="cli", help="who started it (recorded in the job)")
    train.set_defaults(func=cmd_train)
    status = actions.add_parser("status", help="a training job's status (the latest by default)")
    status.add_argument("job", nargs="?", type=int)
    status.set_defaults(func=cmd_status)
    evaluate = actions.add_parser("evaluate", help="evaluate a registered version (metrics cached) or any model file")
    evaluate.add_argument("version", nargs="?", type=int)
    evaluate.add_argument("--model", help="a model file instead of a registered version")
    evaluate.add_argument("--force", action="store_true", help="evaluate again even when metrics are stored")
    evaluate.set_defaults(func=cmd_evaluate)
    compare = actions.add_parser("compare", help="a version against the active model, with the guardrail's verdict")
    compare.add_argument("version", type=int)
    compare.add_argument("--pictures", help="write the confusion matrices as PNG files into this folder")
    compare.set_defaults(func=cmd_compare)
    for name, func, text in (("promote", cmd_promote, "put a candidate into service if the guardrail allows"), ("rollback", cmd_rollback, "make an earlier version active again")):
        action = actions.add_parser(name, help=text)
        action.add_argument("version", type=int)
        action.add_argument(
            "--rasa-url", dest="rasa_urls", action="append",
            help=f"a running Rasa server; repeat it for each server of a cluster (default: every server of RASA_URLS, else RASA_URL, else {DEFAULT_RASA_URL})",
        )
        action.set_defaults(func=func)
    models = actions.add_parser("models", help="every model with its date, status and metrics")
    models.add_argument("--format", choices=("table", "json"), default="table")
    models.set_defaults(func=cmd_models)


__all__ = ["add_trainer_parser"]
