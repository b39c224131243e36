"""Trainer console endpoints (``/api/trainer/*``): inbox, annotation, export, training, models.

Trainers log in like agents (``/api/agent/login``, the same sessions and CSRF token); every endpoint
here needs the trainer role (``requires_role``): 401 without a session, 403 for other accounts and
for a POST without the session's ``X-CSRF-Token``. Slow work (export, promote) runs in a thread.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.gateway.agent_auth import requires_role
from bot.gateway.agents import LoggedIn
from bot.gateway.errors import NO_SUCH
from bot.gateway.offloop import in_thread
from bot.gateway.web import json_body
from bot.inbound import row_id
from bot.roles import TRAINER_ROLES
from bot.settings import trainer_root
from bot.storage import session_scope
from bot.trainer.annotations import AnnotationError, annotate
from bot.trainer.inbox import FLAGS, STATUSES, conversation_around, inbox, inbox_item
from bot.trainer.labels import ENTITY_NAMES, ENTITY_TYPES, allowed_labels, label_name

logger = logging.getLogger(__name__)
bp = Blueprint("trainer")
SPLITS = ("heldout", "external")


def project_root() -> Path:
    """Where labels are checked against and exported to (``nlu_data/``, ``tests/heldout``, ``domain.yml``):
    the project itself, or ``TRAINER_ROOT`` (a checkout the trainers work in)."""
    return trainer_root()


def _json(body: Any, status: int = 200) -> HTTPResponse:
    """JSON with dates (core's rows carry datetimes) as ISO text."""
    return response.json(body, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False, default=_iso))


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _rasa_urls(request: Request) -> tuple[str, ...]:
    """Every Rasa server behind the gateway: a promotion loads the model into each."""
    return request.app.ctx.gateway.config.rasa_servers


@bp.get("/api/trainer/labels")
@requires_role(*TRAINER_ROLES)
async def labels(request: Request, account: LoggedIn) -> HTTPResponse:
    return _json(
        {
            "labels": [{"value": label, "name": label_name(label)} for label in allowed_labels(project_root())],
            "entities": [{"value": e, "name": ENTITY_NAMES.get(e, e)} for e in ENTITY_TYPES],
            "flags": list(FLAGS),
        }
    )


@bp.get("/api/trainer/inbox")
@requires_role(*TRAINER_ROLES)
async def inbox_list(request: Request, account: LoggedIn) -> HTTPResponse:
    flags = [f for f in request.args.getlist("flag", []) if f]
    status = request.args.get("status", "all")
    if any(f not in FLAGS for f in flags) or status not in STATUSES:
        return _json({"error": "筛选条件有误"}, status=400)
    try:
        limit = min(500, max(1, int(request.args.get("limit", "200"))))
    except ValueError:
        return _json({"error": "数量参数有误"}, status=400)
    search = request.args.get("q", "")[:100]
    with session_scope() as session:
        items = inbox(session, flags, status, search, limit, root=project_root())
    for item in items:
        item["intent_name"] = label_name(item["label"])
        item["final_intent_name"] = label_name(item["final_intent"])
    return _json({"items": items})


@bp.get("/api/trainer/conversations/<conversation_id>")
@requires_role(*TRAINER_ROLES)
async def conversation(request: Request, account: LoggedIn, conversation_id: str) -> HTTPResponse:
    """The conversation around an inbox message (``?around=<message id>``): what was said before
    and after it, so a label is chosen knowing the context."""
    try:
        raw = request.args.get("around")
        around = None if raw is None else row_id(raw)
    except ValueError:
        return _json({"error": "请求参数有误，请刷新页面后重试"}, status=400)
    with session_scope() as session:
        return _json({"conversation_id": conversation_id, "messages": conversation_around(session, conversation_id, around)})


@bp.post("/api/trainer/annotate")
@requires_role(*TRAINER_ROLES)
async def annotate_item(request: Request, account: LoggedIn) -> HTTPResponse:
    """``{item_id, intent, entities, noise, override}``: the text comes from the inbox, never the client."""
    body = json_body(request)
    noise = body.get("noise") is True
    intent = body.get("intent")
    if not noise and not isinstance(intent, str):
        return _json({"error": "请选择一个意图"}, status=400)
    entities = body.get("entities") or []
    if not isinstance(entities, list):
        return _json({"error": "实体格式有误"}, status=400)
    with session_scope() as session:
        item = inbox_item(session, str(body.get("item_id", "")), project_root())
        if item is None:
            return _json({"error": NO_SUCH["message"]}, status=404)
        try:
            result = annotate(
                session,
                text=item["text"],
                intent=None if noise else intent,
                entities=None if noise else entities,
                noise=noise,
                author=account.name,
                message_id=item["message_id"],
                conversation_id=item["conversation_id"],
                override=body.get("override") is True,
                root=project_root(),
            )
        except AnnotationError as error:
            return _json({"error": str(error)}, status=400)
        fresh = inbox_item(session, item["id"], project_root()) if result.saved else item
    return _json({**result.as_dict(), "item": fresh}, status=200 if result.saved else 409)


