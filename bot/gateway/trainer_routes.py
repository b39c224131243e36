"""Trainer console endpoints (``/api/trainer/*``): inbox, annotation, export, training, models.

Trainers log in like agents (``/api/agent/login``, the same sessions and CSRF token); every endpoint
here also needs ``Agent.role == "trainer"``: 401 without a session, 403 for other accounts and for
a POST without the session's ``X-CSRF-Token``. Slow work (export, promote) runs in a thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from functools import wraps
from pathlib import Path
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.gateway.agent_auth import COOKIE, csrf_ok
from bot.gateway.agents import LoggedIn, lookup_session
from bot.settings import PROJECT_ROOT
from bot.storage import session_scope
from bot.storage.models import Agent
from bot.trainer.annotations import AnnotationError, annotate
from bot.trainer.inbox import FLAGS, STATUSES, inbox, inbox_item
from bot.trainer.labels import ENTITY_NAMES, ENTITY_TYPES, allowed_labels, label_name

logger = logging.getLogger(__name__)
bp = Blueprint("trainer")
TRAINER = "trainer"
SPLITS = ("heldout", "external")

Handler = Callable[..., Awaitable[HTTPResponse]]


def project_root() -> Path:
    """Where labels are checked against and exported to (``nlu_data/``, ``tests/heldout``, ``domain.yml``):
    the project itself, or ``TRAINER_ROOT`` (a checkout the trainers work in)."""
    return Path(os.environ.get("TRAINER_ROOT") or PROJECT_ROOT)


def current_account(request: Request) -> tuple[LoggedIn | None, str | None]:
    """The logged-in account and its role (``None, None`` without a valid session)."""
    with session_scope() as session:
        account = lookup_session(session, request.cookies.get(COOKIE))
        if account is None:
            return None, None
        agent = session.get(Agent, account.agent_id)
        return account, (agent.role if agent is not None else None)


def trainer_api(handler: Handler) -> Handler:
    """401 without a session; 403 for an account without the trainer role or a POST without CSRF."""

    @wraps(handler)
    async def wrapper(request: Request, *args: object, **kwargs: object) -> HTTPResponse:
        account, role = current_account(request)
        if account is None:
            return _json({"error": "请先登录"}, status=401)
        if role != TRAINER:
            return _json({"error": "此账号没有模型训练权限"}, status=403)
        if request.method == "POST" and not csrf_ok(request, account):
            return _json({"error": "请求校验失败，请刷新页面后重试"}, status=403)
        return await handler(request, account, *args, **kwargs)

    return wrapper


def _json(body: Any, status: int = 200) -> HTTPResponse:
    """JSON with dates (core's rows carry datetimes) as ISO text."""
    return response.json(body, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False, default=_iso))


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _rasa_url(request: Request) -> str:
    return request.app.ctx.gateway.config.rasa_url


@bp.get("/api/trainer/labels")
@trainer_api
async def labels(request: Request, account: LoggedIn) -> HTTPResponse:
    return _json(
        {
            "labels": [{"value": label, "name": label_name(label)} for label in allowed_labels(project_root())],
            "entities": [{"value": e, "name": ENTITY_NAMES.get(e, e)} for e in ENTITY_TYPES],
            "flags": list(FLAGS),
        }
    )


@bp.get("/api/trainer/inbox")
@trainer_api
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


@bp.post("/api/trainer/annotate")
@trainer_api
async def annotate_item(request: Request, account: LoggedIn) -> HTTPResponse:
    """``{item_id, intent, entities, noise, override}``: the text comes from the inbox, never the client."""
    body = _body(request)
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
            return _json({"error": "没有找到这条消息"}, status=404)
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
@trainer_api
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

    return _json(await asyncio.to_thread(run))


@bp.post("/api/trainer/train")
@trainer_api
async def train(request: Request, account: LoggedIn) -> HTTPResponse:
    from bot.trainer.jobs import start_training

    try:
        job_id = await asyncio.to_thread(start_training, account.name, project_root())
    except RuntimeError as error:  # e.g. a run is already under way
        return _json({"error": str(error)}, status=409)
    return _json({"job_id": job_id})


@bp.get("/api/trainer/jobs/latest")
@trainer_api
async def latest(request: Request, account: LoggedIn) -> HTTPResponse:
    """The newest training job (or ``{"job": null}``): a reloaded page picks up a running training."""
    from bot.trainer.jobs import latest_job

    with session_scope() as session:
        return _json({"job": latest_job(session)})


@bp.get("/api/trainer/jobs/<job_id:int>")
@trainer_api
async def job(request: Request, account: LoggedIn, job_id: int) -> HTTPResponse:
    from bot.trainer.jobs import job_status

    with session_scope() as session:
        try:
            status = job_status(session, job_id)
        except (KeyError, LookupError, ValueError):
            status = None
    if not status:
        return _json({"error": "没有找到这次训练"}, status=404)
    return _json(status)


@bp.get("/api/trainer/models")
@trainer_api
async def models(request: Request, account: LoggedIn) -> HTTPResponse:
    from bot.trainer.registry import list_versions

    with session_scope() as session:
        return _json({"models": list_versions(session)})


@bp.get("/api/trainer/models/<version_id:int>/compare")
@trainer_api
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

    result = await asyncio.to_thread(run)
    return _json(result) if result is not None else _json({"error": "没有找到这个模型版本"}, status=404)


@bp.get("/api/trainer/models/<version_id:int>/confusion/<split>")
@trainer_api
async def confusion(request: Request, account: LoggedIn, version_id: int, split: str) -> HTTPResponse:
    from bot.storage.models import ModelVersion
    from bot.trainer.evaluation import confusion_png

    split = split.removesuffix(".png")
    with session_scope() as session:
        version = session.get(ModelVersion, version_id)
        metrics = (version.metrics or {}).get(split) if version is not None and split in SPLITS else None
    if not metrics or not metrics.get("confusion"):
        return _json({"error": "这个模型还没有评测结果"}, status=404)
    picture = await asyncio.to_thread(confusion_png, metrics)
    return response.raw(picture, content_type="image/png", headers={"Cache-Control": "private, max-age=300"})


async def _switch(request: Request, version_id: int, action: str) -> HTTPResponse:
    from bot.trainer import registry

    operation = registry.promote if action == "promote" else registry.rollback

    def run() -> Any:
        with session_scope() as session:
            return operation(session, version_id, _rasa_url(request))

    result = await asyncio.to_thread(run)
    return _json({"ok": result.ok, "reason": result.reason}, status=200 if result.ok else 409)


@bp.post("/api/trainer/models/<version_id:int>/promote")
@trainer_api
async def promote(request: Request, account: LoggedIn, version_id: int) -> HTTPResponse:
    return await _switch(request, version_id, "promote")


@bp.post("/api/trainer/models/<version_id:int>/rollback")
@trainer_api
async def rollback(request: Request, account: LoggedIn, version_id: int) -> HTTPResponse:
    return await _switch(request, version_id, "rollback")
