"""The gateway's Rasa client (``bot/gateway/rasa_client.py``) over several Rasa servers: rendezvous
hashing (a conversation sticks to one server; losing or adding one moves only its share), moving
when a server is down and back when its probe answers, no repeat of a request Rasa may have run,
and one server behaving as before the cluster. Against stand-in Rasa servers on real ports."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from bot.gateway import rasa_client
from bot.gateway.rasa_client import RasaClient, RasaUnavailable, rank
from tests.standin_rasa import WEBHOOK, StandInRasa, unreachable_url

T = TypeVar("T")
SERVERS = [f"http://rasa-{i}.internal:5005" for i in range(1, 5)]
IDS = [uuid.UUID(int=i).hex for i in range(4000)]


@pytest.fixture(autouse=True)
def quick_recovery(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed server is out for 0.3 s at least and probed every 0.1 s (5 s and 1 s in service)."""
    monkeypatch.setattr(rasa_client, "DOWN_SECONDS", 0.3)
    monkeypatch.setattr(rasa_client, "PROBE_SECONDS", 0.1)


def with_client(servers: list[str], scenario: Callable[[RasaClient], Awaitable[T]], timeout: float = 60.0) -> T:
    async def run() -> T:
        client = RasaClient(servers, timeout=timeout)
        try:
            return await scenario(client)
        finally:
            await client.close()

    return asyncio.run(run())


def senders(rasa: StandInRasa) -> list[str]:
    return [body["sender"] for body in rasa.webhook]


def first_choice(servers: list[str]) -> dict[str, str]:
    return {conversation: rank(servers, conversation)[0] for conversation in IDS}


# ------------------------------------------------------------------ rendezvous hashing


def test_every_gateway_ranks_alike_whatever_the_order_of_its_list() -> None:
    for conversation in IDS[:200]:
        assert rank(SERVERS, conversation) == rank(list(reversed(SERVERS)), conversation)
        assert sorted(rank(SERVERS, conversation)) == sorted(SERVERS)


def test_conversations_spread_evenly() -> None:
    shares = Counter(first_choice(SERVERS).values())
    assert set(shares) == set(SERVERS)
    assert all(0.2 < count / len(IDS) < 0.3 for count in shares.values()), shares


def test_losing_a_server_moves_only_its_conversations() -> None:
    before, after = first_choice(SERVERS), first_choice(SERVERS[:3])
    moved = [c for c in IDS if before[c] != after[c]]
    assert moved and all(before[c] == SERVERS[3] for c in moved)
    assert len(moved) == sum(1 for c in IDS if before[c] == SERVERS[3]), "every one of its conversations moved"


def test_adding_a_server_takes_about_its_share_from_the_others_and_moves_nothing_else() -> None:
    before, after = first_choice(SERVERS[:3]), first_choice(SERVERS)
    moved = [c for c in IDS if before[c] != after[c]]
    assert all(after[c] == SERVERS[3] for c in moved), "a conversation moves only to the new server"
    assert 0.2 < len(moved) / len(IDS) < 0.3


# ------------------------------------------------------------------ sticking and moving


def test_a_conversation_sticks_to_its_server() -> None:
    with StandInRasa() as one, StandInRasa() as two:
        servers = [one.url, two.url]

        async def scenario(client: RasaClient) -> None:
            for conversation in IDS[:20]:
                for turn in range(3):
                    assert await client.send(conversation, f"第{turn}句") == [{"recipient_id": conversation, "text": f"收到：第{turn}句"}]

        with_client(servers, scenario)
        for conversation in IDS[:20]:
            home = one if rank(servers, conversation)[0] == one.url else two
            away = two if home is one else one
            assert senders(home).count(conversation) == 3 and conversation not in senders(away)


def test_a_server_that_refuses_is_skipped_at_once_and_taken_back_when_its_probe_answers() -> None:
    with StandInRasa() as one, StandInRasa() as two:
        servers = [one.url, two.url]
        ones = [c for c in IDS if rank(servers, c)[0] == one.url][:5]

        async def scenario(client: RasaClient) -> list[dict[str, Any]]:
            one.go_down()
            for conversation in ones:  # no error for the resident: the request went to the other
                assert await client.send(conversation, "你好") == [{"recipient_id": conversation, "text": "收到：你好"}]
            out = client.state()
            one.come_back()
            for _ in range(50):
                if all(server["in_rotation"] for server in client.state()):
                    break
                await asyncio.sleep(0.05)
            for conversation in ones:
                await client.send(conversation, "回来了吗")
            return out

        state = with_client(servers, scenario)
        assert state == [{"url": one.url, "in_rotation": False, "error": state[0]["error"]}, {"url": two.url, "in_rotation": True}]
        assert "Cannot connect" in state[0]["error"]
        assert [b["message"] for b in two.webhook] == ["你好"] * 5, "while it was down, its conversations went to the other"
        assert [b["message"] for b in one.webhook] == ["回来了吗"] * 5, "back in rotation, they came home"


