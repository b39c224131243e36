"""Communities and their answers in the database: reads, writes and the audit trail.

Every function takes the caller's SQLAlchemy session (one transaction); nothing here commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot import settings
from bot.clock import utcnow
from bot.communities.topics import TOPICS, is_topic
from bot.conversations.lifecycle import ensure_conversation
from bot.han import HAN_RANGE
from bot.politeness import Violation, check
from bot.roles import Role
from bot.storage.models import (
    Agent,
    AgentCommunity,
    Community,
    CommunityAnswer,
    CommunityChange,
    Conversation,
    community_id_of,
    default_community_id,
)

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
MAX_ANSWER = 2000
# What an answer also covers (``covers``): residents' words for what it says, "、"-separated.
MAX_TERMS, MAX_TERM = 200, 20
TERM_SEPARATORS = re.compile(r"[、,，;；\s]+")
TERM = re.compile(f"^[{HAN_RANGE}A-Za-z0-9·\\-]+$")
PHONE = re.compile(r"^[0-9+][0-9 ()+-]{2,30}$")
# The columns of ``communities`` that staff edit (and the audit trail names).
FACT_FIELDS = ("name", "address", "buildings", "service_centre_place", "service_centre_hours", "duty_phone")


class CommunityError(ValueError):
    """A community record or answer that cannot be stored as given (the message says why)."""


class ImpoliteAnswer(CommunityError):
    """An answer the politeness checker refuses; ``violations`` say where and why."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("; ".join(f"{v.rule}: {v.phrase}" for v in violations))
        self.violations = violations


@dataclass(frozen=True)
class CommunityRecord:
    """One community's facts. ``duty_phone`` is what residents are given: the community's own
    (``own_duty_phone``) or, when it has none, ``DUTY_PHONE``."""

    id: int
    slug: str
    name: str
    address: str
    buildings: dict[str, int]
    service_centre_place: str
    service_centre_hours: str
    own_duty_phone: str
    updated_at: datetime | None = None
    updated_by: str = ""

    @property
    def duty_phone(self) -> str:
        return self.own_duty_phone or settings.duty_phone()

    def public(self) -> dict[str, object]:
        """What a resident's widget may show (its header) — nothing staff-only."""
        return {
            "slug": self.slug,
            "name": self.name,
            "address": self.address,
            "service_centre_place": self.service_centre_place,
            "service_centre_hours": self.service_centre_hours,
            "duty_phone": self.duty_phone,
        }


@dataclass(frozen=True)
class CommunityFacts:
    """A community as a company describes it (``docs/communities/*.yml``, the admin page)."""

    slug: str
    name: str
    address: str = ""
    buildings: dict[str, int] = field(default_factory=dict)
    service_centre_place: str = ""
    service_centre_hours: str = ""
    duty_phone: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    # Per topic, the words residents use for what the answer says that it does not use itself.
    covers: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    topic: str
    label: str
    text: str | None  # None: no answer, residents get the hand-over
    updated_at: datetime | None
    updated_by: str
    covers: tuple[str, ...] = ()  # what else it covers in residents' words (bot.intake.coverage)


@dataclass(frozen=True)
class Change:
    id: int
    community_id: int
    field: str  # a column of FACT_FIELDS, answer:<topic> or covers:<topic>
    old_value: str | None
    new_value: str | None
    changed_by: str
    changed_at: datetime


def _record(row: Community | sa.engine.Row) -> CommunityRecord:
    return CommunityRecord(
        id=row.id,
        slug=row.slug,
        name=row.name,
        address=row.address or "",
        buildings={str(k): int(v) for k, v in (row.buildings or {}).items()},
        service_centre_place=row.service_centre_place or "",
        service_centre_hours=row.service_centre_hours or "",
        own_duty_phone=row.duty_phone or "",
        updated_at=row.updated_at,
        updated_by=row.updated_by or "",
    )


# ---------------------------------------------------------------- reads


def list_communities(session: Session) -> list[CommunityRecord]:
    """Every community, the default (first) one first."""
    return [_record(row) for row in session.execute(sa.select(Community).order_by(Community.id)).scalars()]


def get_community(session: Session, community_id: int) -> CommunityRecord | None:
    row = session.get(Community, community_id)
    return _record(row) if row is not None else None


def community_by_slug(session: Session, slug: str) -> CommunityRecord | None:
    row = session.execute(sa.select(Community).where(Community.slug == slug)).scalar_one_or_none()
    return _record(row) if row is not None else None


NO_COMMUNITY = "no community: run the migrations (python -m bot migrate)"


