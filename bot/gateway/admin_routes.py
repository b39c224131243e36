"""The company's administration (issue 13 §4): accounts and roles, communities and their answers,
and the audit trail.

- ``GET /api/admin/accounts``: every account (agents, trainers, managers) with its role, the name
  residents see, whether it is active, its live sessions and the conversations it holds.
- ``POST /api/admin/accounts``: a new account (``{name, password, role, display_name}``), the same
  rules as ``python -m bot agents create`` (bot.gateway.agents is the one place for them).
- ``POST /api/admin/accounts/<id>/role``, ``…/display-name``, ``…/disable``, ``…/enable``,
  ``…/password``: change one thing of one account. Disabling and a password reset end the
  account's sessions; those and a role change also close its live console sockets on every gateway
  process (Hub.end_sessions). A reset without a password generates one, answered once and never
  stored in clear.
- ``POST /api/admin/accounts/<id>/communities``: the communities an account serves (its queue and
  alerts, issue 13 §5).
- ``GET /api/admin/communities``, ``POST /api/admin/communities`` (a new one),
  ``GET /api/admin/communities/<id>`` (its facts, every topic's answer, who serves it, its changes),
  ``POST /api/admin/communities/<id>`` (its facts), ``POST /api/admin/communities/<id>/answers/<topic>``
  (an answer, checked by the politeness checker before it is stored: refused with the violations
  and what to say instead; empty: removed, residents get the honest hand-over) and
  ``POST /api/admin/communities/<id>/preview`` (an answer as the resident will read it, and what
  the checker says, stored nowhere). Everything through bot.communities, which records each change.
- ``GET /api/admin/audit``: who changed what, when, before and after, accounts and communities
  (bot.audit).

Only the administration's roles (bot.roles.ADMIN_ROLES: the manager) through ``requires_role``:
401 without a session, 403 for agents and trainers, 403 for a POST without the session's CSRF
token. A manager cannot change their own account (bot.gateway.agents). Refusals are a 400 (or 404
for an unknown account) with the sentence to show.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import audit, communities, texts
from bot.gateway import agents
from bot.gateway.agent_auth import requires_role
from bot.gateway.agents import AccountError, LoggedIn
from bot.gateway.errors import NO_SUCH, error_json
from bot.gateway.web import json_body, text_field
from bot.gateway.widget_config import widget_config
from bot.inbound import row_id
from bot.intake.inquiry import as_resident_reads
from bot.politeness import Violation, check
from bot.roles import ADMIN_ROLES, Role
from bot.storage import session_scope

bp = Blueprint("admin")
NO_SUCH_ACCOUNT = NO_SUCH["account"]
ROLE_LABELS = {Role.AGENT: "客服", Role.TRAINER: "培训员", Role.MANAGER: "经理"}
NO_SUCH_COMMUNITY = NO_SUCH["community"]
NO_SUCH_TOPIC = "没有这个咨询主题"
BAD_COMMUNITIES = "服务小区应为小区编号的列表"
IMPOLITE = "这条答复没有通过礼貌用语检查，请按提示修改后再保存"
BAD_BUILDINGS = "楼栋应写成「楼号: 单元数」，楼号为数字，单元数为1至50，如 {\"1\": 3}"
BAD_COVERS = "“也可回答”的说法请写成用“、”分隔的词语"


def _refused(error: ValueError) -> HTTPResponse:
    return error_json(400, "bad_request", str(error))


def _account_json(session: Any, agent_id: int) -> dict[str, Any]:
    [row] = [a for a in agents.accounts(session) if a["id"] == agent_id]
    return row


@bp.get("/api/admin/accounts")
@requires_role(*ADMIN_ROLES)
async def list_accounts(request: Request, account: LoggedIn) -> HTTPResponse:
    with session_scope() as session:
        return response.json(
            {
                "accounts": agents.accounts(session),
                "roles": [{"role": role.value, "label": ROLE_LABELS[role]} for role in Role],
                "you": account.agent_id,
                "min_password_length": agents.MIN_PASSWORD_LENGTH,
            }
        )


@bp.post("/api/admin/accounts")
@requires_role(*ADMIN_ROLES)
async def create_account(request: Request, account: LoggedIn) -> HTTPResponse:
    body = json_body(request)
    name, password = text_field(body, "name"), text_field(body, "password")
    role, display_name = text_field(body, "role") or Role.AGENT.value, text_field(body, "display_name")
    served = _community_ids(body)
    if served is False:
        return error_json(400, "bad_request", BAD_COMMUNITIES)
    try:
        with session_scope() as session:
            # No communities given: the first community, as python -m bot agents create.
            created = agents.create_agent(session, name, password, role=role, display_name=display_name, communities=served, actor=account)
            return response.json({"ok": True, "account": _account_json(session, created.id)})
    except (AccountError, communities.CommunityError) as error:
        return error_json(400, "bad_request", str(error))


def _community_ids(body: dict[str, Any]) -> list[int] | None | bool:
    """The body's ``communities`` as ids; None when absent; False when it is not a list of ids."""
    value = body.get("communities")
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 1000:
        return False
    try:
        return [row_id(item) for item in value]
    except ValueError:
        return False


