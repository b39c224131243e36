"""A gateway's periodic sweeps (unclaimed emergencies escalated, consoles' presence): one loop.

:func:`attach` runs ``step(gateway)`` every ``every`` seconds while the server runs — started after
it starts, cancelled before it stops. A round that fails (the database away for a moment) is logged
and the next round tries again; cancellation ends the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Sanic

from bot.gateway.state import Gateway

logger = logging.getLogger(__name__)

Step = Callable[[Gateway], Awaitable[Any]]


async def run_forever(gateway: Gateway, step: Step, every: float, name: str) -> None:
    while True:
        try:
            await step(gateway)
        except asyncio.CancelledError:
            raise
        except Exception:  # the database was away for a moment: the next round tries again
            logger.exception("%s round failed", name)
        await asyncio.sleep(every)


def attach(app: Sanic, name: str, step: Step, every: float) -> None:
    """Run ``step`` every ``every`` seconds while the server runs (the task kept as ``app.ctx.<name>_task``)."""
    attribute = f"{name}_task"

    async def _start(app: Sanic, _loop: object) -> None:
        setattr(app.ctx, attribute, asyncio.create_task(run_forever(app.ctx.gateway, step, every, name)))

    async def _stop(app: Sanic, _loop: object) -> None:
        task = getattr(app.ctx, attribute, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.register_listener(_start, "after_server_start")
    app.register_listener(_stop, "before_server_stop")
