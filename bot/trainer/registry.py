"""The model registry: every trained model with its metrics and date; promotion and rollback.

A version is ``candidate`` → ``active`` (promoted) | ``rejected`` (the guardrail refused it, with
the reason); the previously active one becomes ``retired`` and can be rolled back to. Promotion
and rollback load the model into the running Rasa server with ``PUT /model`` (the server keeps
answering with the old model until the new one is loaded).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import as_utc, utcnow
from bot.settings import MODELS_DIR, PROJECT_ROOT
from bot.storage.models import ModelVersion

SPLITS = ("heldout", "external")
SPLIT_NAMES = {"heldout": "留出测试集", "external": "外部评测集"}
EPSILON = 1e-9
BASELINE_REASON = "基线：开始使用模型注册表时正在运行的模型"


def registry_dir() -> Path:
    """Where retrained candidates are written: ``MODEL_REGISTRY_DIR``, else ``models/registry``."""
    return Path(os.environ.get("MODEL_REGISTRY_DIR") or MODELS_DIR / "registry")


CANDIDATE, ACTIVE, REJECTED, RETIRED = "candidate", "active", "rejected", "retired"


@dataclass
class PromoteResult:
    ok: bool
    reason: str


def version_dict(version: ModelVersion) -> dict:
    return {
        "id": version.id,
        "name": version.name,
        "path": version.path,
        "status": version.status,
        "created_at": as_utc(version.created_at).isoformat() if version.created_at else None,
        "promoted_at": as_utc(version.promoted_at).isoformat() if version.promoted_at else None,
        "metrics": version.metrics,
        "reason": version.reason or "",
    }


def register(session: Session, path: Path, name: str | None = None, status: str = CANDIDATE, metrics: dict | None = None, reason: str = "") -> ModelVersion:
    version = ModelVersion(name=name or Path(path).name.removesuffix(".tar.gz"), path=str(Path(path).resolve()), status=status, metrics=metrics, reason=reason)
    if status == ACTIVE:
        version.promoted_at = utcnow()
    session.add(version)
    session.flush()
    return version


def list_versions(session: Session) -> list[dict]:
    rows = session.execute(select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())).scalars()
    return [version_dict(v) for v in rows]


def active_version(session: Session) -> ModelVersion | None:
    return session.execute(select(ModelVersion).where(ModelVersion.status == ACTIVE).order_by(ModelVersion.id.desc())).scalars().first()


def active_model_path(session: Session) -> Path | None:
    """The active version's model file, when there is one and it still exists (what ``serve`` loads)."""
    version = active_version(session)
    if version is not None and Path(version.path).is_file():
        return Path(version.path)
    return None


def _evaluator() -> Callable[[Path], dict]:
    from bot.trainer.evaluation import evaluate_model

    return evaluate_model


def ensure_metrics(session: Session, version: ModelVersion, evaluate: Callable[[Path], dict] | None = None) -> dict:
    """The version's metrics, evaluating the model once when they are missing."""
    if not version.metrics:
        version.metrics = (evaluate or _evaluator())(Path(version.path))
        session.flush()
    return version.metrics


def served_model_file(models_dir: Path = MODELS_DIR, root: Path = PROJECT_ROOT) -> Path:
    """The model ``serve`` runs when the registry has none: the newest ``wuye-*.tar.gz`` in
    ``models/`` (``serve`` trains it when it is missing), else the one for the current data."""
    from bot.modeling import ensure_model

    served = sorted(models_dir.glob("wuye-*.tar.gz"), key=lambda p: p.stat().st_mtime) if models_dir.is_dir() else []
    return served[-1] if served else ensure_model(models_dir, root)


def ensure_baseline(session: Session, models_dir: Path = MODELS_DIR, root: Path = PROJECT_ROOT, evaluate: Callable[[Path], dict] | None = None) -> ModelVersion:
    """The active version; on first use, the model ``serve`` runs today is registered as active."""
    version = active_version(session)
    if version is not None:
        return version
    version = register_baseline(session, served_model_file(models_dir, root))
    ensure_metrics(session, version, evaluate)
    return version


def register_baseline(session: Session, path: Path) -> ModelVersion:
    """Make the model that runs now the active version (registered once, by its file name)."""
    existing = session.execute(select(ModelVersion).where(ModelVersion.name == path.name.removesuffix(".tar.gz"))).scalars().first()
    if existing is None:
        return register(session, path, status=ACTIVE, reason=BASELINE_REASON)
    existing.status, existing.promoted_at, existing.path = ACTIVE, utcnow(), str(Path(path).resolve())
    session.flush()
    return existing


