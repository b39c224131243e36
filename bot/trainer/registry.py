"""The model registry: every trained model with its metrics and date; promotion and rollback.

A version is ``candidate`` → ``active`` (promoted) | ``rejected`` (the guardrail refused it, with
the reason); the previously active one becomes ``retired`` and can be rolled back to (the statuses
and the active version are :mod:`bot.serving`'s: "active" is the model that runs). Promotion
and rollback load the model into every running Rasa server with ``PUT /model`` (the server keeps
answering with the old model until the new one is loaded).

A cluster (``RASA_URLS``) is loaded one server after the other, so the others answer while one
loads, and all or nothing: when one server cannot load the model (down, or it refuses the file),
the servers already loaded go back to the model that was active, nothing is marked active, and the
reason names the server — every server answers with the same model, the registry's active one.
``PUT /model`` names a file on the Rasa server's own disk: each Rasa host needs the model files at
the same path (``docs/deploy.md``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import as_utc, utcnow
from bot.serving import (  # the version statuses and "which one runs" are bot.serving's
    ACTIVE,
    BASELINE_REASON,
    CANDIDATE,
    REJECTED,
    RETIRED,
    active_model_path,
    active_version,
    register,
    register_baseline,
    serving_model,
)
from bot.settings import MODELS_DIR, PROJECT_ROOT
from bot.storage.models import ModelVersion
from bot.trainer.evaluation import evaluate_model

SPLITS = ("heldout", "external")
SPLIT_NAMES = {"heldout": "留出测试集", "external": "外部评测集"}
EPSILON = 1e-9


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


def list_versions(session: Session) -> list[dict]:
    rows = session.execute(select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())).scalars()
    return [version_dict(v) for v in rows]


def ensure_metrics(session: Session, version: ModelVersion, evaluate: Callable[[Path], dict] | None = None) -> dict:
    """The version's metrics, evaluating the model once when they are missing."""
    if not version.metrics:
        version.metrics = (evaluate or evaluate_model)(Path(version.path))
        session.flush()
    return version.metrics


def ensure_baseline(session: Session, models_dir: Path = MODELS_DIR, root: Path = PROJECT_ROOT, evaluate: Callable[[Path], dict] | None = None) -> ModelVersion:
    """The active version; on first use, the model ``serve`` runs (:func:`bot.serving.serving_model`)
    is registered as active and evaluated."""
    version = active_version(session)
    if version is not None:
        return version
    serving_model(models_dir, session, root)  # with no active version: registers what serve runs as the baseline
    version = active_version(session)
    ensure_metrics(session, version, evaluate)
    return version


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
    current = ensure_baseline(session, evaluate=evaluate)
    if current.id == version.id:  # never a model against itself: said at once, nothing evaluated
        return {"candidate": version_dict(version), "current": None, "same": True, "verdict": {"ok": None, "reasons": ["这个版本就是当前使用的模型，请选择另一个版本与它对比"], "deltas": {}}}
    candidate_metrics = ensure_metrics(session, version, evaluate)
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


def _servers(rasa_urls: str | Iterable[str]) -> list[str]:
    """One URL or several (a cluster), each once, in the order given."""
    return list(dict.fromkeys([rasa_urls] if isinstance(rasa_urls, str) else rasa_urls))


def load_into_every_rasa(rasa_urls: str | Iterable[str], model_path: Path, previous: Path | None) -> str | None:
    """``PUT /model`` on every server, one after the other; None when all loaded it. Else the
    servers already loaded are put back on ``previous`` (the model that was active) and the reason
    names the server that failed."""
    servers = _servers(rasa_urls)
    for index, url in enumerate(servers):
        failure = load_into_rasa(url, model_path)
        if failure is None:
            continue
        if len(servers) == 1:
            return failure
        reason = f"{url}：{failure}（共 {len(servers)} 台 Rasa 服务，第 {index + 1} 台失败，未上线）"
        for loaded in servers[:index]:
            undone = load_into_rasa(loaded, previous) if previous is not None and previous.is_file() else "没有可恢复的模型"
            reason += f"；{loaded} 未能恢复原模型：{undone}" if undone else f"；{loaded} 已恢复原模型"
        return reason
    return None


def _activate(session: Session, version: ModelVersion, current: ModelVersion | None, rasa_urls: str | Iterable[str], reason: str) -> PromoteResult:
    if not Path(version.path).is_file():
        return PromoteResult(False, f"模型文件不存在：{version.path}")
    failure = load_into_every_rasa(rasa_urls, Path(version.path), Path(current.path) if current is not None else None)
    if failure:
        return PromoteResult(False, failure)  # nothing changed: the running model stays
    for other in session.execute(select(ModelVersion).where(ModelVersion.status == ACTIVE)).scalars():
        if other.id != version.id:
            other.status = RETIRED
    version.status, version.promoted_at, version.reason = ACTIVE, utcnow(), reason
    session.flush()
    return PromoteResult(True, reason)


def promote(session: Session, version_id: int, rasa_urls: str | Iterable[str], evaluate: Callable[[Path], dict] | None = None) -> PromoteResult:
    """Put a candidate into service (on every Rasa server) if the guardrail allows it; otherwise
    mark it rejected with the reason."""
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
    outcome = _activate(session, version, current, rasa_urls, f"已上线（替换 {current.name if current else '无'}）：{summary}")
    if not outcome.ok:
        version.reason = "上线失败：" + outcome.reason
        session.flush()
    return outcome


def rollback(session: Session, version_id: int, rasa_urls: str | Iterable[str]) -> PromoteResult:
    """Make an earlier (retired) version active again (on every Rasa server)."""
    version = session.get(ModelVersion, version_id)
    if version is None:
        return PromoteResult(False, f"没有编号为 {version_id} 的模型")
    if version.status != RETIRED:
        return PromoteResult(False, "只能回滚到以前使用过的模型（状态为 retired）")
    current = active_version(session)
    return _activate(session, version, current, rasa_urls, f"已回滚（替换 {current.name if current else '无'}）")


# The registry's names, including the version statuses and registration it takes from bot.serving.
__all__ = [
    "ACTIVE", "BASELINE_REASON", "CANDIDATE", "REJECTED", "RETIRED", "SPLITS", "SPLIT_NAMES", "ModelVersion", "PromoteResult",
    "active_model_path", "active_version", "compare", "ensure_baseline", "ensure_metrics", "guardrail", "list_versions",
    "load_into_rasa", "promote", "register", "register_baseline", "rollback", "version_dict",
]
