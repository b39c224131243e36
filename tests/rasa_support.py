"""Pytest fixtures for tests that need Rasa: one real model per run, cached by fingerprint.

The model is trained once into ``.cache/models/wuye-<hash of data and config>.tar.gz`` and reused
while the training data and config are unchanged. The stack (Rasa server with the REST channel and
the action server) runs on free ports against a fresh SQLite database of its own.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.processes import Stack, free_port
from bot.serving import model_for_data
from bot.settings import CACHE_MODELS_DIR


@pytest.fixture(scope="session")
def trained_model() -> Path:
    return model_for_data(CACHE_MODELS_DIR)


@pytest.fixture(scope="session")
def stack_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from bot.storage import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('stack') / 'stack.db'}"
    upgrade(url)
    yield url


@pytest.fixture(scope="session")
def rasa_stack(trained_model: Path, stack_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = stack_database
    stack = Stack(trained_model, rasa_port=free_port(), actions_port=free_port(), log_dir=tmp_path_factory.mktemp("logs"))
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


def post(port: int, path: str, body: bytes | dict[str, Any]) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


class Resident:
    """A resident talking to the REST channel."""

    def __init__(self, stack: Stack, sender: str) -> None:
        self.stack = stack
        self.sender = sender

    def say(self, text: str) -> list[dict[str, Any]]:
        status, reply = post(self.stack.rasa_port, "/webhooks/rest/webhook", {"sender": self.sender, "message": text})
        assert status == 200, reply
        return reply

    def tracker(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.stack.rasa_port}/conversations/{self.sender}/tracker", timeout=30) as reply:
            return json.loads(reply.read())
