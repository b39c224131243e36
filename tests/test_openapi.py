"""The gateway's OpenAPI document (bot/gateway/openapi.yml, served at GET /api/openapi.json).

It cannot drift from the code: every route of the Sanic app (path, method, WebSocket or not, row
ids typed as such) is in the document and nothing else is. And a schemathesis run against a real
gateway process, logged in as an agent, a trainer and a manager (each on the routes of its role)
with a resident's token, checks every
operation with generated and boundary inputs (examples, coverage and fuzzing phases, positive and
negative data, deterministic, bounded): no 5xx; statuses, content types and bodies as
documented; a method a path does not take is a 405 with ``Allow``; the guarded operations refuse a
request without their credentials.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bot.callbacks.desk import RESIDENT
from bot.gateway.agents import create_agent
from bot.gateway.app import create_app
from bot.gateway.config import GatewayConfig
from bot.gateway.openapi import document
from bot.storage import session_scope, upgrade
from bot.storage.models import Agent, AuditEntry, Callback, SurveyResponse
from tests.edge_support import AGENT, MANAGER, PASSWORD, TRAINER, Desk, assert_no_unexpected_error, seed_desk
from tests.gateway_support import login, running_gateway
from tests.standin_rasa import StandInRasa

METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
# Sanic's name for the static route's parameter; the document calls it "file".
PARAMETER_NAMES = {"__file_uri__": "file"}


@lru_cache(maxsize=1)
def _sanic_routes() -> dict[tuple[str, str], Any]:
    """``(OpenAPI path, method)`` → the Sanic route, for every route of the real application."""
    app = create_app(GatewayConfig(port=0, rasa_url="http://127.0.0.1:9", secret=b"census"), name="openapi_census")
    found = {}
    for route in app.router.routes:
        path = "/" + re.sub(r"<([^:>]+)(?::[^>]+)?>", lambda m: "{" + PARAMETER_NAMES.get(m.group(1), m.group(1)) + "}", route.path)
        for method in route.methods:
            found[(path, method.lower())] = route
    return found


def _documented() -> dict[tuple[str, str], dict[str, Any]]:
    return {(path, method): operation for path, item in document()["paths"].items() for method, operation in item.items() if method in METHODS}


def test_every_route_is_documented_and_nothing_else() -> None:
    routes, documented = _sanic_routes(), _documented()
    assert sorted(set(routes) - set(documented)) == [], "routes missing from bot/gateway/openapi.yml"
    assert sorted(set(documented) - set(routes)) == [], "bot/gateway/openapi.yml documents routes that do not exist"


def _resolved(item: dict[str, Any]) -> dict[str, Any]:
    """``item``, or what its ``$ref`` (``#/components/…``) points at."""
    if "$ref" not in item:
        return item
    found: Any = document()
    for part in item["$ref"].removeprefix("#/").split("/"):
        found = found[part]
    return found


def test_sockets_and_row_ids_are_documented_as_they_are() -> None:
    routes, documented = _sanic_routes(), _documented()
    for key, route in routes.items():
        operation = documented[key]
        assert bool(operation.get("x-websocket")) == bool(getattr(route.ctx, "websocket", False)), key
        parameters = [_resolved(p) for p in operation.get("parameters", [])]
        for name, label in re.findall(r"<([^:>]+):([^>]+)>", route.path):
            (parameter,) = [p for p in parameters if p.get("name") == PARAMETER_NAMES.get(name, name)]
            assert parameter["in"] == "path" and parameter["required"] is True, key
            if label == "int":  # a row id (bot.inbound.row_id): the router matches 0 … 2⁶³−1
                assert parameter["schema"] == {"$ref": "#/components/schemas/RowId"}, key
    assert document()["components"]["schemas"]["RowId"]["maximum"] == 2**63 - 1


def test_every_operation_answers_errors_as_documented() -> None:
    for key, operation in _documented().items():
        assert "default" in operation["responses"], key
        assert operation.get("operationId"), key


# --------------------------------------------------------------------------- schemathesis

# Operations the run leaves out, none of which reads a body or a parameter: logout would end the
# session the rest of the run uses; export writes nlu_data/annotated.yml into the checkout; train
# starts a real Rasa training (minutes of both CPUs).
LEFT_OUT = ("/api/agent/logout", "/api/trainer/export", "/api/trainer/train")
# The administration's account operations (disable, reset a password, change a role) act on these
# accounts only, never on the run's own (whose sessions they would end): the fuzzing phase draws
# their ids from a dictionary, and the coverage phase's boundary ids (0, 1, 2^63-2, 2^63-1) name no
# account or the first spare one, created before the run's accounts for that reason.
SPARE_ACCOUNTS = ("备用账号一", "备用账号二")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,unsupported_method,ignored_auth,missing_required_header"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str, Desk]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'gw.db'}"
    upgrade(url)
    with session_scope(url) as session:  # the accounts the administration's operations act on (see below)
        for name in SPARE_ACCOUNTS:
            create_agent(session, name, PASSWORD)
    desk = seed_desk(url)
    log = tmp_path_factory.mktemp("openapilog") / "gateway.log"
    with StandInRasa() as rasa, running_gateway(url, rasa.url, log, GATEWAY_RATE_LIMIT="1000000") as base:
        yield base, log, url, desk


def test_the_gateway_serves_the_document(gateway: tuple[str, Path, str, Desk]) -> None:
    base, _, _, _ = gateway
    served = httpx.get(f"{base}/api/openapi.json")
    assert served.status_code == 200 and served.json() == document()


def _toml_headers(headers: dict[str, str]) -> str:
    return "{ " + ", ".join(f'"{name}" = "{value}"' for name, value in headers.items()) + " }"


def _toml_ids(ids: tuple[int, ...]) -> str:
    """A schemathesis dictionary of ids (drawn for the parameters bound to it)."""
    return "{ values = [" + ", ".join(map(str, ids)) + "] }"


def test_schemathesis_finds_no_server_error(gateway: tuple[str, Path, str, Desk], tmp_path: Path) -> None:
    base, log, url, desk = gateway
    resident = f"Bearer {desk.resident_token}"  # the resident asked a callback in the chat

    def headers(name: str) -> dict[str, str]:
        client, csrf = login(base, name, PASSWORD)
        return {"Authorization": resident, "Cookie": f"wuye_agent={client.cookies['wuye_agent']}", "X-CSRF-Token": csrf}

    # Each desk's routes with the account of its role (bot.roles); the others' 401/403 are the
    # documented refusals the ignored_auth check and tests/test_agent_auth.py exercise.
    with session_scope(url) as session:
        spare = tuple(agent.id for agent in session.execute(sa.select(Agent).where(Agent.name.in_(SPARE_ACCOUNTS))).scalars())
    # The seeded callbacks and surveys (tests.edge_support.seed_desk) are among the ids drawn, so
    # claims, records and answers also succeed (and, unhappy, reopen tickets and queue residents):
    # the agents' routes draw the phone list's callback, the resident's answer the chat's.
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        f"headers = {_toml_headers(headers(AGENT))}\n\n"
        "[dictionaries]\n"
        f"phone_callbacks = {_toml_ids((desk.phone_callback_id,))}\n"
        f"chat_callbacks = {_toml_ids((desk.chat_callback_id,))}\n"
        f"surveys = {_toml_ids(desk.survey_ids)}\n"
        f"spare_accounts = {_toml_ids(spare)}\n\n"
        "[parameters]\n"
        '"path.callback_id" = { dictionary = "phone_callbacks", probability = 0.5 }\n'
        '"body.callback" = { dictionary = "chat_callbacks", probability = 0.5 }\n'
        '"body.survey" = { dictionary = "surveys", probability = 0.5 }\n'
        '"path.agent_id" = { dictionary = "spare_accounts" }\n\n'
        "[[operations]]\n"
        'include-path-regex = "^/(api/)?trainer"\n'
        f"headers = {_toml_headers(headers(TRAINER))}\n\n"
        "[[operations]]\n"
        'include-path-regex = "^/(api/)?(manager|admin)"\n'
        f"headers = {_toml_headers(headers(MANAGER))}\n",
        encoding="utf-8",
    )
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color",
        "run", f"{base}/api/openapi.json",
        "--checks", CHECKS,
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", "10",
        "--generation-deterministic",
        "--workers", "1",
        "--request-timeout", "30",
        # The client id's pattern (ClientId) makes Hypothesis filter many generated query strings.
        "--suppress-health-check", "filter_too_much",
        *(argument for path in LEFT_OUT for argument in ("--exclude-path", path)),
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    selected, total = map(int, re.search(r"Selected: (\d+)/(\d+)", run.stdout).groups())
    tested = int(re.search(r"Tested: (\d+)", run.stdout).group(1))
    assert tested == selected == total - len(LEFT_OUT), run.stdout[-3000:]  # every other operation ran
    assert_no_unexpected_error(log)
    with session_scope(url) as session:  # the run's own accounts were left alone, the spare ones were not
        accounts = {a.name: (a.role, a.disabled_at is None) for a in session.execute(sa.select(Agent)).scalars()}
        actions = set(session.execute(sa.select(AuditEntry.action).where(AuditEntry.target.in_(SPARE_ACCOUNTS))).scalars())
    assert [accounts[name] for name in (AGENT, TRAINER, MANAGER)] == [("agent", True), ("trainer", True), ("manager", True)]
    assert actions >= {"disable_account", "reset_password"}, actions
    # The run went past the refusals: the agent claimed and recorded the phone list's callback, the
    # resident answered the chat's and a survey.
    with session_scope(url) as session:
        done = {c.id: c.done_by for c in session.execute(sa.select(Callback).where(Callback.status == "done")).scalars()}
        surveys = session.execute(sa.select(SurveyResponse.survey_id).where(SurveyResponse.conversation_id == desk.resident_id)).scalars().all()
    assert (done.get(desk.phone_callback_id), done.get(desk.chat_callback_id)) == (AGENT, RESIDENT), done
    assert set(surveys) & set(desk.survey_ids), surveys
