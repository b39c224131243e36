"""``python -m bot.action_server …``: rasa_sdk's action server (what ``rasa run actions`` starts),
with the product's quiet start (:mod:`bot.logs`).

``rasa run actions`` imports Sanic, which sets deprecation warnings to ``once``, and then
``sanic_cors``, which warns about ``distutils``' ``LooseVersion`` on import: two warnings in every
start's log that an operator can do nothing about. Here Sanic is imported first and the filter is
applied again before rasa_sdk imports the rest. The arguments are rasa_sdk's own
(``--actions``, ``--port``…), and so is everything after the start.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from bot.logs import quiet_start_past_sanic


def in_a_thread(run: Callable[..., Any]) -> Callable[..., Any]:
    """``run`` (an action's synchronous ``run``) as a coroutine that runs it in a worker thread."""

    @functools.wraps(run)
    async def threaded(dispatcher: Any, tracker: Any, domain: Any) -> Any:
        return await asyncio.to_thread(run, dispatcher, tracker, domain)

    return threaded


def run_actions_in_threads() -> None:
    """Register every synchronous action so that it runs in a worker thread."""
    from rasa_sdk.executor import ActionExecutor

    register = ActionExecutor.register_function
    if getattr(register, "threads", False):
        return

    def register_function(self: ActionExecutor, name: str, f: Callable[..., Any]) -> None:
        register(self, name, f if inspect.iscoroutinefunction(f) else in_a_thread(f))

    register_function.threads = True  # type: ignore[attr-defined]
    ActionExecutor.register_function = register_function  # type: ignore[method-assign]


def main(argv: Sequence[str] | None = None) -> None:
    quiet_start_past_sanic()  # before sanic_cors is imported
    from rasa_sdk.__main__ import main_from_args
    from rasa_sdk.endpoint import create_argument_parser

    run_actions_in_threads()
    main_from_args(create_argument_parser().parse_args(argv))


if __name__ == "__main__":
    main()
