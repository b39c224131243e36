"""The text catalogue: every sentence a resident reads, as keyed templates in one data file.

Where a resident-facing text lives (one place each):

- ``bot/texts/zh_CN.yml`` — everything the custom actions, the web gateway, the REST channel and
  the chat widget say. Code names a key and passes values: ``render("repair.ticket_created",
  number=…, priority=…)``; intake functions return results (ticket number, priority, promise,
  deadline, what is missing …) and the action or the gateway picks the key. The widget gets its
  texts from the server (``GET /api/resident/config``, :mod:`bot.gateway.widget_config`).
- ``domain.yml`` — only what Rasa utters by itself: a form's questions (``utter_ask_<slot>``) and
  the responses rules name (``utter_thank``, ``utter_default`` …); Rasa must find those there.
- the communities' records (``community_answers``, bot.communities) — each community's answer per
  inquiry topic, read at reply time; ``nlu_data/knowledge_base.yml`` only names the topics for
  training (Rasa needs a response per retrieval intent).

Modelled on Chatwoot's widget i18n file (``widget/i18n/locale/zh_CN.json``): nested keys,
``{name}`` placeholders. ``{company}`` and ``{service_center}`` are filled in every template from
``COMPANY_NAME`` (bot.settings), and ``{duty_phone}`` (the 24-hour duty phone residents are given
in an emergency) from the resident's community (passed by the caller) or ``DUTY_PHONE``, at the
moment of rendering. A missing key or a missing value
raises (tests/test_texts.py renders every key and checks every key the code names), so a resident
never sees a raw key or an unfilled ``{placeholder}``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import yaml

from bot import settings

CATALOGUE_FILE = Path(__file__).with_name("zh_CN.yml")
# Filled in every template from settings; a caller never passes them.
SETTINGS_VALUES = ("company", "service_center", "duty_phone")


class MissingText(KeyError):
    """A key that is not in the catalogue."""


class MissingValue(KeyError):
    """A template rendered without a value for one of its placeholders."""


def _flatten(tree: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{key}."))
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise ValueError(f"{CATALOGUE_FILE.name}: {key} is not a text")
    return flat


@lru_cache(maxsize=1)
def catalogue() -> Mapping[str, str]:
    """Every key and its template, in file order (loaded once per process)."""
    with CATALOGUE_FILE.open(encoding="utf-8") as handle:
        return _flatten(yaml.safe_load(handle) or {})


def catalogue_keys(prefix: str = "") -> list[str]:
    """The keys under ``prefix`` (e.g. ``"canned."``), in file order."""
    return [key for key in catalogue() if key.startswith(prefix)]


def template(key: str) -> str:
    try:
        return catalogue()[key]
    except KeyError:
        raise MissingText(key) from None


def placeholders(key: str) -> set[str]:
    """The ``{names}`` a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template(key)) if name is not None}


def settings_values(duty_phone: object = None) -> dict[str, str]:
    company = settings.company_name()
    return {
        "company": company,
        "service_center": template("company.service_center").format(company=company),
        "duty_phone": str(duty_phone) if duty_phone else settings.duty_phone(),
    }


def render(key: str, **values: object) -> str:
    """The text for ``key`` with its placeholders filled; raises on a missing key or value.

    ``duty_phone`` is the one settings value a caller may pass: the resident's community's own
    duty phone (bot.communities, ``CommunityRecord.duty_phone``); without it, ``DUTY_PHONE``."""
    text = template(key)
    filled = {**values, **settings_values(values.get("duty_phone"))}
    try:
        return text.format_map(filled)
    except KeyError as missing:
        raise MissingValue(f"{key} needs a value for {missing}") from None
