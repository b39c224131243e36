"""``python -m bot.rasa_server run …``: Rasa's own command line, with one measured speed-up.

Rasa 3.6 checks every action-server reply with ``jsonschema.validate(reply, schema)``. That call
re-validates the *schema* against the JSON Schema meta-schema every time before it looks at the
reply; profiling the chat benchmark (py-spy on the Rasa server, 50 residents) put 47 % of the
server's CPU time in that meta-schema check. :func:`install` swaps in the same check with a
validator built once for Rasa's (constant) schema: the same schema, the same
``ValidationError`` with the same message, only without repeating the meta-schema check.
Everything else is ``rasa`` unchanged (``python -m rasa``'s ``main``).

With ``WUYE_TIMINGS_DIR`` set (the chat benchmark's segments), :func:`install_timings` also records
each message's ``Agent.handle_message`` (start, end, and within it the waits for the conversation's
lock and the calls to the action server) as one line of :mod:`bot.timings`.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from bot import timings
from bot.logs import quiet_start, quiet_start_past_sanic

# Within one handle_message: seconds spent waiting for the lock, and calling the action server.
_spent: ContextVar[dict[str, float] | None] = ContextVar("wuye_turn_spent", default=None)


@lru_cache(maxsize=1)
def _action_reply_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, as jsonschema.validate would on every call
    return cls(schema)


def validate_action_reply(reply: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` (best match first) when ``reply`` breaks Rasa's schema."""
    from jsonschema.exceptions import best_match

    error = best_match(_action_reply_validator().iter_errors(reply))
    if error is not None:
        raise error


def install() -> None:
    """Make ``RemoteAction._validate_action_result`` use the validator built once."""
    from jsonschema import ValidationError
    from rasa.core.actions import action

    original = action.RemoteAction._validate_action_result
    if getattr(original, "compiled_schema", False):
        return

    def _validate_action_result(self: action.RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validate_action_reply(result)
            return True
        except ValidationError as error:
            error.message += (
                ". Failed to validate Action server response from API, make sure your response from "
                f"the Action endpoint is valid. For more information about the format visit {action.DOCS_BASE_URL}/custom-actions"
            )
            raise

    _validate_action_result.compiled_schema = True  # type: ignore[attr-defined]
    action.RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def _add(bucket: str, seconds: float) -> None:
    spent = _spent.get()
    if spent is not None:
        spent[bucket] += seconds


def install_timings() -> None:
    """Record each message's turn (``Agent.handle_message``), when timings are on."""
    recorder = timings.recorder("rasa")
    if recorder is None:
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.lock_store import LockStore

    handle_message, run, acquire = Agent.handle_message, RemoteAction.run, LockStore._acquire_lock

    async def timed_handle_message(self: Agent, message: Any) -> Any:
        started, spent = timings.now(), {"lock": 0.0, "actions": 0.0}
        token = _spent.set(spent)
        try:
            return await handle_message(self, message)
        finally:
            _spent.reset(token)
            recorder.write(
                sender=message.sender_id, started=started, finished=timings.now(),
                lock_ms=spent["lock"] * 1000, actions_ms=spent["actions"] * 1000,
            )

    async def timed_run(self: RemoteAction, *args: Any, **kwargs: Any) -> Any:
        started = timings.now()
        try:
            return await run(self, *args, **kwargs)
        finally:
            _add("actions", timings.now() - started)

    async def timed_acquire(self: LockStore, *args: Any, **kwargs: Any) -> Any:
        started = timings.now()
        try:
            return await acquire(self, *args, **kwargs)
        finally:
            _add("lock", timings.now() - started)

    Agent.handle_message = timed_handle_message  # type: ignore[method-assign]
    RemoteAction.run = timed_run  # type: ignore[method-assign]
    LockStore._acquire_lock = timed_acquire  # type: ignore[method-assign]


def main() -> None:
    quiet_start_past_sanic()
    install()
    install_timings()
    from rasa import __main__ as rasa_cli

    configure = rasa_cli.configure_logging_and_warnings

    def configure_quietly(*args: Any, **kwargs: Any) -> None:
        # Rasa sets UserWarnings to "once" when it starts; pyparsing's deprecation warnings (raised
        # as matplotlib is imported) are UserWarnings too, so filter the deprecations once more.
        configure(*args, **kwargs)
        quiet_start(configure_logging=False)

    rasa_cli.configure_logging_and_warnings = configure_quietly  # type: ignore[assignment]
    rasa_cli.main()


if __name__ == "__main__":
    main()