def _the_community(session: Session, community_id: sa.sql.ColumnElement) -> CommunityRecord:
    """The record of the community ``community_id`` (an expression) names, in one statement."""
    row = session.execute(sa.select(*Community.__table__.columns).where(Community.id == community_id)).first()
    if row is None:
        raise LookupError(NO_COMMUNITY)
    return _record(row)


def default_community(session: Session) -> CommunityRecord:
    """The first community (lowest id): where conversations without one belong. Migration 0010
    creates it from docs/communities/jinhua-garden.yml, so a migrated database always has one."""
    return _the_community(session, default_community_id())


def community_id_of_conversation(session: Session, conversation_id: str) -> int:
    """The community a conversation belongs to; one never bound (the REST channel, rows older than
    migration 0010 that it did not fill) belongs to the default community (``community_id_of``)."""
    value = session.execute(sa.select(community_id_of(conversation_id))).scalar()
    if value is None:
        raise LookupError(NO_COMMUNITY)
    return int(value)


def community_of_conversation(session: Session, conversation_id: str) -> CommunityRecord:
    """The record of the conversation's community as it is now, in one statement (read at every
    reply, so staff's edits apply to the next message)."""
    return _the_community(session, community_id_of(conversation_id))


# ---------------------------------------------------------------- conversations


def bind_conversation(session: Session, conversation_id: str, community_id: int) -> int:
    """Make the conversation belong to ``community_id`` unless it already belongs to one; returns
    the community it belongs to. A conversation never changes community (its tickets and queue
    entries carry the same id): a resident opening the widget of another community gets another
    conversation (bot.gateway.resident_routes)."""
    ensure_conversation(session, conversation_id, community_id)
    return int(session.execute(sa.select(Conversation.community_id).where(Conversation.id == conversation_id)).scalar_one())


# ---------------------------------------------------------------- answers


def topic_answers(session: Session, community_id: int) -> list[Answer]:
    """Every topic (bot.communities.topics order) with this community's answer or ``None``."""
    rows = {
        row.topic: row
        for row in session.execute(sa.select(CommunityAnswer).where(CommunityAnswer.community_id == community_id)).scalars()
    }
    return [
        Answer(
            topic,
            label,
            rows[topic].text if topic in rows else None,
            rows[topic].updated_at if topic in rows else None,
            rows[topic].updated_by if topic in rows else "",
            split_terms(rows[topic].covers) if topic in rows else (),
        )
        for topic, label in TOPICS.items()
    ]


def answer_with_covers(session: Session, community_id: int, topic: str) -> tuple[str | None, tuple[str, ...]]:
    """The community's answer to ``topic`` as it is now (read at every reply), ``None`` for none,
    and what it also covers (residents' words): one statement."""
    row = session.execute(
        sa.select(CommunityAnswer.text, CommunityAnswer.covers).where(CommunityAnswer.community_id == community_id, CommunityAnswer.topic == topic)
    ).first()
    return (None, ()) if row is None else (row.text, split_terms(row.covers or ""))


def split_terms(value: str) -> tuple[str, ...]:
    """``"底商、门面房"`` (or separated by commas, semicolons, spaces) → ``("底商", "门面房")``."""
    return tuple(dict.fromkeys(term for term in TERM_SEPARATORS.split(value or "") if term))


def join_terms(terms: tuple[str, ...] | list[str]) -> str:
    return "、".join(terms)