async def _change(request: Request, account: LoggedIn, agent_id: int, change: Any, end_sockets: bool) -> HTTPResponse:
    """Apply ``change(session, agent)`` to one account; its answer is the account as it is now."""
    body = json_body(request)
    try:
        with session_scope() as session:
            agent = agents.find_account(session, agent_id)
            if agent is None:
                return error_json(404, "not_found", NO_SUCH_ACCOUNT)
            extra = change(session, agent, body) or {}
            changed = extra.pop("changed", True)
            events = extra.pop("events", [])
            shown = _account_json(session, agent.id)
    except (AccountError, communities.CommunityError) as error:
        return _refused(error)
    gateway = request.app.ctx.gateway
    if changed and end_sockets:
        await gateway.hub.end_sessions(agent_id)
    if events:  # conversations a disabled account held, back in the queue
        await gateway.notifier.publish(*events)
    return response.json({"ok": True, "changed": changed, "account": shown, **extra})


@bp.post("/api/admin/accounts/<agent_id:int>/role")
@requires_role(*ADMIN_ROLES)
async def change_role(request: Request, account: LoggedIn, agent_id: int) -> HTTPResponse:
    return await _change(
        request, account, agent_id, lambda s, agent, body: {"changed": agents.change_role(s, agent, text_field(body, "role"), account)}, True
    )


@bp.post("/api/admin/accounts/<agent_id:int>/display-name")
@requires_role(*ADMIN_ROLES)
async def rename(request: Request, account: LoggedIn, agent_id: int) -> HTTPResponse:
    return await _change(
        request, account, agent_id, lambda s, agent, body: {"changed": agents.rename(s, agent, text_field(body, "display_name"), account)}, False
    )


@bp.post("/api/admin/accounts/<agent_id:int>/disable")
@requires_role(*ADMIN_ROLES)
async def disable(request: Request, account: LoggedIn, agent_id: int) -> HTTPResponse:
    """Its sessions end, its console closes, and the conversations it held go back to the queue
    (``released``: how many; the residents are told, the consoles alerted)."""

    def change(session: Any, agent: Any, body: dict[str, Any]) -> dict[str, Any]:
        released = agents.disable(session, agent, account)
        return {"changed": released is not None, "events": released or [], "released": len(released or [])}

    return await _change(request, account, agent_id, change, True)


@bp.post("/api/admin/accounts/<agent_id:int>/enable")
@requires_role(*ADMIN_ROLES)
async def enable(request: Request, account: LoggedIn, agent_id: int) -> HTTPResponse:
    return await _change(request, account, agent_id, lambda s, agent, body: {"changed": agents.enable(s, agent, account)}, False)


@bp.post("/api/admin/accounts/<agent_id:int>/password")
@requires_role(*ADMIN_ROLES)
async def reset_password(request: Request, account: LoggedIn, agent_id: int) -> HTTPResponse:
    """``{"password": "…"}`` sets that one; no password (absent, null or empty) generates a one-time
    password, in the answer's ``password`` this once."""

    def reset(session: Any, agent: Any, body: dict[str, Any]) -> dict[str, Any]:
        chosen = text_field(body, "password")
        generated = agents.reset_password(session, agent, chosen or None, account)
        return {"password": generated} if generated else {}

    return await _change(request, account, agent_id, reset, True)


@bp.post("/api/admin/accounts/<agent_id:int>/communities")
@requires_role(*ADMIN_ROLES)
async def serve(request: Request, account: LoggedIn, agent_id: int) -> HTTPResponse:
    """``{"communities": [id, …]}``: the communities the account serves from now on (its live
    console sockets close and reconnect, so its queue follows)."""

    def change(session: Any, agent: Any, body: dict[str, Any]) -> dict[str, Any]:
        wanted = _community_ids(body)
        if wanted is None or wanted is False:
            raise communities.CommunityError(BAD_COMMUNITIES)
        return {"changed": agents.serve(session, agent, wanted, account)}

    return await _change(request, account, agent_id, change, True)


