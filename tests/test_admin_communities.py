"""Communities administered by a manager (issue 13 §4): the /api/admin/communities endpoints through
a real gateway process on SQLite and PostgreSQL, the preview against what the assistant really
says, and the one audit trail of accounts and communities (bot.audit).

A manager edits a community's facts and its topic answers; an impolite answer is refused with what
the checker found and what to say instead, and nothing is stored; a polite one is stored and is the
answer from the next message on; each change is in the audit trail with who, before and after. An
agent's communities are set on the same page. Agents and trainers get 403, a POST without the CSRF
token 403.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from actions.actions import ActionAnswerInquiry
from bot import audit, communities, texts
from bot.gateway import agents
from bot.gateway.agents import LoggedIn, create_agent
from bot.intake.inquiry import as_resident_reads
from bot.roles import Role
from bot.storage import session_scope
from tests.gateway_support import login, running_gateway
from tests.standin_rasa import unreachable_url
from tests.test_actions import make_tracker, run

PASSWORD = "correct-horse-1"
POLITE = "锦华花园地下车位月租320元/月，临时停车首1小时免费，之后5元/小时。"
IMPOLITE = "不知道，你自己去问开发商"


def test_the_preview_is_what_the_assistant_says(db: str) -> None:
    with session_scope(db) as session:
        first = communities.default_community(session)
        communities.set_answer(session, first.id, "parking", POLITE, by="经理甲")
    said = run(ActionAnswerInquiry(), make_tracker("想了解一下这方面", topic="parking"))
    assert said.text == as_resident_reads(POLITE) == as_resident_reads(f"  {POLITE}\n")
    assert said.text.startswith(POLITE) and said.text != POLITE  # the assistant's own words follow


def test_one_trail_for_accounts_and_communities(database_url: str) -> None:
    with session_scope(database_url) as session:
        boss = create_agent(session, "经理甲", PASSWORD, role=Role.MANAGER)
        manager = LoggedIn(boss.id, boss.name, "csrf", Role.MANAGER)
        first = communities.default_community(session)
        second = communities.save_community(session, communities.CommunityFacts(slug="lanting", name="兰亭苑"), by=manager.name)
        agent = create_agent(session, "客服乙", PASSWORD, actor=manager)  # serves the first community by default
        assert communities.communities_served(session, "客服乙") == [first.id]
        assert agents.serve(session, agent, [second.id, first.id], manager) is True
        assert agents.serve(session, agent, [first.id, second.id], manager) is False
        communities.update_community(session, second.id, manager.name, duty_phone="0571-1234-5678")
        communities.set_answer(session, second.id, "parking", POLITE, by=manager.name)
        with pytest.raises(communities.CommunityError):
            agents.serve(session, agent, [987654], manager)
    with session_scope(database_url) as session:
        trail = audit.entries(session)
        assert [(e["label"], e["target"]) for e in trail[:5]] == [
            ("修改答复", "兰亭苑 · 车位和停车"),
            ("修改小区资料", "兰亭苑"),
            ("修改服务小区", "客服乙"),
            ("新建账号", "客服乙"),
            ("新建小区", "兰亭苑"),
        ]
        assert trail[3]["after"] == {"role": "agent", "display_name": "", "communities": [first.name]}
        assert trail[0]["before"] == {"text": None} and trail[0]["after"] == {"text": POLITE}
        assert trail[1]["after"] == {"duty_phone": "0571-1234-5678"}
        assert trail[2]["before"] == {"communities": [first.name]} and trail[2]["after"] == {"communities": [first.name, "兰亭苑"]}
        assert {e["target_kind"] for e in audit.entries(session, kind="community")} == {"community"}
        assert [e["label"] for e in audit.entries(session, kind="community", target_id=second.id)] == ["修改答复", "修改小区资料", "新建小区"]
        assert [e["label"] for e in audit.entries(session, kind="account", limit=1)] == ["修改服务小区"]


def _post(client: httpx.Client, csrf: str, path: str, body: dict | None = None) -> httpx.Response:
    return client.post(path, json=body or {}, headers={"X-CSRF-Token": csrf})


def test_a_manager_edits_communities_through_the_gateway(database_url: str, tmp_path: Path) -> None:
    with session_scope(database_url) as session:
        create_agent(session, "经理甲", PASSWORD, role=Role.MANAGER)
        create_agent(session, "客服乙", PASSWORD, role=Role.AGENT)
        create_agent(session, "培训员丙", PASSWORD, role=Role.TRAINER)
    with running_gateway(database_url, unreachable_url(), tmp_path / "gw.log") as base:
        manager, csrf = login(base, "经理甲")
        [first] = manager.get("/api/admin/communities").json()["communities"]
        assert first["slug"] == "jinhua-garden" and first["answered"] > 0 and first["topics"] == len(communities.TOPICS)
        cid = first["id"]

        for name in ("客服乙", "培训员丙"):
            other, other_csrf = login(base, name)
            assert other.get(f"/api/admin/communities/{cid}").status_code == 403
            refused = _post(other, other_csrf, f"/api/admin/communities/{cid}/answers/parking", {"text": POLITE})
            assert (refused.status_code, refused.json()["reason"]) == (403, "role")
        no_token = manager.post(f"/api/admin/communities/{cid}/answers/parking", json={"text": POLITE})
        assert (no_token.status_code, no_token.json()["reason"]) == (403, "csrf")

        # An impolite answer: refused with the checker's findings, nothing stored.
        before = manager.get(f"/api/admin/communities/{cid}").json()
        [parking] = [a for a in before["answers"] if a["topic"] == "parking"]
        refused = _post(manager, csrf, f"/api/admin/communities/{cid}/answers/parking", {"text": IMPOLITE})
        assert (refused.status_code, refused.json()["reason"]) == (400, "impolite")
        assert {v["phrase"] for v in refused.json()["violations"]} >= {"不知道", "你自己去"}
        assert all(v["suggestion"] for v in refused.json()["violations"])
        with session_scope(database_url) as session:
            assert communities.answer_with_covers(session, cid, "parking")[0] == parking["text"]

        # The preview: as the resident reads it, the checker's verdict, nothing stored.
        shown = _post(manager, csrf, f"/api/admin/communities/{cid}/preview", {"text": POLITE}).json()
        assert (shown["text"], shown["ok"], shown["violations"], shown["community"]) == (as_resident_reads(POLITE), True, [], first["name"])
        assert shown["title"] == texts.render("widget.title") and shown["avatar"] and shown["meta"]
        bad = _post(manager, csrf, f"/api/admin/communities/{cid}/preview", {"text": IMPOLITE}).json()
        assert bad["ok"] is False and bad["problem"] and bad["violations"]

        saved = _post(manager, csrf, f"/api/admin/communities/{cid}/answers/parking", {"text": f" {POLITE} "}).json()
        assert saved["changed"] is True and saved["answer"]["text"] == POLITE and saved["answer"]["updated_by"] == "经理甲"
        with session_scope(database_url) as session:
            assert communities.answer_with_covers(session, cid, "parking")[0] == POLITE  # what the next message reads
        removed = _post(manager, csrf, f"/api/admin/communities/{cid}/answers/pets", {"text": ""}).json()
        assert removed["changed"] is True and removed["answer"]["text"] is None  # residents get the hand-over
        assert _post(manager, csrf, f"/api/admin/communities/{cid}/answers/other", {"text": POLITE}).status_code == 404
        assert _post(manager, csrf, "/api/admin/communities/987654/answers/parking", {"text": POLITE}).status_code == 404

        # Facts: each changed field recorded; a bad value refused with what to write.
        facts = _post(manager, csrf, f"/api/admin/communities/{cid}", {"duty_phone": "0571-8765-0000", "buildings": {str(n): 3 for n in range(1, 14)}, "name": first["name"]}).json()
        assert sorted(facts["changed"]) == ["buildings", "duty_phone"] and facts["community"]["duty_phone_shown"] == "0571-8765-0000"
        assert _post(manager, csrf, f"/api/admin/communities/{cid}", {"buildings": {"1": 99}}).status_code == 400
        assert _post(manager, csrf, f"/api/admin/communities/{cid}", {"buildings": [1, 2]}).status_code == 400
        assert _post(manager, csrf, f"/api/admin/communities/{cid}", {"name": ""}).status_code == 400

        # A second community, and an agent serving both.
        created = _post(manager, csrf, "/api/admin/communities", {"slug": "lanting", "name": "兰亭苑", "address": "杭州市兰亭路1号", "buildings": {"1": 2}})
        assert created.status_code == 200, created.text
        second = created.json()["community"]["id"]
        assert _post(manager, csrf, "/api/admin/communities", {"slug": "lanting", "name": "又一个"}).status_code == 400
        accounts = {a["name"]: a for a in manager.get("/api/admin/accounts").json()["accounts"]}
        served = _post(manager, csrf, f"/api/admin/accounts/{accounts['客服乙']['id']}/communities", {"communities": [cid, second]}).json()
        assert served["account"]["communities"] == [cid, second]
        assert manager.get(f"/api/admin/communities/{second}").json()["community"]["agents"] == ["客服乙"]
        assert _post(manager, csrf, f"/api/admin/accounts/{accounts['客服乙']['id']}/communities", {"communities": "all"}).status_code == 400
        assert _post(manager, csrf, f"/api/admin/accounts/{accounts['客服乙']['id']}/communities", {"communities": [987654]}).status_code == 400
        new = _post(manager, csrf, "/api/admin/accounts", {"name": "客服丁", "password": PASSWORD, "communities": [second]}).json()
        assert new["account"]["communities"] == [second]

        detail = manager.get(f"/api/admin/communities/{cid}").json()
        assert [(c["actor"], c["label"]) for c in detail["changes"][:4]] == [("经理甲", "修改小区资料"), ("经理甲", "修改小区资料"), ("经理甲", "修改答复"), ("经理甲", "修改答复")]
        answer_change = detail["changes"][3]
        assert answer_change["before"] == {"text": parking["text"]} and answer_change["after"] == {"text": POLITE}
        assert manager.get("/api/admin/audit?kind=community").json()["entries"][0]["target"] == "兰亭苑"

        # What an answer also covers (bot.intake.coverage): saved with it, in the trail, refused when malformed.
        covered = _post(manager, csrf, f"/api/admin/communities/{cid}/answers/parking", {"text": POLITE, "covers": "车库、 地库，包年"}).json()
        assert covered["changed"] is True and covered["answer"]["covers"] == ["车库", "地库", "包年"] and covered["answer"]["text"] == POLITE
        again = _post(manager, csrf, f"/api/admin/communities/{cid}/answers/parking", {"text": POLITE, "covers": ["车库", "地库", "包年"]}).json()
        assert again["changed"] is False
        assert _post(manager, csrf, f"/api/admin/communities/{cid}/answers/parking", {"text": POLITE, "covers": "车库、<script>"}).status_code == 400
        assert _post(manager, csrf, f"/api/admin/communities/{cid}/answers/parking", {"text": POLITE, "covers": 3}).status_code == 400
        with session_scope(database_url) as session:
            assert communities.answer_with_covers(session, cid, "parking")[1] == ("车库", "地库", "包年")
        [entry] = manager.get(f"/api/admin/communities/{cid}").json()["changes"][:1]
        assert (entry["label"], entry["after"]) == ("修改答复", {"covers": "车库、地库、包年"})
