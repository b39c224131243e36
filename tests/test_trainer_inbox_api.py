"""Trainer accounts and ``/api/trainer/*`` on a real gateway process (SQLite): 401 without a session,
403 for agents and for POSTs without the CSRF token, inbox and annotation through HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from bot import cli
from bot.gateway.agents import create_agent
from bot.storage import session_scope, upgrade
from bot.storage.models import Agent, Annotation
from tests.gateway_support import login, make_agent, running_gateway
from tests.standin_rasa import unreachable_url
from tests.trainer_inbox_support import HELDOUT_TEXT, seed

PASSWORD = "correct-horse-1"


@pytest.fixture(scope="module")
def gateway_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The database this module's gateway process uses (not conftest's per-test ``db``)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('trainerapi') / 'gw.db'}"
    upgrade(url)
    make_agent(url, "客服甲")
    with session_scope(url) as session:
        create_agent(session, "培训员", PASSWORD, role="trainer")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        seed(url)
    yield url


@pytest.fixture(scope="module")
def base(gateway_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("trainerlog") / "gateway.log"
    with running_gateway(gateway_database, unreachable_url(), log) as url:
        yield url


def test_without_a_session_everything_is_401(base: str) -> None:
    for path in ("/api/trainer/inbox", "/api/trainer/labels", "/api/trainer/models", "/api/trainer/jobs/latest", "/api/trainer/models/1/confusion/heldout.png"):
        assert httpx.get(base + path).status_code == 401
    for path in ("/api/trainer/export", "/api/trainer/train", "/api/trainer/models/1/promote", "/api/trainer/models/1/rollback"):
        assert httpx.post(base + path).status_code == 401
    assert httpx.post(base + "/api/trainer/annotate", json={"item_id": "e1", "intent": "repair"}).status_code == 401
    page = httpx.get(base + "/trainer")
    assert page.status_code == 200 and 'data-testid="login-user"' in page.text and "模型训练台" in page.text
    agent_page = httpx.get(base + "/agent")  # the same login page, titled for the console
    assert 'data-testid="login-user"' in agent_page.text and "客服工作台" in agent_page.text and "模型训练台" not in agent_page.text


def test_agents_without_the_trainer_role_get_403(base: str) -> None:
    client, csrf = login(base, "客服甲")
    assert client.get("/api/trainer/inbox").status_code == 403
    assert client.get("/api/trainer/jobs/latest").status_code == 403
    assert client.post("/api/trainer/export", headers={"X-CSRF-Token": csrf}).status_code == 403
    assert client.post("/api/trainer/train", headers={"X-CSRF-Token": csrf}).status_code == 403
    assert client.post("/api/trainer/models/1/promote", headers={"X-CSRF-Token": csrf}).status_code == 403
    assert client.get("/api/trainer/labels").json()["error"] == "此账号没有模型训练权限"
    assert client.post("/api/trainer/annotate", json={"item_id": "e1", "intent": "repair"}, headers={"X-CSRF-Token": csrf}).status_code == 403
    page = client.get("/trainer")
    assert page.status_code == 403 and "没有模型训练权限" in page.text
    assert client.get("/api/agent/queue").status_code == 200  # the agent console still works


def test_trainer_reads_the_inbox_and_annotates(base: str, gateway_database: str) -> None:
    client, csrf = login(base, "培训员")
    page = client.get("/trainer")
    assert page.status_code == 200 and 'data-testid="inbox-filter-low-confidence"' in page.text
    assert page.headers["cache-control"] == "no-store" and "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/api/trainer/jobs/latest").json() == {"job": None}
    assert client.post("/api/trainer/train").status_code == 403  # no CSRF token: nothing starts
    assert client.get("/api/trainer/jobs/latest").json() == {"job": None}
    assert client.get("/api/trainer/models/999/compare").status_code == 404
    labels = client.get("/api/trainer/labels").json()
    assert "inquiry/fee_payment" in [label["value"] for label in labels["labels"]] and "inquiry" not in [label["value"] for label in labels["labels"]]

    items = client.get("/api/trainer/inbox").json()["items"]
    assert len(items) == 7 and (items[0]["flags"]["guard_disagrees"] or items[0]["flags"]["agent_corrected"])
    low = client.get("/api/trainer/inbox", params={"flag": "low_confidence"}).json()["items"]
    assert all(i["flags"]["low_confidence"] for i in low) and len(low) == 4
    assert client.get("/api/trainer/inbox", params={"flag": "bogus"}).status_code == 400

    leak = next(i for i in items if i["text"] == "厨房水龙头漏水了")
    body = {"item_id": leak["id"], "intent": "repair", "entities": [{"start": 0, "end": 2, "entity": "address"}]}
    assert client.post("/api/trainer/annotate", json=body).status_code == 403  # no CSRF token
    saved = client.post("/api/trainer/annotate", json=body, headers={"X-CSRF-Token": csrf})
    assert saved.status_code == 200 and saved.json()["item"]["annotation"]["intent"] == "repair"

    bad = client.post("/api/trainer/annotate", json={"item_id": leak["id"], "intent": "nonsense"}, headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 400 and bad.json()["error"] == "请从列表中选择一个意图"
    missing = client.post("/api/trainer/annotate", json={"item_id": "e424242", "intent": "repair"}, headers={"X-CSRF-Token": csrf})
    assert missing.status_code == 404

    held = next(i for i in items if i["text"] == HELDOUT_TEXT)
    refused = client.post("/api/trainer/annotate", json={"item_id": held["id"], "intent": "repair", "override": True}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 409 and refused.json()["refused"] and refused.json()["conflicts"][0]["kind"] == "test_set"
    noise = client.post("/api/trainer/annotate", json={"item_id": held["id"], "noise": True}, headers={"X-CSRF-Token": csrf})
    assert noise.status_code == 200

    with session_scope(gateway_database) as session:
        rows = session.execute(sa.select(Annotation).where(Annotation.source == "trainer").order_by(Annotation.id)).scalars().all()
        assert [(r.text, r.intent, r.noise, r.author) for r in rows] == [("厨房水龙头漏水了", "repair", False, "培训员"), (HELDOUT_TEXT, None, True, "培训员")]
        assert rows[0].entities == [{"start": 0, "end": 2, "value": "厨房", "entity": "address"}]


def test_cli_creates_trainer_accounts(gateway_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", gateway_database)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "a-long-password")
    assert cli.main(["agents", "create", "新培训员", "--role", "trainer"]) == 0
    assert "log in at /trainer" in capsys.readouterr().out
    assert cli.main(["agents", "create", "新客服"]) == 0
    with session_scope(gateway_database) as session:
        roles = dict(session.execute(sa.select(Agent.name, Agent.role)).all())
    assert roles["新培训员"] == "trainer" and roles["新客服"] == "agent" and roles["客服甲"] == "agent"
    with pytest.raises(SystemExit):
        cli.main(["agents", "create", "x", "--role", "admin"])
    with session_scope(gateway_database) as session, pytest.raises(ValueError):
        create_agent(session, "y", PASSWORD, role="admin")
