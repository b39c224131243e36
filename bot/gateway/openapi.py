"""``GET /api/openapi.json``: the gateway's HTTP API as an OpenAPI 3 document, for integrators.

The document is written by hand in ``openapi.yml`` beside this module (it says what each route
takes and answers, which the code alone does not); tests/test_openapi.py keeps it and the app's
routes the same and runs schemathesis against a real gateway with it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

DOCUMENT = Path(__file__).with_name("openapi.yml")
bp = Blueprint("openapi")


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    with DOCUMENT.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@bp.get("/api/openapi.json")
async def openapi(request: Request) -> HTTPResponse:
    return response.json(document(), headers={"Access-Control-Allow-Origin": "*"})
