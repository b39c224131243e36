"""Canned polite replies the console offers agents: the ``canned.*`` catalogue texts, in file order.

Residents read them as the agent sends them, so they live with every other resident-facing text
(bot/texts/zh_CN.yml) and pass bot.politeness (tests/test_politeness.py walks the catalogue). They
come in groups (``canned.<group>.<name>``): everyday replies and an emergency's; none promises what
nobody has done yet (DOMAIN §7).
"""

from __future__ import annotations

from typing import Any

from bot import texts

PREFIX = "canned."
GROUP_NAMES = {"general": "常用", "emergency": "紧急求助"}  # what the console's list calls each group


def canned_replies() -> list[str]:
    return [texts.render(key) for key in texts.catalogue_keys(PREFIX)]


def canned_groups() -> list[dict[str, Any]]:
    """``[{"group", "name", "replies"}]`` in file order."""
    groups: dict[str, list[str]] = {}
    for key in texts.catalogue_keys(PREFIX):
        group = key[len(PREFIX) :].split(".", 1)[0]
        groups.setdefault(group, []).append(texts.render(key))
    return [{"group": group, "name": GROUP_NAMES.get(group, group), "replies": replies} for group, replies in groups.items()]