def guardrail(candidate: dict, current: dict | None) -> list[str]:
    """Reasons to refuse ``candidate`` against ``current`` (empty: it may be promoted).

    Emergency recall must not drop and macro-F1 must not fall, on each evaluation set that both
    were measured on.
    """
    if current is None:
        return []
    reasons = []
    for split in SPLITS:
        new, old = candidate.get(split), current.get(split)
        if not new or not old:
            if old and not new:
                reasons.append(f"候选模型缺少{SPLIT_NAMES[split]}的评估结果")
            continue
        if new["emergency_recall"] < old["emergency_recall"] - EPSILON:
            reasons.append(f"{SPLIT_NAMES[split]}紧急类召回率下降：{old['emergency_recall']:.3f} → {new['emergency_recall']:.3f}")
        if new["macro_f1"] < old["macro_f1"] - EPSILON:
            reasons.append(f"{SPLIT_NAMES[split]} macro-F1 下降：{old['macro_f1']:.3f} → {new['macro_f1']:.3f}")
    return reasons


def _summary(metrics: dict | None) -> dict:
    return {split: {k: metrics[split][k] for k in ("macro_f1", "emergency_recall")} for split in SPLITS if metrics and metrics.get(split)}


def compare(session: Session, version_id: int, evaluate: Callable[[Path], dict] | None = None) -> dict:
    """The candidate and the current model side by side, with the guardrail's verdict."""
    version = session.get(ModelVersion, version_id)
    if version is None:
        raise LookupError(f"没有编号为 {version_id} 的模型")
    candidate_metrics = ensure_metrics(session, version, evaluate)
    current = ensure_baseline(session, evaluate=evaluate)
    if current.id == version.id:
        return {"candidate": version_dict(version), "current": version_dict(current), "verdict": {"ok": False, "reasons": ["这个模型就是当前使用的模型"], "deltas": {}}}
    current_metrics = ensure_metrics(session, current, evaluate)
    reasons = guardrail(candidate_metrics, current_metrics)
    deltas = {
        split: {k: candidate_metrics[split][k] - current_metrics[split][k] for k in ("macro_f1", "emergency_recall")}
        for split in SPLITS
        if candidate_metrics.get(split) and current_metrics.get(split)
    }
    return {"candidate": version_dict(version), "current": version_dict(current), "verdict": {"ok": not reasons, "reasons": reasons, "deltas": deltas}}


def load_into_rasa(rasa_url: str, model_path: Path, timeout: float = 600.0) -> str | None:
    """``PUT /model`` on the running Rasa server; None when it answered 204, else why not."""
    request = urllib.request.Request(
        rasa_url.rstrip("/") + "/model",
        data=json.dumps({"model_file": str(model_path)}).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return None if reply.status in (200, 204) else f"Rasa 返回 {reply.status}"
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")[:500]
        return f"Rasa 拒绝加载模型（HTTP {error.code}）：{detail}"
    except OSError as error:
        return f"无法连接 Rasa 服务 {rasa_url}：{error}"


def _activate(session: Session, version: ModelVersion, current: ModelVersion | None, rasa_url: str, reason: str) -> PromoteResult:
    if not Path(version.path).is_file():
        return PromoteResult(False, f"模型文件不存在：{version.path}")
    failure = load_into_rasa(rasa_url, Path(version.path))
    if failure:
        return PromoteResult(False, failure)  # nothing changed: the running model stays
    for other in session.execute(select(ModelVersion).where(ModelVersion.status == ACTIVE)).scalars():
        if other.id != version.id:
            other.status = RETIRED
    version.status, version.promoted_at, version.reason = ACTIVE, utcnow(), reason
    session.flush()
    return PromoteResult(True, reason)


def promote(session: Session, version_id: int, rasa_url: str, evaluate: Callable[[Path], dict] | None = None) -> PromoteResult:
    """Put a candidate into service if the guardrail allows it; otherwise mark it rejected with the reason."""
    version = session.get(ModelVersion, version_id)
    if version is None:
        return PromoteResult(False, f"没有编号为 {version_id} 的模型")
    if version.status == ACTIVE:
        return PromoteResult(False, "这个模型已经在使用中")
    if version.status == RETIRED:
        return PromoteResult(False, "这是以前用过的模型，请用回滚（rollback）恢复它")
    result = compare(session, version_id, evaluate)
    reasons = result["verdict"]["reasons"]
    if reasons:
        version.status, version.reason = REJECTED, "未上线：" + "；".join(reasons)
        session.flush()
        return PromoteResult(False, version.reason)
    current = active_version(session)
    summary = ", ".join(f"{SPLIT_NAMES[s]} macro-F1 {m['macro_f1']:.3f} 紧急召回 {m['emergency_recall']:.3f}" for s, m in _summary(version.metrics).items())
    outcome = _activate(session, version, current, rasa_url, f"已上线（替换 {current.name if current else '无'}）：{summary}")
    if not outcome.ok:
        version.reason = "上线失败：" + outcome.reason
        session.flush()
    return outcome


def rollback(session: Session, version_id: int, rasa_url: str) -> PromoteResult:
    """Make an earlier (retired) version active again."""
    version = session.get(ModelVersion, version_id)
    if version is None:
        return PromoteResult(False, f"没有编号为 {version_id} 的模型")
    if version.status != RETIRED:
        return PromoteResult(False, "只能回滚到以前使用过的模型（状态为 retired）")
    current = active_version(session)
    return _activate(session, version, current, rasa_url, f"已回滚（替换 {current.name if current else '无'}）")
