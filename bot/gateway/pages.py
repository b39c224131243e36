"""Pages and static files: the resident widget at ``/`` and ``/widget.js``, the console at ``/agent``."""

from __future__ import annotations

import html
from pathlib import Path
from string import Template

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.gateway.agent_auth import current_agent
from bot.politeness.scripts import company_name

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
bp = Blueprint("pages")
AGENT_DESK, TRAINER_DESK = "客服工作台", "模型训练台"  # one login page, titled for the desk it opens


def render(name: str, **values: str) -> str:
    """Fill a template; every value is HTML-escaped."""
    escaped = {key: html.escape(value, quote=True) for key, value in values.items()}
    return Template((TEMPLATES / name).read_text(encoding="utf-8")).substitute(escaped)


@bp.get("/")
async def index(request: Request) -> HTTPResponse:
    return response.html(render("index.html", company=company_name()))


@bp.get("/widget.js")
async def widget(request: Request) -> HTTPResponse:
    return await response.file(STATIC / "widget.js", mime_type="application/javascript; charset=utf-8")


@bp.get("/agent")
async def agent_page(request: Request) -> HTTPResponse:
    agent = current_agent(request)
    if agent is None:
        return response.html(render("login.html", company=company_name(), desk=AGENT_DESK, notice=""))
    return response.html(render("console.html", company=company_name(), agent=agent.name, csrf=agent.csrf_token))


@bp.get("/healthz")
async def health(request: Request) -> HTTPResponse:
    return response.json({"ok": True})


@bp.get("/trainer")
async def trainer_page(request: Request) -> HTTPResponse:
    """The trainer console; the login form without a session, a refusal for non-trainer accounts."""
    from bot.gateway.trainer_routes import TRAINER, current_account

    account, role = current_account(request)
    headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}
    if account is None:
        return response.html(render("login.html", company=company_name(), desk=TRAINER_DESK, notice=""), headers=headers)
    if role != TRAINER:
        notice = f"当前账号「{account.name}」没有模型训练权限，请使用培训员账号登录。"
        return response.html(render("login.html", company=company_name(), desk=TRAINER_DESK, notice=notice), status=403, headers=headers)
    return response.html(render("trainer.html", company=company_name(), agent=account.name, csrf=account.csrf_token), headers=headers)