def check_terms(terms: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The terms as they would be stored (split, stripped, each once) — else raises."""
    found = split_terms(terms if isinstance(terms, str) else "、".join(str(t) for t in terms))
    if len(found) > MAX_TERMS:
        raise CommunityError(f"“也可回答”的说法最多{MAX_TERMS}个")
    for term in found:
        if len(term) > MAX_TERM or not TERM.match(term):
            raise CommunityError(f"“也可回答”的说法请用词语，每个不超过{MAX_TERM}个字，用“、”分隔：{term[:MAX_TERM]}")
    return found


def set_answer_covers(session: Session, community_id: int, topic: str, terms: str | tuple[str, ...] | list[str], by: str) -> Change | None:
    """Store what the community's answer to ``topic`` also covers, in the audit trail as
    ``covers:<topic>`` by ``by``; the next resident message reads it. Returns the change, or
    ``None`` when nothing changed. Raises :class:`CommunityError` (no such answer, bad terms)."""
    if not by:
        raise CommunityError("请先登录，再修改答复")
    new = join_terms(check_terms(terms))
    row = session.execute(
        sa.select(CommunityAnswer).where(CommunityAnswer.community_id == community_id, CommunityAnswer.topic == topic)
    ).scalar_one_or_none()
    if row is None:
        if not new:
            return None
        raise CommunityError("请先填写这个主题的答复，再填写“也可回答”的说法")
    old = row.covers or ""
    if old == new:
        return None
    now = utcnow()
    row.covers, row.updated_at, row.updated_by = new, now, by
    return _audit(session, community_id, f"covers:{topic}", old or None, new or None, by, now)


def check_answer(text: str) -> str:
    """The answer as it would be stored: stripped, within :data:`MAX_ANSWER`, polite — else raises."""
    text = (text or "").strip()
    if not text:
        raise CommunityError("答复不能为空（如不再提供，请删除该答复）")
    if len(text) > MAX_ANSWER:
        raise CommunityError(f"答复不能超过{MAX_ANSWER}个字")
    violations = check(text)
    if violations:
        raise ImpoliteAnswer(violations)
    return text


def set_answer(session: Session, community_id: int, topic: str, text: str | None, by: str) -> Change | None:
    """Store (or with ``text=None`` remove) the community's answer to ``topic``, recorded in the
    audit trail with the editing account ``by``. The next resident message uses it: the action
    reads the answer at reply time, nothing is retrained. Returns the change, or ``None`` when the
    text is what is stored already. Raises :class:`CommunityError` / :class:`ImpoliteAnswer`."""
    if not is_topic(topic):
        raise CommunityError(f"没有这个咨询主题：{topic}")
    if session.get(Community, community_id) is None:
        raise CommunityError(f"没有这个小区：{community_id}")
    if not by:
        raise CommunityError("请先登录，再修改答复")
    new = None if text is None else check_answer(text)
    row = session.execute(
        sa.select(CommunityAnswer).where(CommunityAnswer.community_id == community_id, CommunityAnswer.topic == topic)
    ).scalar_one_or_none()
    old = row.text if row is not None else None
    if old == new:
        return None
    now = utcnow()
    if new is None:
        session.delete(row)
    elif row is None:
        session.add(CommunityAnswer(community_id=community_id, topic=topic, text=new, updated_at=now, updated_by=by))
    else:
        row.text, row.updated_at, row.updated_by = new, now, by
    return _audit(session, community_id, f"answer:{topic}", old, new, by, now)


def _audit(session: Session, community_id: int, name: str, old: str | None, new: str | None, by: str, now: datetime) -> Change:
    change = CommunityChange(community_id=community_id, field=name, old_value=old, new_value=new, changed_by=by, changed_at=now)
    session.add(change)
    session.flush()
    return Change(change.id, community_id, name, old, new, by, now)


def changes(session: Session, community_id: int, limit: int = 200) -> list[Change]:
    """The community's audit trail, newest first."""
    rows = session.execute(
        sa.select(CommunityChange)
        .where(CommunityChange.community_id == community_id)
        .order_by(CommunityChange.id.desc())
        .limit(limit)
    ).scalars()
    return [Change(r.id, r.community_id, r.field, r.old_value, r.new_value, r.changed_by, r.changed_at) for r in rows]


# ---------------------------------------------------------------- facts


def _clean_facts(facts: CommunityFacts) -> dict[str, object]:
    slug = (facts.slug or "").strip().lower()
    if not SLUG.match(slug):
        raise CommunityError("小区代号请用小写字母、数字和“-”，1至64个字符（例如 jinhua-garden）")
    name = (facts.name or "").strip()
    if not name or len(name) > 64:
        raise CommunityError("小区名称请填写1至64个字")
    phone = (facts.duty_phone or "").strip()
    if phone and not PHONE.match(phone):
        raise CommunityError("值班电话只能包含数字、空格、“+”、“-”和括号")
    buildings: dict[str, int] = {}
    for number, units in (facts.buildings or {}).items():
        label = str(number).strip()
        if not re.fullmatch(r"[0-9]{1,4}", label) or not isinstance(units, int) or isinstance(units, bool) or not 0 < units <= 50:
            raise CommunityError("楼栋请按“楼号:单元数”填写，单元数为1至50")
        buildings[str(int(label))] = units
    values: dict[str, object] = {
        "slug": slug,
        "name": name,
        "address": (facts.address or "").strip()[:255],
        "buildings": buildings,
        "service_centre_place": (facts.service_centre_place or "").strip()[:255],
        "service_centre_hours": (facts.service_centre_hours or "").strip()[:255],
        "duty_phone": phone,
    }
    for topic in [*facts.answers, *facts.covers]:
        if not is_topic(topic):
            raise CommunityError(f"没有这个咨询主题：{topic}")
    return values


def save_community(session: Session, facts: CommunityFacts, by: str) -> CommunityRecord:
    """Create the community ``facts.slug`` names, or update it in place; each changed field and
    each answer in ``facts.answers`` is recorded in the audit trail as changed by ``by``. Answers
    not named in ``facts.answers`` are left as they are."""
    values = _clean_facts(facts)
    now = utcnow()
    row = session.execute(sa.select(Community).where(Community.slug == values["slug"])).scalar_one_or_none()
    if row is None:
        row = Community(created_at=now, updated_at=now, updated_by=by, **values)
        session.add(row)
        session.flush()
        _audit(session, row.id, "created", None, str(values["name"]), by, now)
    else:
        update_community(session, row.id, by, **{k: v for k, v in values.items() if k != "slug"})
    for topic, text in facts.answers.items():
        set_answer(session, row.id, topic, text, by)
    for topic, terms in facts.covers.items():
        set_answer_covers(session, row.id, topic, terms, by)
    return _record(row)


def update_community(session: Session, community_id: int, by: str, **fields: object) -> list[Change]:
    """Change some of a community's facts (:data:`FACT_FIELDS`), each change in the audit trail."""
    row = session.get(Community, community_id)
    if row is None:
        raise CommunityError(f"没有这个小区：{community_id}")
    unknown = set(fields) - set(FACT_FIELDS)
    if unknown:
        raise CommunityError(f"不是小区资料的字段：{'、'.join(sorted(unknown))}")
    current = _record(row)
    merged = CommunityFacts(
        slug=current.slug,
        name=str(fields.get("name", current.name)),
        address=str(fields.get("address", current.address)),
        buildings=fields.get("buildings", current.buildings),  # type: ignore[arg-type]
        service_centre_place=str(fields.get("service_centre_place", current.service_centre_place)),
        service_centre_hours=str(fields.get("service_centre_hours", current.service_centre_hours)),
        duty_phone=str(fields.get("duty_phone", current.own_duty_phone)),
    )
    values = _clean_facts(merged)
    now = utcnow()
    made: list[Change] = []
    for name in FACT_FIELDS:
        old, new = getattr(row, name), values[name]
        if (old or ({} if name == "buildings" else "")) != new:
            setattr(row, name, new)
            made.append(_audit(session, community_id, name, _as_text(old), _as_text(new), by, now))
    if made:
        row.updated_at, row.updated_by = now, by
    return made


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in sorted(value.items(), key=lambda kv: int(kv[0]) if re.fullmatch(r"[0-9]{1,4}", str(kv[0])) else 0))
    return str(value)


