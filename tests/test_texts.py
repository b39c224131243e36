"""The text catalogue (bot.texts): loading, strict rendering, every key the code names, the widget's
config (GET /api/resident/config), and COMPANY_NAME reaching what residents read.

Whether each text is polite is tests/test_politeness.py's job (it walks the whole catalogue)."""

from __future__ import annotations

import asyncio
import html
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from actions.actions import ActionGreet
from bot import texts
from bot.channels.resident_rest import ResidentRestInput
from bot.gateway.attachments import CONTENT_TYPES, MAX_BYTES, sniff
from bot.gateway.widget_config import OUTBOX_SIZE, WIDGET_TEXTS, widget_config, widget_values
from bot.intake.clarify import CHOICES
from bot.satisfaction import SCALE
from bot.settings import DEFAULT_COMPANY_NAME, PROJECT_ROOT
from tests.gateway_support import running_gateway
from tests.standin_rasa import unreachable_url
from tests.test_actions import make_tracker, run

OTHER_COMPANY = "绿城物业"


@pytest.fixture(autouse=True)
def _default_company(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPANY_NAME", raising=False)


# --------------------------------------------------------------------------- the catalogue


def test_keys_are_dotted_names_and_placeholders_are_plain_names() -> None:
    keys = texts.catalogue_keys()
    assert len(keys) > 100 and len(set(keys)) == len(keys)
    for key in keys:
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", key), key
        assert all(re.fullmatch(r"[a-z_]+", name) for name in texts.placeholders(key)), key


def test_render_fills_values_and_the_company() -> None:
    assert texts.render("agent.joined", agent="小王") == "客服小王已接入，将为您继续服务。"
    assert texts.render("script.greeting") == f"您好，这里是{DEFAULT_COMPANY_NAME}客户服务中心，请问有什么可以帮您？"
    assert texts.render("widget.title") == f"{DEFAULT_COMPANY_NAME}在线客服"


def test_a_missing_key_or_value_fails_loudly() -> None:
    with pytest.raises(texts.MissingText):
        texts.render("repair.no_such_text")
    with pytest.raises(texts.MissingValue, match="number"):
        texts.render("repair.ticket_created", priority="急修")
    assert issubclass(texts.MissingText, KeyError) and issubclass(texts.MissingValue, KeyError)


def _python_sources() -> list[Path]:
    return sorted([*(PROJECT_ROOT / "bot").rglob("*.py"), *(PROJECT_ROOT / "actions").rglob("*.py")])


FAMILIES = sorted({key.split(".", 1)[0] for key in texts.catalogue_keys()})
NAMED_KEY = re.compile(rf"""["']((?:{'|'.join(FAMILIES)})\.[a-z_.]+)["']""")
# Keys the code builds from a name (a prefix plus a name from a table), with the table.
BUILT_KEYS = {"clarify.choice.": CHOICES, "canned.": None, "widget.starter.": None}


FILE_NAMES = re.compile(r"\.(js|css|html|py|yml)$")


def _named_keys() -> set[str]:
    found: set[str] = set()
    for path in _python_sources():
        found |= {name for name in NAMED_KEY.findall(path.read_text(encoding="utf-8")) if not FILE_NAMES.search(name)}
    return found - set(BUILT_KEYS)


def test_every_key_the_code_names_is_in_the_catalogue() -> None:
    named = _named_keys()
    assert {"repair.ticket_created", "safety.fire", "promise.same_day", "validation.address", "widget.welcome"} <= named
    missing = sorted(named - set(texts.catalogue_keys()))
    assert missing == []
    for name in CHOICES:
        texts.render(f"clarify.choice.{name}")


def test_every_catalogue_text_is_used() -> None:
    used = _named_keys() | {"company.service_center"}
    unused = [key for key in texts.catalogue_keys() if key not in used and not any(key.startswith(prefix) for prefix in BUILT_KEYS)]
    assert unused == []


def test_no_company_name_is_hard_coded() -> None:
    """The company comes from COMPANY_NAME; only its default in bot/settings.py names it."""
    sources = [*_python_sources(), *(PROJECT_ROOT / "bot" / "gateway" / "static").rglob("*.js"), *(PROJECT_ROOT / "bot" / "gateway" / "templates").glob("*.html")]
    naming = [path.relative_to(PROJECT_ROOT) for path in sources if DEFAULT_COMPANY_NAME in path.read_text(encoding="utf-8")]
    assert naming == [Path("bot/settings.py")]


# --------------------------------------------------------------------------- the widget's config


def test_widget_config_shape() -> None:
    config = widget_config()
    assert set(config) == {"company", "texts", "photo", "max_text_length", "outbox_size", "satisfaction", "starters"}
    assert [s["title"] for s in config["starters"]] == ["报修", "咨询", "投诉", "紧急求助"]
    assert all(("message" in s) != ("prompt" in s) for s in config["starters"])  # sends words, or asks for them
    assert "0571-8765-4321" in config["starters"][3]["prompt"] and "119" in config["starters"][3]["prompt"]
    assert config["company"] == DEFAULT_COMPANY_NAME
    assert config["photo"] == {"max_bytes": MAX_BYTES, "types": list(CONTENT_TYPES)}
    assert config["max_text_length"] == 5000 and config["outbox_size"] == OUTBOX_SIZE
    assert config["satisfaction"] == [{"level": level.label, "score": level.score} for level in SCALE]
    assert [s["score"] for s in config["satisfaction"]] == [5, 4, 3, 2, 1]
    json.dumps(config)


def test_widget_config_holds_only_catalogue_texts() -> None:
    config_texts = widget_config()["texts"]
    assert set(config_texts) == set(WIDGET_TEXTS)
    fillable = set(widget_values()) | set(texts.SETTINGS_VALUES)
    every_rendering = {texts.render(key, **widget_values()) for key in texts.catalogue_keys() if texts.placeholders(key) <= fillable}
    for name, text in config_texts.items():
        assert text in every_rendering, name
        assert text == texts.render(WIDGET_TEXTS[name], **widget_values())
    # Only the agent's name is left for the widget to fill.
    assert {name for text in config_texts.values() for name in re.findall(r"\{(\w+)\}", text)} == {"agent"}
    assert "5MB" in config_texts["photoTooLarge"] and f"{OUTBOX_SIZE}条" in config_texts["outboxFull"]
    assert "5000字" in config_texts["tooLong"]  # the input's limit is the server's (RASA_MAX_TEXT)


def test_photo_types_are_what_the_gateway_sniffs() -> None:
    samples = [b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBP"]
    assert sorted(sniff(sample) or "" for sample in samples) == sorted(CONTENT_TYPES)


# --------------------------------------------------------------------------- COMPANY_NAME


def test_another_company_reaches_the_greeting_and_the_rest_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPANY_NAME", OTHER_COMPANY)
    greeting = run(ActionGreet(), make_tracker("你好", "greet")).text
    assert greeting == f"您好，这里是{OTHER_COMPANY}客户服务中心，请问有什么可以帮您？"

    async def on_new_message(message: Any) -> None:
        raise AssertionError("an empty message must not reach Rasa")

    webhook = {route.uri: route.handler for route in ResidentRestInput().blueprint(on_new_message)._future_routes}["/webhook"]

    class EmptyMessage:
        body = json.dumps({"sender": "r1", "message": "  "}).encode()

    reply = asyncio.run(webhook(EmptyMessage()))
    assert reply.status == 200
    assert json.loads(reply.body)[0]["text"].startswith(f"您好，这里是{OTHER_COMPANY}客户服务中心")
    assert DEFAULT_COMPANY_NAME not in reply.body.decode()


def test_another_company_reaches_the_widget_through_a_real_gateway(db: str, tmp_path: Path) -> None:
    with running_gateway(db, unreachable_url(), tmp_path / "gateway.log", COMPANY_NAME=OTHER_COMPANY) as base:
        config = httpx.get(f"{base}/api/resident/config", timeout=30)
        page = httpx.get(f"{base}/", timeout=30).text
    assert config.status_code == 200 and config.headers["access-control-allow-origin"] == "*"
    body = config.json()
    assert body["company"] == OTHER_COMPANY
    assert body["texts"]["title"] == f"{OTHER_COMPANY}在线客服"  # the widget's header
    assert body["texts"]["welcome"] == f"您好，欢迎联系{OTHER_COMPANY}，请问有什么可以帮您？"  # its first notice
    assert DEFAULT_COMPANY_NAME not in config.text and DEFAULT_COMPANY_NAME not in page
    assert f"<title>{OTHER_COMPANY}在线客服</title>" in page
    inline = re.search(r'data-config="([^"]*)"', page)
    assert inline is not None
    assert json.loads(html.unescape(inline.group(1))) == body
