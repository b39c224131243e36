"""A community's file (``docs/communities/<slug>.yml``): how a company describes a community.

::

    slug: jinhua-garden              # the widget's /c/jinhua-garden
    name: 锦华花园
    address: 杭州市西湖区锦华路88号
    buildings: {count: 12, units: 3}  # 1–12号楼, 1–3单元 each; or {"1": 3, "2": 2, …} per building
    service_centre: {place: 小区东门旁物业服务中心一楼, hours: 每天8:30–18:00（周末节假日照常）}
    duty_phone: 0571-8765-4321        # empty: DUTY_PHONE
    answers:                          # one text per topic of bot/communities/topics.py
      fee_standard: 锦华花园物业费标准为：……
    covers:                           # optional: residents' words for what an answer says that
      fee_standard: [底商, 门面房]     # it does not use itself (bot.intake.coverage)

``python -m bot communities load FILE…`` creates or updates each (by slug); migration 0010 loads
:data:`FIRST_COMMUNITY_FILE` — docs/facts.md as data — so the first community is the one the
product served before communities existed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from bot.communities.records import CommunityError, CommunityFacts, CommunityRecord, check_terms, save_community
from bot.settings import PROJECT_ROOT

FIRST_COMMUNITY_FILE = PROJECT_ROOT / "docs" / "communities" / "jinhua-garden.yml"
SEED_ACCOUNT = "seed"  # the audit trail's "who" for what a file loaded


def expand_buildings(value: Any) -> dict[str, int]:
    """``{count: 12, units: 3}`` or ``{"1": 3, …}`` → ``{"1": 3, …, "12": 3}``."""
    if not value:
        return {}
    if not isinstance(value, dict):
        raise CommunityError("buildings: {count: N, units: M} or {building: units}")
    if set(value) == {"count", "units"}:
        count, units = value["count"], value["units"]
        if not isinstance(count, int) or not isinstance(units, int) or not 0 < count <= 500:
            raise CommunityError("buildings: count 1-500 and units as numbers")
        return {str(n): units for n in range(1, count + 1)}
    return {str(k): v for k, v in value.items()}


def parse_community(data: Any) -> CommunityFacts:
    """The facts a community file holds (raises :class:`CommunityError` for a malformed one)."""
    if not isinstance(data, dict):
        raise CommunityError("a community file is a mapping (slug, name, …)")
    centre = data.get("service_centre") or {}
    answers = data.get("answers") or {}
    covers = data.get("covers") or {}
    if not isinstance(centre, dict) or not isinstance(answers, dict) or not isinstance(covers, dict):
        raise CommunityError("service_centre, answers and covers are mappings")
    return CommunityFacts(
        slug=str(data.get("slug") or ""),
        name=str(data.get("name") or ""),
        address=str(data.get("address") or ""),
        buildings=expand_buildings(data.get("buildings")),
        service_centre_place=str(centre.get("place") or ""),
        service_centre_hours=str(centre.get("hours") or ""),
        duty_phone=str(data.get("duty_phone") or ""),
        answers={str(topic): str(text).strip() for topic, text in answers.items() if text and str(text).strip()},
        covers={str(topic): check_terms(terms if isinstance(terms, str) else [str(t) for t in terms or []]) for topic, terms in covers.items()},
    )


def read_community_file(path: Path) -> CommunityFacts:
    with Path(path).open(encoding="utf-8") as handle:
        return parse_community(yaml.safe_load(handle))


def load_community_file(session: Session, path: Path, by: str = SEED_ACCOUNT) -> CommunityRecord:
    """Create or update (by slug) the community the file describes, its answers included."""
    return save_community(session, read_community_file(path), by)
