"""Pages and static files: the resident widget at ``/`` and ``/widget.js``, the console at ``/agent``,
the trainer's desk at ``/trainer``, the manager's dashboard at ``/manager`` and the company's
administration at ``/admin`` (``/healthz`` and ``/readyz``: bot.gateway.health)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from string import Template
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import communities, texts
from bot.gateway.agent_auth import current_account
from bot.gateway.widget_config import widget_config
from bot.politeness.scripts import company_name
from bot.roles import ADMIN_ROLES, CONSOLE_ROLES, MANAGER_ROLES, TRAINER_ROLES
from bot.storage import session_scope

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
bp = Blueprint("pages")
# One login page, titled for the desk it opens.
AGENT_DESK, TRAINER_DESK, MANAGER_DESK, ADMIN_DESK = "客服工作台", "模型训练台", "经理看板", "管理后台"


def render(name: str, **values: str) -> str:
    """Fill a template; every value is HTML-escaped."""
    escaped = {key: html.escape(value, quote=True) for key, value in values.items()}
    return Template((TEMPLATES / name).read_text(encoding="utf-8")).substitute(escaped)


@bp.get("/")
async def index(request: Request) -> HTTPResponse:
    """The resident chat; the widget's config is inline, so the page draws without another request.
    Without a community in the path the widget uses the one it remembers, else the default."""
    config = json.dumps(widget_config(), ensure_ascii=False, separators=(",", ":"))
    return response.html(render("index.html", title=texts.render("widget.title"), config=config, community=""))


@bp.get("/c/<slug:str>")
async def community_page(request: Request, slug: str) -> HTTPResponse:
    """The resident chat opened for one community (``/c/jinhua-garden``); 404 for an unknown one."""
    with session_scope() as session:
        community = communities.community_by_slug(session, slug)
    if community is None:
        return response.html(render("not_found.html", title=texts.render("widget.title"), notice=texts.render("message.unknown_community")), status=404)
    config = json.dumps(widget_config(), ensure_ascii=False, separators=(",", ":"))
    return response.html(render("index.html", title=f"{community.name} · {texts.render('widget.title')}", config=config, community=community.slug))


@bp.get("/favicon.ico")
async def favicon(request: Request) -> HTTPResponse:
    """The icon a browser asks for on every page (the pages also name it: ``/static/favicon.svg``)."""
    return await response.file(STATIC / "favicon.svg", mime_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@bp.get("/widget.js")
async def widget(request: Request) -> HTTPResponse:
    return await response.file(STATIC / "widget.js", mime_type="application/javascript; charset=utf-8")


def _desk_page(request: Request, desk: Any, roles: Any, missing: str, template: str, headers: dict[str, str] | None = None) -> HTTPResponse:
    """A desk's page: the login form without a session, a refusal (403, naming the account and
    ``missing``, the permission it lacks) for an account whose role is not in ``roles``."""
    account = current_account(request)
    if account is None:
        return response.html(render("login.html", company=company_name(), desk=desk, notice=""), headers=headers)
    if account.role not in roles:
        notice = f"当前账号「{account.name}」{missing}"
        return response.html(render("login.html", company=company_name(), desk=desk, notice=notice), status=403, headers=headers)
    return response.html(render(template, company=company_name(), agent=account.name, who=signed_in_as(account), csrf=account.csrf_token), headers=headers)


def signed_in_as(account: Any) -> str:
    """The page header's account: the name residents are told, with the login it signs in with
    (张明（zhang）) — agents know themselves by the first, the login is what they type."""
    shown = account.shown_as
    return account.name if shown == account.name else f"{shown}（{account.name}）"


@bp.get("/agent")
async def agent_page(request: Request) -> HTTPResponse:
    """The agent console; the login form without a session, a refusal for accounts without a console role."""
    return _desk_page(request, AGENT_DESK, CONSOLE_ROLES, "没有客服工作台权限，请使用客服账号登录。", "console.html")


@bp.get("/trainer")
async def trainer_page(request: Request) -> HTTPResponse:
    """The trainer console; the login form without a session, a refusal for non-trainer accounts."""
    headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}
    return _desk_page(request, TRAINER_DESK, TRAINER_ROLES, "没有模型训练权限，请使用培训员账号登录。", "trainer.html", headers)


@bp.get("/manager")
async def manager_page(request: Request) -> HTTPResponse:
    """The manager's dashboard; the login form without a session, a refusal for other roles."""
    return _desk_page(request, MANAGER_DESK, MANAGER_ROLES, "没有经理看板权限，请使用经理账号登录。", "manager.html")


@bp.get("/admin")
async def admin_page(request: Request) -> HTTPResponse:
    """The company's administration (accounts, communities, the audit trail); the login form
    without a session, a refusal for accounts without an administration role (bot.roles.ADMIN_ROLES)."""
    return _desk_page(request, ADMIN_DESK, ADMIN_ROLES, "没有管理后台权限，请使用经理账号登录。", "admin.html")
