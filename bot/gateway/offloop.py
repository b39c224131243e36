"""The gateway's database work, run off its event loop.

One event loop serves every socket of a gateway process. A transaction run on it stalls all of
them for as long as it takes — and a write waits there for SQLite's write lock, which Rasa's
tracker store and the action server take many times a second, in the busy handler's sleeps (1, 2,
5 … 100 ms). So the gateway's handlers and sweeps run their transactions in a worker thread
(:func:`in_thread`) and the loop only awaits them: a transaction that waits stalls its own caller,
not every resident's echo, reply and emergency alert.

Measured under ``bench chat`` (docs/benchmarks.md, 2026-12-05): with the residents' session
requests (a conversation row and its community), the presence and escalation sweeps and the
recovery's reads on the loop, it stalled up to 30 ms at a time, most in the seconds residents
arrive — when their emergencies arrive too.

The one transaction that runs on the loop on purpose is a live emergency's
(:func:`bot.storage.urgent.write_now`): it polls for the lock itself, yielding the loop meanwhile.
Claims stay atomic in threads: each is a conditional UPDATE, the first statement of its
transaction, so two racing processes (or threads) serialise on the lock and one wins.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from bot.storage import session_scope

T = TypeVar("T")


async def in_thread(work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` (a transaction, or a read) in a worker thread; the loop goes on meanwhile.
    The caller's own order is kept: it awaits the result."""
    return await asyncio.to_thread(work, *args)


async def in_session(work: Callable[..., T], *args: Any) -> T:
    """``work(session, *args)`` in one transaction of its own, in a worker thread (:func:`in_thread`):
    committed when it returns, rolled back when it raises."""
    return await in_thread(_transaction, work, *args)


def _transaction(work: Callable[..., T], *args: Any) -> T:
    with session_scope() as session:
        return work(session, *args)
