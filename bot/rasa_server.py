"""``python -m bot.rasa_server run …``: Rasa's own command line, with one measured speed-up.

Rasa 3.6 checks every action-server reply with ``jsonschema.validate(reply, schema)``. That call
re-validates the *schema* against the JSON Schema meta-schema every time before it looks at the
reply; profiling the chat benchmark (py-spy on the Rasa server, 50 residents) put 47 % of the
server's CPU time in that meta-schema check. :func:`install` swaps in the same check with a
validator built once for Rasa's (constant) schema: the same schema, the same
``ValidationError`` with the same message, only without repeating the meta-schema check.
Everything else is ``rasa`` unchanged (``python -m rasa``'s ``main``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


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


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