# --- the rest of the flow: trainer-core's API (bot.trainer.export/jobs/registry/evaluation) ---


@bp.post("/api/trainer/export")
@requires_role(*TRAINER_ROLES)
async def export(request: Request, account: LoggedIn) -> HTTPResponse:
    """Write the labels into ``nlu_data/annotated.yml``, then ``rasa data validate`` (as the CLI does)."""
    from bot.trainer.export import export_annotations, validate_data

    def run() -> dict[str, Any]:
        with session_scope() as session:
            result = export_annotations(session, project_root())
        valid, output = validate_data(project_root())
        return {
            "path": str(result.path),
            "written": result.written,
            "skipped": [{"text": t, "reason": r} for t, r in result.skipped],
            "validate": {"ok": valid, "output_tail": output[-1500:]},
        }

    return _json(await in_thread(run))


@bp.post("/api/trainer/train")
@requires_role(*TRAINER_ROLES)
async def train(request: Request, account: LoggedIn) -> HTTPResponse:
    from bot.trainer.jobs import start_training

    try:
        job_id = await in_thread(start_training, account.name, project_root())
    except RuntimeError as error:  # e.g. a run is already under way
        return _json({"error": str(error)}, status=409)
    return _json({"job_id": job_id})


@bp.get("/api/trainer/jobs/latest")
@requires_role(*TRAINER_ROLES)
async def latest(request: Request, account: LoggedIn) -> HTTPResponse:
    """The newest training job (or ``{"job": null}``): a reloaded page picks up a running training."""
    from bot.trainer.jobs import latest_job

    with session_scope() as session:
        return _json({"job": latest_job(session)})


@bp.get("/api/trainer/jobs/<job_id:int>")
@requires_role(*TRAINER_ROLES)
async def job(request: Request, account: LoggedIn, job_id: int) -> HTTPResponse:
    from bot.trainer.jobs import job_status

    with session_scope() as session:
        try:
            status = job_status(session, job_id)
        except (KeyError, LookupError, ValueError):
            status = None
    if not status:
        return _json({"error": NO_SUCH["training"]}, status=404)
    return _json(status)


@bp.get("/api/trainer/models")
@requires_role(*TRAINER_ROLES)
async def models(request: Request, account: LoggedIn) -> HTTPResponse:
    from bot.trainer.registry import list_versions

    with session_scope() as session:
        return _json({"models": list_versions(session)})


@bp.get("/api/trainer/models/<version_id:int>/compare")
@requires_role(*TRAINER_ROLES)
async def compare(request: Request, account: LoggedIn, version_id: int) -> HTTPResponse:
    """May evaluate a model that has no metrics yet (minutes): runs in a thread."""
    from bot.trainer.registry import compare as compare_versions

    def run() -> dict[str, Any] | None:
        with session_scope() as session:
            try:
                return compare_versions(session, version_id)
            except LookupError as error:
                logger.info("compare %s: %s", version_id, error)
                return None

    result = await in_thread(run)
    return _json(result) if result is not None else _json({"error": NO_SUCH["model"]}, status=404)


@bp.get("/api/trainer/models/<version_id:int>/confusion/<split>")
@requires_role(*TRAINER_ROLES)
async def confusion(request: Request, account: LoggedIn, version_id: int, split: str) -> HTTPResponse:
    from bot.storage.models import ModelVersion
    from bot.trainer.evaluation import confusion_png

    split = split.removesuffix(".png")
    with session_scope() as session:
        version = session.get(ModelVersion, version_id)
        metrics = (version.metrics or {}).get(split) if version is not None and split in SPLITS else None
    if not metrics or not metrics.get("confusion"):
        return _json({"error": "这个模型还没有评测结果"}, status=404)
    picture = await in_thread(confusion_png, metrics)
    return response.raw(picture, content_type="image/png", headers={"Cache-Control": "private, max-age=300"})


async def _switch(request: Request, version_id: int, action: str) -> HTTPResponse:
    from bot.trainer import registry

    operation = registry.promote if action == "promote" else registry.rollback

    def run() -> Any:
        with session_scope() as session:
            return operation(session, version_id, _rasa_urls(request))

    result = await in_thread(run)
    return _json({"ok": result.ok, "reason": result.reason}, status=200 if result.ok else 409)


@bp.post("/api/trainer/models/<version_id:int>/promote")
@requires_role(*TRAINER_ROLES)
async def promote(request: Request, account: LoggedIn, version_id: int) -> HTTPResponse:
    return await _switch(request, version_id, "promote")


@bp.post("/api/trainer/models/<version_id:int>/rollback")
@requires_role(*TRAINER_ROLES)
async def rollback(request: Request, account: LoggedIn, version_id: int) -> HTTPResponse:
    return await _switch(request, version_id, "rollback")