# ------------------------------------------------------------------ communities


def _community_json(record: communities.CommunityRecord, session: Any) -> dict[str, Any]:
    answers = communities.topic_answers(session, record.id)
    return {
        "id": record.id,
        "slug": record.slug,
        "name": record.name,
        "address": record.address,
        "buildings": record.buildings,
        "service_centre_place": record.service_centre_place,
        "service_centre_hours": record.service_centre_hours,
        "duty_phone": record.own_duty_phone,
        "duty_phone_shown": record.duty_phone,
        "answered": sum(1 for a in answers if a.text),
        "topics": len(answers),
        "agents": communities.agents_serving(session, record.id),
        "updated_at": record.updated_at.isoformat() if record.updated_at else None,
        "updated_by": record.updated_by,
    }


def _answers_json(session: Any, community_id: int) -> list[dict[str, Any]]:
    return [
        {
            "topic": a.topic,
            "label": a.label,
            "text": a.text,
            "covers": list(a.covers),
            "updated_at": a.updated_at.isoformat() if a.updated_at else None,
            "updated_by": a.updated_by,
        }
        for a in communities.topic_answers(session, community_id)
    ]


def _violations(found: list[Violation]) -> list[dict[str, str]]:
    return [{"rule": v.rule, "phrase": v.phrase, "suggestion": v.suggestion} for v in found]


def _facts(body: dict[str, Any]) -> dict[str, Any]:
    """The fact fields a body names, text ones as text; ``buildings`` an object of building
    number → units (bot.communities checks the values)."""
    fields: dict[str, Any] = {}
    for name in ("name", "address", "service_centre_place", "service_centre_hours", "duty_phone"):
        if name in body:
            fields[name] = text_field(body, name)
    if "buildings" in body:
        buildings = body["buildings"]
        if not isinstance(buildings, dict) or len(buildings) > 500:
            raise communities.CommunityError(BAD_BUILDINGS)
        if not all(isinstance(units, int) and not isinstance(units, bool) for units in buildings.values()) or not all(
            key.strip().isascii() and key.strip().isdigit() and len(key.strip()) <= 4 for key in buildings
        ):
            raise communities.CommunityError(BAD_BUILDINGS)
        fields["buildings"] = buildings
    return fields


@bp.get("/api/admin/communities")
@requires_role(*ADMIN_ROLES)
async def list_communities(request: Request, account: LoggedIn) -> HTTPResponse:
    with session_scope() as session:
        return response.json({"communities": [_community_json(record, session) for record in communities.list_communities(session)]})


@bp.post("/api/admin/communities")
@requires_role(*ADMIN_ROLES)
async def create_community(request: Request, account: LoggedIn) -> HTTPResponse:
    """A new community: ``slug`` (its widget's /c/<slug>) and ``name``, and any facts."""
    body = json_body(request)
    slug = text_field(body, "slug").strip().lower()
    try:
        fields = _facts(body)
        with session_scope() as session:
            if communities.community_by_slug(session, slug) is not None:
                return error_json(400, "bad_request", f"小区标识「{slug}」已被使用")
            facts = communities.CommunityFacts(slug=slug, name=str(fields.pop("name", "")), **fields)
            record = communities.save_community(session, facts, by=account.name)
            return response.json({"ok": True, "community": _community_json(record, session)})
    except communities.CommunityError as error:
        return error_json(400, "bad_request", str(error))


@bp.get("/api/admin/communities/<community_id:int>")
@requires_role(*ADMIN_ROLES)
async def community(request: Request, account: LoggedIn, community_id: int) -> HTTPResponse:
    with session_scope() as session:
        record = communities.get_community(session, community_id)
        if record is None:
            return error_json(404, "not_found", NO_SUCH_COMMUNITY)
        return response.json(
            {
                "community": _community_json(record, session),
                "answers": _answers_json(session, community_id),
                "changes": audit.entries(session, kind="community", target_id=community_id, limit=50),
            }
        )


@bp.post("/api/admin/communities/<community_id:int>")
@requires_role(*ADMIN_ROLES)
async def update_community(request: Request, account: LoggedIn, community_id: int) -> HTTPResponse:
    """Some of the community's facts (``name``, ``address``, ``buildings``, ``service_centre_place``,
    ``service_centre_hours``, ``duty_phone``); each changed one is recorded."""
    body = json_body(request)
    try:
        fields = _facts(body)
        with session_scope() as session:
            if communities.get_community(session, community_id) is None:
                return error_json(404, "not_found", NO_SUCH_COMMUNITY)
            made = communities.update_community(session, community_id, account.name, **fields)
            record = communities.get_community(session, community_id)
            assert record is not None
            return response.json({"ok": True, "changed": [change.field for change in made], "community": _community_json(record, session)})
    except communities.CommunityError as error:
        return error_json(400, "bad_request", str(error))


