"""Accounts administered by a manager (issue 13 §4): bot.gateway.agents (the one place for an
account's rules, shared by the CLI and /admin), bot.audit, and the /api/admin/account endpoints
through a real gateway process — on SQLite and PostgreSQL.

What a manager does and what must follow: a new account logs in; a disabled one cannot (the
right password is told so, a wrong one learns nothing) and its sessions and console sockets end;
a reset password replaces the old one and ends the sessions, a generated one is answered once;
every change is one audit row with who, what, before and after; a manager cannot change their own
account; agents and trainers get 403 and a POST without the CSRF token 403.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import websockets

from bot import audit, texts
from bot.conversations.lifecycle import request_handoff
from bot.conversations.status import Priority
from bot.gateway import agents
from bot.gateway.agents import AccountDisabled, AccountError, LoggedIn, authenticate, create_agent, lookup_session, open_session
from bot.roles import Role
from bot.storage import session_scope
from bot.storage.models import AgentSession, AuditEntry, Message
from tests.gateway_support import cookie_header, login, resident_session, running_gateway, ws_url
from tests.standin_rasa import unreachable_url

PASSWORD = "correct-horse-1"


def _actor(session: object, name: str) -> LoggedIn:
    agent = agents.find_by_name(session, name)  # type: ignore[arg-type]
    assert agent is not None
    return LoggedIn(agent.id, agent.name, "csrf", Role(agent.role), agent.display_name)


def _entries(url: str) -> list[tuple[str, str, str, dict | None, dict | None]]:
    with session_scope(url) as session:
        rows = session.execute(sa.select(AuditEntry).order_by(AuditEntry.id)).scalars()
        return [(r.actor, r.action, r.target, r.before, r.after) for r in rows]


# --------------------------------------------------------------------------- the rules


def test_the_rules_of_an_account_and_its_audit_trail(database_url: str) -> None:
    with session_scope(database_url) as session:
        boss = create_agent(session, "经理甲", PASSWORD, role=Role.MANAGER)  # a fixture's account: not audited
        manager = _actor(session, "经理甲")
        with pytest.raises(AccountError, match="至少8个字符"):
            create_agent(session, "客服乙", "short", actor=manager)
        with pytest.raises(AccountError, match="已存在"):
            create_agent(session, " 经理甲 ", PASSWORD, actor=manager)
        with pytest.raises(AccountError, match="角色"):
            create_agent(session, "谁", PASSWORD, role="admin", actor=manager)
        agent = create_agent(session, "客服乙", PASSWORD, display_name="李华", actor=manager)
        token, _ = open_session(session, agent, 8)
        assert lookup_session(session, token) is not None

        assert agents.change_role(session, agent, "trainer", manager) is True
        assert agents.change_role(session, agent, "trainer", manager) is False  # unchanged: no row
        assert lookup_session(session, token).role == Role.TRAINER  # the session reads the role afresh
        assert agents.rename(session, agent, " 李小华 ", manager) is True
        with pytest.raises(AccountError):
            agents.change_role(session, agent, "root", manager)

        assert agents.disable(session, agent, manager) == []  # it held no conversation
        assert lookup_session(session, token) is None  # its session ended
        assert session.execute(sa.select(sa.func.count()).select_from(AgentSession).where(AgentSession.agent_id == agent.id)).scalar_one() == 0
        with pytest.raises(AccountDisabled):
            authenticate(session, "客服乙", PASSWORD)  # the right password is told it is disabled …
        assert authenticate(session, "客服乙", "wrong-password") is None  # … a wrong one learns nothing
        assert agents.disable(session, agent, manager) is None  # disabled already

        # The password rule is the same one for a reset, and a reset works while disabled.
        with pytest.raises(AccountError, match="至少8个字符"):
            agents.reset_password(session, agent, "1234567", manager)
        generated = agents.reset_password(session, agent, None, manager)
        assert generated is not None and len(generated) == agents.GENERATED_LENGTH
        assert agents.enable(session, agent, manager) is True
        assert authenticate(session, "客服乙", PASSWORD) is None  # the old password is gone
        assert authenticate(session, "客服乙", generated) is not None
        assert agents.reset_password(session, agent, "new-password-9", manager) is None  # chosen: not answered back
        assert authenticate(session, "客服乙", "new-password-9") is not None

        # Not their own account, whatever the change.
        for change in (
            lambda: agents.change_role(session, boss, "agent", manager),
            lambda: agents.disable(session, boss, manager),
            lambda: agents.reset_password(session, boss, None, manager),
        ):
            with pytest.raises(AccountError, match="不能修改自己的账号"):
                change()

    assert _entries(database_url) == [
        ("经理甲", "create_account", "客服乙", None, {"role": "agent", "display_name": "李华", "communities": ["锦华花园"]}),
        ("经理甲", "change_role", "客服乙", {"role": "agent"}, {"role": "trainer"}),
        ("经理甲", "rename_account", "客服乙", {"display_name": "李华"}, {"display_name": "李小华"}),
        ("经理甲", "disable_account", "客服乙", {"active": True}, {"active": False, "sessions_ended": 1, "conversations_released": 0}),
        ("经理甲", "reset_password", "客服乙", None, {"password": "generated", "sessions_ended": 0}),
        ("经理甲", "enable_account", "客服乙", {"active": False}, {"active": True}),
        ("经理甲", "reset_password", "客服乙", None, {"password": "set", "sessions_ended": 0}),
    ]
    for _, _, _, before, after in _entries(database_url):
        assert generated not in repr((before, after)) and "new-password-9" not in repr((before, after))
    with session_scope(database_url) as session:
        newest = audit.entries(session, kind="account", limit=2)
        assert [e["label"] for e in newest] == ["重置密码", "启用账号"]
        listed = {a["name"]: a for a in agents.accounts(session)}
        assert listed["客服乙"]["role"] == "trainer" and listed["客服乙"]["active"] is True and listed["客服乙"]["display_name"] == "李小华"


def test_the_command_line_uses_the_same_rules_and_is_audited(db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import getpass

    from bot.cli import main

    answers = iter([PASSWORD, PASSWORD, "short", "short", "password-99", "password-99"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert main(["agents", "create", "小周", "--display-name", "周明"]) == 0
    assert main(["agents", "password", "小周"]) == 1  # "short": the one rule refuses it
    assert "至少8个字符" in capsys.readouterr().err
    assert main(["agents", "password", "小周"]) == 0
    assert main(["agents", "disable", "小周"]) == 0
    assert main(["agents", "role", "小周", "manager"]) == 0
    assert main(["agents", "list"]) == 0
    out = capsys.readouterr().out
    assert "manager  disabled 小周 (周明)" in out
    with session_scope(db) as session, pytest.raises(AccountDisabled):
        authenticate(session, "小周", "password-99")
    assert main(["agents", "enable", "小周"]) == 0
    assert main(["agents", "password", "小周", "--generate"]) == 0
    generated = capsys.readouterr().out.strip().rsplit(": ", 1)[1]
    with session_scope(db) as session:
        assert authenticate(session, "小周", generated) is not None
    assert main(["agents", "disable", "没有这个人"]) == 1
    assert [(actor, action) for actor, action, *_ in _entries(db)] == [
        (audit.COMMAND_LINE, "create_account"),
        (audit.COMMAND_LINE, "reset_password"),
        (audit.COMMAND_LINE, "disable_account"),
        (audit.COMMAND_LINE, "change_role"),
        (audit.COMMAND_LINE, "enable_account"),
        (audit.COMMAND_LINE, "reset_password"),
    ]


# --------------------------------------------------------------------------- through a gateway


def _post(client: httpx.Client, csrf: str, path: str, body: dict | None = None) -> httpx.Response:
    return client.post(path, json=body or {}, headers={"X-CSRF-Token": csrf})


def _socket_closed_with(base: str, client: httpx.Client, act: object) -> int | None:
    """Open the account's console socket, run ``act()``, and return the code the socket closed with."""

    async def scenario() -> int | None:
        async with websockets.connect(ws_url(base, "/ws/agent"), extra_headers={"Cookie": cookie_header(client)}) as socket:
            await asyncio.wait_for(socket.recv(), 10)  # the queue: the socket is live
            await asyncio.to_thread(act)  # type: ignore[arg-type]
            try:
                while True:
                    await asyncio.wait_for(socket.recv(), 10)
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None

    return asyncio.run(scenario())


