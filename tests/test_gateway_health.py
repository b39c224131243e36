"""``/healthz``'s report (``bot.gateway.health.report``) part by part: the database, each Rasa (the
stand-in), the action server, Redis when configured — against servers that answer, fail or are not
there — and the drain."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.gateway.config import GatewayConfig
from bot.gateway.health import report
from bot.gateway.pubsub import RedisFanout
from bot.gateway.rasa_client import RasaClient
from bot.gateway.state import Gateway
from bot.processes import free_port
from tests.service_support import missing
from tests.standin_rasa import StandInRasa, unreachable_url
from tests.test_gateway_redis import REDIS_UNREACHABLE, REDIS_URL, redis_reachable


def gateway(rasa_url: str, actions_url: str, redis_url: str = "", *more_rasa: str) -> Gateway:
    config = GatewayConfig(port=0, rasa_url=rasa_url, secret=b"x", redis_url=redis_url, action_server_url=actions_url, rasa_urls=(rasa_url, *more_rasa))
    return Gateway(config, RasaClient(config.rasa_servers))


def test_parts_down_are_listed_and_the_gateway_still_serves(db: str) -> None:
    async def scenario() -> dict:
        state = gateway(unreachable_url(), unreachable_url(), redis_url=f"redis://127.0.0.1:{free_port()}/0")
        try:
            return await report(state)
        finally:
            await state.limiter.close()

    body = asyncio.run(scenario())
    assert body["ok"] is True and body["ready"] is True and body["status"] == "degraded"
    assert body["parts"]["database"]["ok"] is True
    assert body["parts"]["rasa"][0]["ok"] is False and "error" in body["parts"]["rasa"][0]
    assert body["parts"]["actions"]["ok"] is False and body["parts"]["redis"]["ok"] is False
    assert sorted(body["degraded"]) == sorted(["actions", "redis", f"rasa {body['parts']['rasa'][0]['url']}"])


class ActionServer:
    """The action server's ``GET /health`` (rasa_sdk answers ``{"status": "ok"}``)."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                data = json.dumps({"status": "ok"}).encode()
                self.send_response(200 if self.path == "/health" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def test_every_part_up_and_no_redis_configured(db: str, standin_rasa: StandInRasa) -> None:
    standin_rasa.model_file = "/srv/models/wuye-0123.tar.gz"
    actions = ActionServer()
    try:
        body = asyncio.run(report(gateway(standin_rasa.url, actions.url)))
    finally:
        actions.server.shutdown()
    assert body["status"] == "ok" and body["degraded"] == [] and "redis" not in body["parts"]
    assert body["parts"]["rasa"] == [{"url": standin_rasa.url, "ok": True, "model": "wuye-0123.tar.gz", "ms": body["parts"]["rasa"][0]["ms"], "in_rotation": True}]
    assert body["parts"]["actions"]["ok"] is True


def test_every_rasa_server_of_a_cluster_is_listed_with_whether_it_is_in_rotation(db: str) -> None:
    """One server of two down: degraded, not down (its conversations went to the other); the
    gateway's client took it out of rotation when a resident's message found it down."""
    with StandInRasa() as one, StandInRasa() as two:
        two.go_down()

        async def scenario() -> dict:
            state = gateway(one.url, unreachable_url(), "", two.url)
            try:
                for index in range(20):  # some of these conversations rank the down server first
                    await state.rasa.send(f"resident-{index}", "你好")
                return await report(state)
            finally:
                await state.rasa.close()

        body = asyncio.run(scenario())
    assert body["ok"] is True and body["status"] == "degraded"
    assert [(p["url"], p["ok"], p["in_rotation"]) for p in body["parts"]["rasa"]] == [(one.url, True, True), (two.url, False, False)]
    assert f"rasa {two.url}" in body["degraded"] and f"rasa {one.url}" not in body["degraded"]


def test_a_rasa_answering_with_an_error_is_down(db: str, standin_rasa: StandInRasa) -> None:
    standin_rasa.failure = 500
    body = asyncio.run(report(gateway(standin_rasa.url, unreachable_url())))
    assert body["parts"]["rasa"][0]["ok"] is False and body["parts"]["rasa"][0]["error"] == "RuntimeError: HTTP 500"


def test_without_its_database_the_gateway_is_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'folder' / 'wuye.db'}")
    body = asyncio.run(report(gateway(unreachable_url(), unreachable_url())))
    assert body["ok"] is False and body["ready"] is False and body["status"] == "down"
    assert body["parts"]["database"]["ok"] is False and "database" in body["degraded"]


def test_draining_is_not_ready_but_healthy(db: str) -> None:
    state = gateway(unreachable_url(), unreachable_url())
    state.drain.refuse_new_turns()
    body = asyncio.run(report(state))
    assert body["ok"] is True and body["ready"] is False and body["draining"] is True


def test_redis_reachable_and_subscribed(db: str) -> None:
    if not redis_reachable():
        missing(REDIS_UNREACHABLE)

    async def scenario() -> dict:
        state = gateway(unreachable_url(), unreachable_url(), redis_url=REDIS_URL)
        state.hub.attach(RedisFanout(REDIS_URL, "test-health"))
        try:
            await asyncio.wait_for(state.hub.fanout.ready.wait(), 10)
            return await report(state)
        finally:
            await state.hub.fanout.close()
            await state.limiter.close()

    body = asyncio.run(scenario())
    assert body["parts"]["redis"]["ok"] is True and body["parts"]["redis"]["subscribed"] is True
    assert body["parts"]["redis"]["waiting"] == 0
