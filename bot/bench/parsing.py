"""Rasa's ``/model/parse`` over HTTP: what the NLU benchmarks ask of a running Rasa server."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def parse(port: int, text: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/model/parse",
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())