# ---------------------------------------------------------------- agents


def communities_served(session: Session, agent_name: str) -> list[int]:
    """The communities an account serves (its console's queue, alerts and transcripts)."""
    query = (
        sa.select(AgentCommunity.community_id)
        .join(Agent, Agent.id == AgentCommunity.agent_id)
        .where(Agent.name == agent_name)
        .order_by(AgentCommunity.community_id)
    )
    return [int(c) for c in session.execute(query).scalars()]


def set_communities_served(session: Session, agent_name: str, community_ids: list[int]) -> list[int]:
    """Replace the communities an account serves; returns them. Raises on an unknown account or id."""
    agent_id = session.execute(sa.select(Agent.id).where(Agent.name == agent_name)).scalar()
    if agent_id is None:
        raise CommunityError(f"没有这个账号：{agent_name}")
    wanted = sorted(set(int(c) for c in community_ids))
    known = set(session.execute(sa.select(Community.id).where(Community.id.in_(wanted))).scalars()) if wanted else set()
    if set(wanted) - known:
        raise CommunityError(f"没有这些小区：{'、'.join(str(i) for i in sorted(set(wanted) - known))}")
    session.execute(sa.delete(AgentCommunity).where(AgentCommunity.agent_id == agent_id))
    for community_id in wanted:
        session.add(AgentCommunity(agent_id=agent_id, community_id=community_id))
    session.flush()
    return wanted


def agents_serving(session: Session, community_id: int) -> list[str]:
    """The login names of the accounts that serve ``community_id``."""
    query = (
        sa.select(Agent.name)
        .join(AgentCommunity, AgentCommunity.agent_id == Agent.id)
        .where(AgentCommunity.community_id == community_id)
        .order_by(Agent.name)
    )
    return list(session.execute(query).scalars())


def visible_communities(session: Session, agent_name: str, role: str) -> frozenset[int] | None:
    """The communities an account may see in the console: a manager every one (``None``), anyone
    else the ones they serve (issue 13 §5–§6: an agent never sees a community they do not serve)."""
    if role == Role.MANAGER:
        return None
    return frozenset(communities_served(session, agent_name))