def test_a_manager_administers_accounts_through_the_gateway(database_url: str, tmp_path: Path) -> None:
    with session_scope(database_url) as session:
        create_agent(session, "经理甲", PASSWORD, role=Role.MANAGER)
        create_agent(session, "客服乙", PASSWORD, role=Role.AGENT)
        create_agent(session, "培训员丙", PASSWORD, role=Role.TRAINER)
    with running_gateway(database_url, unreachable_url(), tmp_path / "gw.log") as base:
        manager, csrf = login(base, "经理甲")
        listed = manager.get("/api/admin/accounts").json()
        assert {a["name"]: a["role"] for a in listed["accounts"]} == {"经理甲": "manager", "客服乙": "agent", "培训员丙": "trainer"}
        assert [r["role"] for r in listed["roles"]] == ["agent", "trainer", "manager"]

        # Roles and CSRF: agents and trainers are refused, with or without their token.
        for name in ("客服乙", "培训员丙"):
            other, other_csrf = login(base, name)
            assert other.get("/api/admin/accounts").status_code == 403
            refused = _post(other, other_csrf, "/api/admin/accounts", {"name": "x", "password": PASSWORD})
            assert (refused.status_code, refused.json()["reason"]) == (403, "role")
            assert other.get("/admin").status_code == 403
        missing = manager.post("/api/admin/accounts", json={"name": "新人", "password": PASSWORD})
        assert (missing.status_code, missing.json()["reason"]) == (403, "csrf")
        assert httpx.get(f"{base}/api/admin/accounts").status_code == 401

        # Create: the rule's refusal is shown as it is; then the account logs in.
        short = _post(manager, csrf, "/api/admin/accounts", {"name": "客服丁", "password": "1234567", "display_name": "丁一"})
        assert short.status_code == 400 and "至少8个字符" in short.json()["error"]
        created = _post(manager, csrf, "/api/admin/accounts", {"name": "客服丁", "password": PASSWORD, "display_name": "丁一", "role": "agent"})
        assert created.status_code == 200, created.text
        new = created.json()["account"]
        assert (new["name"], new["display_name"], new["role"], new["active"]) == ("客服丁", "丁一", "agent", True)
        ding, ding_csrf = login(base, "客服丁")
        assert ding.get("/api/agent/queue").status_code == 200
        rid = resident_session(base)["resident_id"]
        with session_scope(database_url) as session:
            request_handoff(session, rid, "request_human", Priority.NORMAL, summary="要人工")
        assert _post(ding, ding_csrf, f"/api/agent/conversations/{rid}/claim").status_code == 200

        # Disable: its session and its live console socket end; it cannot log in again; the
        # conversation it held waits for another agent, and the resident is told.
        answers: list[httpx.Response] = []
        code = _socket_closed_with(base, ding, lambda: answers.append(_post(manager, csrf, f"/api/admin/accounts/{new['id']}/disable")))
        assert code == 4401
        assert answers[0].json()["released"] == 1
        [waiting] = [item for item in manager.get("/api/agent/queue").json()["pending"] if item["id"] == rid]
        assert waiting["reason"] == "原客服账号已停用" and waiting["capabilities"]["claim"] is True
        with session_scope(database_url) as session:
            notice = session.execute(sa.select(Message).where(Message.conversation_id == rid, Message.role == "system").order_by(Message.id.desc())).scalars().first()
            assert notice is not None and notice.text == texts.render("agent.released", agent="丁一")
        assert ding.get("/api/agent/queue").status_code == 401
        refused = httpx.post(f"{base}/api/agent/login", json={"name": "客服丁", "password": PASSWORD})
        assert (refused.status_code, refused.json()["reason"]) == (403, "disabled") and "已停用" in refused.json()["error"]
        wrong = httpx.post(f"{base}/api/agent/login", json={"name": "客服丁", "password": "wrong-password"})
        assert wrong.status_code == 401  # a wrong password is not told the account is disabled

        # Enable, then reset with a generated one-time password: answered once, the old one gone.
        assert _post(manager, csrf, f"/api/admin/accounts/{new['id']}/enable").json()["account"]["active"] is True
        ding, _ = login(base, "客服丁")
        reset = _post(manager, csrf, f"/api/admin/accounts/{new['id']}/password").json()
        assert ding.get("/api/agent/queue").status_code == 401  # the reset ended its sessions
        assert httpx.post(f"{base}/api/agent/login", json={"name": "客服丁", "password": PASSWORD}).status_code == 401
        login(base, "客服丁", reset["password"])
        assert all(not {"password", "password_hash"} & set(a) for a in manager.get("/api/admin/accounts").json()["accounts"])

        # Role and display name; their own account is refused; an unknown id is a 404.
        role = _post(manager, csrf, f"/api/admin/accounts/{new['id']}/role", {"role": "trainer"}).json()
        assert role["changed"] is True and role["account"]["role"] == "trainer"
        assert _post(manager, csrf, f"/api/admin/accounts/{new['id']}/display-name", {"display_name": "丁二"}).json()["account"]["display_name"] == "丁二"
        mine = _post(manager, csrf, f"/api/admin/accounts/{listed['you']}/disable")
        assert mine.status_code == 400 and "自己的账号" in mine.json()["error"]
        assert _post(manager, csrf, "/api/admin/accounts/987654/disable").status_code == 404
        assert _post(manager, csrf, f"/api/admin/accounts/{new['id']}/role", {"role": 3}).status_code == 400

        trail = manager.get("/api/admin/audit?kind=account").json()["entries"]
        assert [(e["actor"], e["label"], e["target"]) for e in trail] == [
            ("经理甲", "修改显示名", "客服丁"),
            ("经理甲", "修改角色", "客服丁"),
            ("经理甲", "重置密码", "客服丁"),
            ("经理甲", "启用账号", "客服丁"),
            ("经理甲", "停用账号", "客服丁"),
            ("经理甲", "新建账号", "客服丁"),
        ]
        assert trail[1]["before"] == {"role": "agent"} and trail[1]["after"] == {"role": "trainer"}
        assert reset["password"] not in manager.get("/api/admin/audit").text
        assert manager.get(f"/api/admin/audit?target={new['id']}&limit=1").json()["entries"][0]["label"] == "修改显示名"
        for bad in ("?limit=0", "?limit=x", "?target=-1", "?kind=nothing"):
            assert manager.get("/api/admin/audit" + bad).status_code == 400, bad