def test_a_server_error_is_not_repeated_elsewhere_but_the_next_message_moves() -> None:
    """A 5xx may come after Rasa ran the turn's actions (a ticket): sending it again could run
    them twice, so the caller hears of it; the next message goes to the next server."""
    with StandInRasa() as one, StandInRasa() as two:
        servers = [one.url, two.url]
        conversation = next(c for c in IDS if rank(servers, c)[0] == one.url)
        one.failure = 500

        async def scenario(client: RasaClient) -> list[dict[str, Any]]:
            with pytest.raises(RasaUnavailable, match="500"):
                await client.send(conversation, "楼道着火了")
            assert client.state()[0]["in_rotation"] is False
            return await client.send(conversation, "还在吗")

        assert with_client(servers, scenario) == [{"recipient_id": conversation, "text": "收到：还在吗"}]
        assert [b["message"] for b in one.webhook] == ["楼道着火了"]
        assert [b["message"] for b in two.webhook] == ["还在吗"]


def test_a_server_too_slow_to_answer_is_taken_out_without_a_repeat() -> None:
    with StandInRasa() as one, StandInRasa() as two:
        servers = [one.url, two.url]
        conversation = next(c for c in IDS if rank(servers, c)[0] == one.url)
        one.delay = 1.5

        async def scenario(client: RasaClient) -> list[dict[str, Any]]:
            with pytest.raises(RasaUnavailable):
                await client.send(conversation, "慢")
            return await client.send(conversation, "快")

        assert with_client(servers, scenario, timeout=0.5) == [{"recipient_id": conversation, "text": "收到：快"}]
        assert [b["message"] for b in two.webhook] == ["快"]


def test_tracker_calls_follow_the_conversation_too() -> None:
    with StandInRasa() as one, StandInRasa() as two:
        servers = [one.url, two.url]
        conversation = next(c for c in IDS if rank(servers, c)[0] == two.url)
        two.slots[conversation] = {"phone": "13812345678"}
        two.go_down()
        one.slots[conversation] = {"phone": "13812345678", "address": "3-2-102"}

        async def scenario(client: RasaClient) -> dict[str, Any]:
            await client.resume(conversation)
            return await client.slots(conversation)

        assert with_client(servers, scenario) == {"phone": "13812345678", "address": "3-2-102"}
        assert one.appended(conversation) == [[{"event": "resume"}, {"event": "action", "name": "action_listen"}]]


def test_every_server_down_is_one_error_naming_each() -> None:
    servers = [unreachable_url(), unreachable_url()]

    async def scenario(client: RasaClient) -> str:
        with pytest.raises(RasaUnavailable) as raised:
            await client.send("r1", "你好")
        return str(raised.value)

    message = with_client(servers, scenario)
    assert servers[0] in message and servers[1] in message


def test_one_server_is_always_tried_as_before_the_cluster() -> None:
    """With one server there is nowhere to move: an error never keeps the next message from it."""
    with StandInRasa() as only:
        only.failure = 502

        async def scenario(client: RasaClient) -> list[dict[str, Any]]:
            with pytest.raises(RasaUnavailable):
                await client.send("r1", "一")
            only.failure = None
            replies = await client.send("r1", "二")  # tried although out of rotation, and back in
            assert client.state() == [{"url": only.url, "in_rotation": True}]
            return replies

        assert with_client([only.url], scenario) == [{"recipient_id": "r1", "text": "收到：二"}]
        assert [r.path for r in only.requests] == [WEBHOOK, WEBHOOK], "no probe runs for a lone server"


def test_the_gateway_is_configured_with_every_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.gateway.config import GatewayConfig

    monkeypatch.setenv("GATEWAY_SECRET", "x")
    monkeypatch.setenv("RASA_URL", "http://rasa-1.internal:5005")
    monkeypatch.delenv("RASA_URLS", raising=False)
    assert GatewayConfig.from_env().rasa_servers == ("http://rasa-1.internal:5005",)
    monkeypatch.setenv("RASA_URLS", "http://rasa-1.internal:5005,http://rasa-2.internal:5005/")
    config = GatewayConfig.from_env()
    assert config.rasa_servers == ("http://rasa-1.internal:5005", "http://rasa-2.internal:5005") and config.rasa_url == config.rasa_servers[0]
    assert list(RasaClient(config.rasa_servers).servers) == list(config.rasa_servers)
