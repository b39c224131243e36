"""``bot.rasa_server``: Rasa's action-reply check, compiled once, accepts and refuses exactly what
Rasa's own ``jsonschema.validate`` call does, with Rasa's error message."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot import rasa_server

REPLIES: list[dict[str, Any]] = [
    {},
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "address", "value": "3-2-102"}], "responses": [{"text": "好的"}]},
    {"events": [{"event": "followup", "name": "action_x"}], "responses": [{"text": "好的", "buttons": [{"title": "是", "payload": "/affirm"}]}]},
    {"events": "not a list"},
    {"events": [{"name": "no event key"}]},
    {"events": [{"event": 3}]},
    {"responses": "not a list"},
    {"responses": [3]},
]


@pytest.fixture()
def patched(monkeypatch: pytest.MonkeyPatch) -> RemoteAction:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)  # restored afterwards
    rasa_server.install()
    rasa_server.install()  # twice is harmless
    return RemoteAction("action_test", None)


def _rasa_verdict(reply: dict[str, Any]) -> str | None:
    try:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError as error:
        return error.message
    return None


@pytest.mark.parametrize("reply", REPLIES)
def test_same_verdict_and_message_as_rasas_own_check(patched: RemoteAction, reply: dict[str, Any]) -> None:
    expected = _rasa_verdict(reply)
    if expected is None:
        assert patched._validate_action_result(reply) is True
        return
    with pytest.raises(jsonschema.ValidationError) as raised:
        patched._validate_action_result(reply)
    assert raised.value.message.startswith(expected)
    assert "Failed to validate Action server response from API" in raised.value.message


def test_install_replaces_rasas_method(patched: RemoteAction) -> None:
    assert getattr(RemoteAction._validate_action_result, "compiled_schema", False)


def test_some_replies_are_refused() -> None:
    assert sum(_rasa_verdict(r) is not None for r in REPLIES) >= 4  # the table exercises both outcomes