@bp.post("/api/admin/communities/<community_id:int>/answers/<topic:str>")
@requires_role(*ADMIN_ROLES)
async def save_answer(request: Request, account: LoggedIn, community_id: int, topic: str) -> HTTPResponse:
    """``{"text": …, "covers": …}``: the community's answer to ``topic`` from the next resident
    message on; empty or null: no answer (the honest hand-over). ``covers`` (optional, text
    separated by 、 or a list): the words residents use for what the answer says that it does not
    use itself (底商 for 商铺), which bot.intake.coverage counts as said; absent: left as they are.
    An impolite answer is refused (400, reason ``impolite``) with the checker's violations, and
    nothing is stored."""
    body = json_body(request)
    text = text_field(body, "text").strip()
    covers = body.get("covers")
    if covers is not None and not isinstance(covers, str) and not (isinstance(covers, list) and all(isinstance(t, str) for t in covers)):
        return error_json(400, "bad_request", BAD_COVERS)
    if not communities.is_topic(topic):
        return error_json(404, "not_found", NO_SUCH_TOPIC)
    try:
        with session_scope() as session:
            if communities.get_community(session, community_id) is None:
                return error_json(404, "not_found", NO_SUCH_COMMUNITY)
            if covers is not None:
                communities.check_terms(covers)  # refused before anything is stored
            change = communities.set_answer(session, community_id, topic, text or None, by=account.name)
            covered = communities.set_answer_covers(session, community_id, topic, covers, by=account.name) if covers is not None and text else None
            [answer] = [a for a in _answers_json(session, community_id) if a["topic"] == topic]
            return response.json({"ok": True, "changed": change is not None or covered is not None, "answer": answer})
    except communities.ImpoliteAnswer as refused:
        return response.json({"error": IMPOLITE, "reason": "impolite", "violations": _violations(refused.violations)}, status=400)
    except communities.CommunityError as error:
        return error_json(400, "bad_request", str(error))


@bp.post("/api/admin/communities/<community_id:int>/preview")
@requires_role(*ADMIN_ROLES)
async def preview(request: Request, account: LoggedIn, community_id: int) -> HTTPResponse:
    """``{"text": …}`` as the resident will read it in the chat (the widget's header, avatar and
    name with it), and what the politeness checker says of it; nothing is stored."""
    text = text_field(json_body(request), "text")
    with session_scope() as session:
        record = communities.get_community(session, community_id)
        if record is None:
            return error_json(404, "not_found", NO_SUCH_COMMUNITY)
    words = widget_config()["texts"]
    problem = ""
    try:
        communities.check_answer(text)
    except communities.ImpoliteAnswer:
        problem = IMPOLITE
    except communities.CommunityError as error:
        problem = str(error)
    return response.json(
        {
            "text": as_resident_reads(text) if text.strip() else "",
            "title": texts.render("widget.title"),
            "community": record.name,
            "avatar": words["avatarBot"],
            "meta": words["metaBot"],
            "ok": not problem,
            "problem": problem,
            "violations": _violations(check(text)),
        }
    )


@bp.get("/api/admin/audit")
@requires_role(*ADMIN_ROLES)
async def audit_trail(request: Request, account: LoggedIn) -> HTTPResponse:
    """The newest changes first (``?kind=account``, ``?target=<id>``, ``?limit=`` up to 500)."""
    kind = request.args.get("kind", "").strip() or None
    try:
        target = row_id(request.args.get("target")) if request.args.get("target") else None
        limit = int(request.args.get("limit", "100"))
    except ValueError:
        return error_json(400, "bad_request", "查询参数有误：target 应为编号，limit 应为1至500的数字")
    if kind is not None and kind not in audit.KINDS:
        return error_json(400, "bad_request", "kind 应为：" + "、".join(audit.KINDS))
    if not 1 <= limit <= audit.MAX_ENTRIES:
        return error_json(400, "bad_request", "查询参数有误：target 应为编号，limit 应为1至500的数字")
    with session_scope() as session:
        return response.json({"entries": audit.entries(session, kind=kind, target_id=target, limit=limit)})
