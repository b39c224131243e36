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

The transactions that run on the loop on purpose are a live emergency's and, on a SQLite file, a
resident turn's own two (:func:`write_promptly`): they poll for the lock themselves
(:func:`bot.storage.urgent.write_now`), yielding the loop meanwhile, and their statements take a
millisecond or two — less than a worker thread's hand-over costs while Rasa has the CPU.
Claims stay atomic in threads: each is a conditional UPDATE, the first statement of its
transaction, so two racing processes (or threads) serialise on the lock and one wins.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from bot.settings import database_url
from bot.storage.urgent import polls_for_the_lock, write_now, write_polling

T = TypeVar("T")


async def in_thread(work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` (a transaction, or a read) in a worker thread; the loop goes on meanwhile.
    The caller's own order is kept: it awaits the result."""
    return await asyncio.to_thread(work, *args)


async def in_session(work: Callable[..., T], *args: Any) -> T:
    """``work(session, *args)`` in one transaction of its own, in a worker thread (:func:`in_thread`):
    committed when it returns, rolled back when it raises. On a SQLite file the transaction tries
    for the write lock every millisecond (:func:`bot.storage.urgent.write_polling`) rather than
    in SQLite's busy handler's growing sleeps, so ``work`` may run more than once: it must only
    read and write through its session."""
    return await in_thread(write_polling, lambda session: work(session, *args))


async def write_promptly(work: Callable[[Session], T]) -> T:
    """A resident turn's own transaction (the message stored; the replies stored and the turn
    done), while the resident waits. On a SQLite file it runs on the loop (:func:`write_now`: its
    tries for the write lock give the loop way, so a taken lock stalls nobody; the statements
    themselves take a millisecond or two). A worker thread's two hand-overs, each waiting for the
    OS to schedule a thread behind Rasa's CPU, had made each of these transactions 9–11 ms at p95
    and 20–65 ms at p99 under ``bench chat``; on the loop 5 ms and 10 ms (docs/benchmarks.md,
    2026-12-06). On PostgreSQL (network round trips, row locks that wait) it runs in a worker
    thread (:func:`in_session`). ``work`` may run more than once: it must only read and write
    through its session."""
    url = database_url()
    if polls_for_the_lock(url):
        return await write_now(work, url)
    return await in_session(work)
