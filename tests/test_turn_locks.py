"""bot.gateway.turn_locks: one conversation's turns one at a time, in one process (in memory) and
across processes (redis-py's lock, each store standing for a gateway process); a dead holder blocks
for at most the lock's timeout, a living one keeps it however long its turn; without Redis the
process's own lock still orders its turns.

The Redis tests need the server at 127.0.0.1:6379 (skipped with a plain reason elsewhere, failed
under ``CI=true``); each uses a key prefix of its own."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis

from bot.gateway.turn_locks import InMemoryTurnLocks, RedisTurnLocks, TurnLockBusy, TurnLocks
from tests.service_support import missing
from tests.test_gateway_redis import REDIS_UNREACHABLE, REDIS_URL, redis_reachable


@pytest.fixture
def need_redis() -> None:
    if not redis_reachable():
        missing(REDIS_UNREACHABLE)


def prefix() -> str:
    return f"test-{uuid.uuid4().hex}"


async def turn(locks: TurnLocks, conversation_id: str, name: str, log: list[str], seconds: float = 0.05) -> None:
    async with locks.hold(conversation_id):
        log.append(f"{name} begins")
        await asyncio.sleep(seconds)
        log.append(f"{name} ends")


def not_interleaved(log: list[str]) -> bool:
    return all(log[i].split()[0] == log[i + 1].split()[0] for i in range(0, len(log), 2))


def test_the_factory_follows_the_configuration() -> None:
    assert isinstance(TurnLocks.create(""), InMemoryTurnLocks)

    async def scenario() -> None:
        locks = TurnLocks.create(REDIS_URL, "p", 5)
        assert isinstance(locks, RedisTurnLocks) and locks.timeout == 5 and locks.name("r1") == "p:turn:r1"
        await locks.close()

    asyncio.run(scenario())


def test_in_memory_turns_run_one_at_a_time_in_arrival_order() -> None:
    async def scenario() -> list[str]:
        locks, log = InMemoryTurnLocks(), []
        await asyncio.gather(*(turn(locks, "r1", f"t{n}", log) for n in range(4)), turn(locks, "r2", "other", []))
        assert locks._locks == {} and locks._users == {}, "nothing kept once nobody holds or waits"
        return log

    assert asyncio.run(scenario()) == [f"t{n} {w}" for n in range(4) for w in ("begins", "ends")]


def test_a_caller_that_does_not_wait_is_told_the_lock_is_busy() -> None:
    async def scenario() -> None:
        locks = InMemoryTurnLocks()
        async with locks.hold("r1"):
            with pytest.raises(TurnLockBusy):
                async with locks.hold("r1", wait=False):
                    pass
            async with locks.hold("r2", wait=False):
                pass
        async with locks.hold("r1", wait=False):
            pass

    asyncio.run(scenario())


def test_two_processes_never_interleave_one_conversations_turns(need_redis: None) -> None:
    async def scenario() -> list[str]:
        shared = prefix()
        first, second = RedisTurnLocks(REDIS_URL, shared, 5), RedisTurnLocks(REDIS_URL, shared, 5)
        log: list[str] = []
        try:
            await asyncio.gather(*(turn(first if n % 2 else second, "r1", f"t{n}", log, 0.1) for n in range(6)))
            async with first.hold("r1"):
                with pytest.raises(TurnLockBusy):
                    async with second.hold("r1", wait=False):
                        pass
                async with second.hold("r2", wait=False):  # another conversation is free
                    pass
        finally:
            await first.close()
            await second.close()
        return log

    log = asyncio.run(scenario())
    assert len(log) == 12 and not_interleaved(log), log


def test_a_dead_holder_blocks_for_at_most_the_timeout_and_a_living_one_keeps_it(need_redis: None) -> None:
    async def scenario() -> None:
        shared = prefix()
        locks = RedisTurnLocks(REDIS_URL, shared, 1.0)
        # A gateway killed with -9 while holding r1: its lock is never released nor renewed.
        assert redis.Redis.from_url(REDIS_URL).set(locks.name("r1"), "dead-holder", nx=True, px=1000)
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with locks.hold("r1"):
            waited = loop.time() - started
        assert 0.5 < waited < 3.0, waited
        # A living holder whose turn lasts three timeouts keeps the lock all along (renewed).
        other = RedisTurnLocks(REDIS_URL, shared, 1.0)
        try:
            async with locks.hold("r2"):
                for _ in range(6):
                    await asyncio.sleep(0.5)
                    with pytest.raises(TurnLockBusy):
                        async with other.hold("r2", wait=False):
                            pass
            async with other.hold("r2", wait=False):
                pass
        finally:
            await locks.close()
            await other.close()

    asyncio.run(scenario())


def test_without_redis_the_process_lock_still_orders_turns() -> None:
    async def scenario() -> list[str]:
        locks, log = RedisTurnLocks("redis://127.0.0.1:1/0", prefix(), 5), []
        try:
            await asyncio.gather(*(turn(locks, "r1", f"t{n}", log) for n in range(3)))
        finally:
            await locks.close()
        return log

    assert asyncio.run(scenario()) == [f"t{n} {w}" for n in range(3) for w in ("begins", "ends")]
