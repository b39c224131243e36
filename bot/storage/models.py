"""The product's tables. Schema changes go through Alembic (``bot/storage/migrations``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base, relationship

from bot.clock import as_utc, utcnow


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes on SQLite and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


Base = declarative_base()


class Community(Base):
    """A community (小区) the company manages: its facts and, in ``community_answers``, the answer to
    each inquiry topic (issue 13). Read and written through ``bot.communities`` only.

    ``buildings`` maps a building's number (``"12"``) to its number of units (``3``), so an address
    in a building or unit the community does not have is questioned politely. ``duty_phone`` is the
    community's 24-hour duty phone; empty means ``DUTY_PHONE`` (bot.settings). The first community
    (lowest id) is the default: a conversation without one belongs to it."""

    __tablename__ = "communities"

    id = sa.Column(sa.Integer, primary_key=True)
    slug = sa.Column(sa.String(64), nullable=False, unique=True)  # the widget's /c/<slug>
    name = sa.Column(sa.String(64), nullable=False)
    address = sa.Column(sa.String(255), nullable=False, default="")
    buildings = sa.Column(sa.JSON, nullable=False, default=dict)
    service_centre_place = sa.Column(sa.String(255), nullable=False, default="")
    service_centre_hours = sa.Column(sa.String(255), nullable=False, default="")
    duty_phone = sa.Column(sa.String(32), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_by = sa.Column(sa.String(64), nullable=False, default="")


class CommunityAnswer(Base):
    """A community's answer to one inquiry topic (``inquiry/<topic>``, bot.communities.topics):
    the text residents get at the moment of the reply. No row: the honest hand-over (DOMAIN §4)."""

    __tablename__ = "community_answers"
    __table_args__ = (sa.UniqueConstraint("community_id", "topic", name="uq_community_answers_topic"),)

    id = sa.Column(sa.Integer, primary_key=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id"), nullable=False, index=True)
    topic = sa.Column(sa.String(64), nullable=False)
    text = sa.Column(sa.Text, nullable=False)
    # What else the answer covers, in residents' words (底商 for the 商铺 it names), "、"-separated:
    # staff-edited, read by bot.intake.coverage (0012).
    covers = sa.Column(sa.Text, nullable=False, default="", server_default="")
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_by = sa.Column(sa.String(64), nullable=False, default="")


class CommunityChange(Base):
    """The audit trail of a community's record: who changed which field or topic answer, from what to
    what, when (``field``: ``answer:<topic>`` or a column of ``communities``)."""

    __tablename__ = "community_changes"

    id = sa.Column(sa.Integer, primary_key=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id"), nullable=False, index=True)
    field = sa.Column(sa.String(80), nullable=False)
    old_value = sa.Column(sa.Text, nullable=True)  # NULL: there was none
    new_value = sa.Column(sa.Text, nullable=True)  # NULL: removed
    changed_by = sa.Column(sa.String(64), nullable=False)
    changed_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)


class AgentCommunity(Base):
    """Which communities an agent serves: their queue, alerts, transcripts and tickets (issue 13 §5)."""

    __tablename__ = "agent_communities"

    agent_id = sa.Column(sa.Integer, sa.ForeignKey("agents.id"), primary_key=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id"), primary_key=True, index=True)


class Ticket(Base):
    __tablename__ = "tickets"

    id = sa.Column(sa.Integer, primary_key=True)
    number = sa.Column(sa.String(32), unique=True, index=True)
    category = sa.Column(sa.String(16), nullable=False, index=True)
    subcategory = sa.Column(sa.String(32), nullable=False, default="")
    priority = sa.Column(sa.String(8), nullable=False, index=True)
    status = sa.Column(sa.String(16), nullable=False, default="new", index=True)
    address = sa.Column(sa.String(128), nullable=False, default="")
    contact_name = sa.Column(sa.String(32), nullable=False, default="")
    contact_phone = sa.Column(sa.String(32), nullable=False, default="", index=True)
    description = sa.Column(sa.Text, nullable=False, default="")
    visit_time = sa.Column(sa.String(64), nullable=False, default="")
    department = sa.Column(sa.String(32), nullable=False, default="")
    conversation_id = sa.Column(sa.String(255), nullable=False, default="", index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    respond_by = sa.Column(UTCDateTime, nullable=True)
    resolve_by = sa.Column(UTCDateTime, nullable=True)
    responded_at = sa.Column(UTCDateTime, nullable=True)  # a person's first answer: reply or status change (0009)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id"), nullable=True, index=True)  # its conversation's (0010)

    events = relationship(
        "TicketEvent", back_populates="ticket", order_by="TicketEvent.id", lazy="selectin"
    )


class TicketEvent(Base):
    """The status history of a ticket: every change, who made it and why."""

    __tablename__ = "ticket_events"

    id = sa.Column(sa.Integer, primary_key=True)
    ticket_id = sa.Column(sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True)
    status = sa.Column(sa.String(16), nullable=False)
    note = sa.Column(sa.Text, nullable=False, default="")
    actor = sa.Column(sa.String(64), nullable=False, default="bot")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    ticket = relationship("Ticket", back_populates="events")


class Conversation(Base):
    """One resident conversation; its status says who is steering it.

    The statuses and their transitions are declared in ``bot.conversations`` (Chatwoot's
    pending → open → resolved model); a CHECK constraint (migration 0004) keeps the column to them.
    Rows are written only through ``bot.conversations.lifecycle``.
    """

    __tablename__ = "conversations"

    id = sa.Column(sa.String(255), primary_key=True)
    status = sa.Column(sa.String(16), nullable=False, default="bot", index=True)
    priority = sa.Column(sa.Integer, nullable=False, default=2)
    waiting_since = sa.Column(UTCDateTime, nullable=True)
    assigned_agent = sa.Column(sa.String(64), nullable=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    resolved_at = sa.Column(UTCDateTime, nullable=True)  # an agent last ended it: later photos and tickets are a new case (0008)
    # The community (小区) the resident wrote from (0010); NULL only for rows no widget opened: the
    # default community (bot.communities.community_of_conversation).
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id"), nullable=True, index=True)


def default_community_id() -> sa.sql.expression.ScalarSelect:
    """The default community: the first one (lowest id; migration 0010 creates it from
    docs/communities/jinhua-garden.yml), where every row no widget bound belongs (issue 13)."""
    return sa.select(sa.func.min(Community.id)).scalar_subquery()


def community_or_default(column: sa.sql.ColumnElement) -> sa.sql.ColumnElement:
    """A row's community column, or the default community for a row that has none."""
    return sa.func.coalesce(column, default_community_id())


def community_id_of(conversation_id: str | None) -> sa.sql.ColumnElement:
    """The community a conversation belongs to, as one SQL expression: its own, or — never bound
    (the REST channel, rows older than migration 0010), or no conversation at all — the default
    community. Conversations, tickets, queue entries and the communities' reads embed it (one
    round trip, not two)."""
    if not conversation_id:
        return default_community_id()
    return community_or_default(sa.select(Conversation.community_id).where(Conversation.id == conversation_id).scalar_subquery())


class HandoffRequest(Base):
    """A request for a human in the agent queue (emergency or the resident's wish)."""

    __tablename__ = "handoff_requests"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(
        sa.String(255), sa.ForeignKey("conversations.id"), nullable=False, index=True
    )
    reason = sa.Column(sa.String(32), nullable=False)
    priority = sa.Column(sa.Integer, nullable=False)
    ticket_id = sa.Column(sa.Integer, sa.ForeignKey("tickets.id"), nullable=True)
    summary = sa.Column(sa.Text, nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    handled_at = sa.Column(UTCDateTime, nullable=True)  # an agent claimed, handed back or resolved the conversation
    alerted_at = sa.Column(UTCDateTime, nullable=True)  # announced to the consoles (once: bot.conversations.alerts)
    # An emergency's danger (bot.safety.PROCEDURES) and its escalation steps while nobody claims it
    # (bot.conversations.escalation; migration 0008).
    kind = sa.Column(sa.String(32), nullable=True)
    escalations = sa.Column(sa.Integer, nullable=False, server_default="0")
    escalated_at = sa.Column(UTCDateTime, nullable=True)
    # An emergency no logged-in agent of its community could take, opened to every logged-in agent
    # (bot.conversations.unserved; 0010).
    everyone_at = sa.Column(UTCDateTime, nullable=True)
    community_id = sa.Column(sa.Integer, sa.ForeignKey("communities.id"), nullable=True, index=True)  # its conversation's (0010)


class Message(Base):
    """Every message of a conversation, both directions, stored before delivery.

    ``client_id`` is the widget's own id for a resident's message (migration 0005): unique within
    the conversation, so a resend after a dropped connection is stored once. ``turn_state`` and the
    lease (``turn_owner``, ``turn_until``; migration 0006) say whether the assistant still owes a
    resident's message an answer and which gateway process is giving it (``bot.conversations.turns``)."""

    __tablename__ = "messages"
    __table_args__ = (
        sa.Index("uq_messages_conversation_client_id", "conversation_id", "client_id", unique=True),
        sa.Index(
            "ix_messages_pending_turns",
            "conversation_id",
            "id",
            postgresql_where=sa.text("turn_state = 'pending'"),
            sqlite_where=sa.text("turn_state = 'pending'"),
        ),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    role = sa.Column(sa.String(16), nullable=False)
    text = sa.Column(sa.Text, nullable=False, default="")
    payload = sa.Column(sa.JSON, nullable=True)
    intent = sa.Column(sa.String(64), nullable=True)
    confidence = sa.Column(sa.Float, nullable=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    client_id = sa.Column(sa.String(64), nullable=True)
    turn_state = sa.Column(sa.String(16), nullable=True)  # bot.conversations.turns.TurnState (CHECK, migration 0006); NULL: no turn owed
    turn_owner = sa.Column(sa.String(64), nullable=True)  # the gateway process answering it now
    turn_until = sa.Column(UTCDateTime, nullable=True)  # its lease: until then nobody else takes the turn


class SatisfactionRating(Base):
    """One answer on the five levels of DOMAIN.md §6, for one area (and item) of seed 003's survey.

    Every satisfaction figure is computed from this one table (bot.reports.figures): a resident's
    rating of a conversation (source ``bot``/``widget``: area 客户服务), a callback's answer (source
    ``callback``: 投诉受理 or 工程服务, ``callback_id``), and each item of a periodic survey (source
    ``survey``: ``survey_response_id``). ``agent`` is the agent whose service was rated, when one
    was (seed 004: supervision). ``community_id`` is for issue 13's communities (no table yet).
    """

    __tablename__ = "satisfaction_ratings"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    level = sa.Column(sa.String(8), nullable=False)
    score = sa.Column(sa.Integer, nullable=False)
    source = sa.Column(sa.String(16), nullable=False, default="bot")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    area = sa.Column(sa.String(8), nullable=False, default="客户服务")
    item = sa.Column(sa.String(16), nullable=True)
    callback_id = sa.Column(sa.Integer, sa.ForeignKey("callbacks.id"), nullable=True, index=True)
    survey_response_id = sa.Column(sa.Integer, sa.ForeignKey("survey_responses.id"), nullable=True, index=True)
    agent = sa.Column(sa.String(64), nullable=True, index=True)
    community_id = sa.Column(sa.Integer, nullable=True, index=True)


class Callback(Base):
    """A callback (回访) of a resolved ticket: when it is due, who makes it, how it went.

    Written only through ``bot.callbacks`` (rules: DOMAIN §6, seed 003 「客户回访」); every change of
    ``status`` is a conditional UPDATE, so a callback is sent, claimed and answered once, whatever
    the number of gateway processes. CHECK constraints (migration 0007) keep the enumerated
    columns to their values."""

    __tablename__ = "callbacks"
    __table_args__ = (sa.UniqueConstraint("ticket_id", "attempt", name="uq_callbacks_ticket_attempt"),)

    id = sa.Column(sa.Integer, primary_key=True)
    ticket_id = sa.Column(sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, default="", index=True)
    kind = sa.Column(sa.String(16), nullable=False)  # the ticket's category: complaint | repair
    attempt = sa.Column(sa.Integer, nullable=False, default=1)  # 1, then a second, third … callback
    assignee_role = sa.Column(sa.String(16), nullable=False)  # bot.roles.Role: agent | manager
    channel = sa.Column(sa.String(8), nullable=False)  # chat | phone
    status = sa.Column(sa.String(16), nullable=False, default="scheduled", index=True)
    due_from = sa.Column(UTCDateTime, nullable=False, index=True)
    due_by = sa.Column(UTCDateTime, nullable=False, index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = sa.Column(UTCDateTime, nullable=True)
    message_id = sa.Column(sa.Integer, sa.ForeignKey("messages.id"), nullable=True)
    claimed_by = sa.Column(sa.String(64), nullable=True)
    claimed_at = sa.Column(UTCDateTime, nullable=True)
    done_at = sa.Column(UTCDateTime, nullable=True)
    done_by = sa.Column(sa.String(64), nullable=True)  # the agent, or "resident" for an answer in the chat
    method = sa.Column(sa.String(8), nullable=True)  # chat | phone | visit | form
    resolved = sa.Column(sa.Boolean, nullable=True)
    level = sa.Column(sa.String(8), nullable=True)
    score = sa.Column(sa.Integer, nullable=True)
    remark = sa.Column(sa.Text, nullable=False, default="")
    previous_id = sa.Column(sa.Integer, sa.ForeignKey("callbacks.id"), nullable=True)
    follow_up_ticket_id = sa.Column(sa.Integer, sa.ForeignKey("tickets.id"), nullable=True)
    community_id = sa.Column(sa.Integer, nullable=True, index=True)


class Survey(Base):
    """A periodic satisfaction survey a manager opened (seed 003 「客户满意度调查」).

    ``community_id`` scopes it to one community once issue 13 adds them (NULL: every resident)."""

    __tablename__ = "surveys"

    id = sa.Column(sa.Integer, primary_key=True)
    title = sa.Column(sa.String(64), nullable=False)
    community_id = sa.Column(sa.Integer, nullable=True, index=True)
    opens_at = sa.Column(UTCDateTime, nullable=False)
    closes_at = sa.Column(UTCDateTime, nullable=False)
    opened_by = sa.Column(sa.String(64), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class SurveyResponse(Base):
    """One resident's filled-in survey: the free-text answers; each item's level is a
    ``satisfaction_ratings`` row pointing here. One response per survey and conversation."""

    __tablename__ = "survey_responses"
    __table_args__ = (sa.UniqueConstraint("survey_id", "conversation_id", name="uq_survey_responses_once"),)

    id = sa.Column(sa.Integer, primary_key=True)
    survey_id = sa.Column(sa.Integer, sa.ForeignKey("surveys.id"), nullable=False, index=True)
    conversation_id = sa.Column(sa.String(255), nullable=False)
    community_id = sa.Column(sa.Integer, nullable=True, index=True)
    improve = sa.Column(sa.Text, nullable=False, default="")
    add_services = sa.Column(sa.Text, nullable=False, default="")
    suggestions = sa.Column(sa.Text, nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class AgentActivity(Base):
    """What the supervision of seed 004 counts per agent: a claimed conversation, the first reply
    after it (``seconds``: since the resident started waiting), a reply the politeness checker
    refused (``detail``: the text and the violations)."""

    __tablename__ = "agent_activity"

    id = sa.Column(sa.Integer, primary_key=True)
    agent = sa.Column(sa.String(64), nullable=False, index=True)
    kind = sa.Column(sa.String(16), nullable=False)  # claimed | first_reply | refused
    conversation_id = sa.Column(sa.String(255), nullable=False, default="")
    seconds = sa.Column(sa.Float, nullable=True)
    detail = sa.Column(sa.JSON, nullable=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)


class Agent(Base):
    """A customer-service agent who logs in to the console (``python -m bot agents create``)."""

    __tablename__ = "agents"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(64), nullable=False, unique=True)
    display_name = sa.Column(sa.String(64), nullable=False, server_default="")  # what residents see (0008)
    password_hash = sa.Column(sa.String(255), nullable=False)
    role = sa.Column(sa.String(16), nullable=False, default="agent")  # bot.roles.Role; CHECK in migration 0004
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    disabled_at = sa.Column(UTCDateTime, nullable=True)  # set: the account cannot log in, its sessions ended (0011)


class AuditEntry(Base):
    """One change an administrator (or the command line) made: who, when, to what, and the values
    before and after (bot.audit). Never updated or deleted by the product."""

    __tablename__ = "admin_audit"
    __table_args__ = (sa.Index("ix_admin_audit_target", "target_kind", "target_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    actor = sa.Column(sa.String(64), nullable=False)  # the account's login name, or bot.audit.COMMAND_LINE
    action = sa.Column(sa.String(32), nullable=False)  # bot.audit.Action
    target_kind = sa.Column(sa.String(16), nullable=False)  # account | community | answer
    target_id = sa.Column(sa.Integer, nullable=True)
    target = sa.Column(sa.String(128), nullable=False, server_default="")  # the name shown (a login, a community)
    before = sa.Column(sa.JSON, nullable=True)
    after = sa.Column(sa.JSON, nullable=True)


class AgentSession(Base):
    """A logged-in console session; the cookie holds the token, the table only its SHA-256."""

    __tablename__ = "agent_sessions"

    token_hash = sa.Column(sa.String(64), primary_key=True)
    agent_id = sa.Column(sa.Integer, sa.ForeignKey("agents.id"), nullable=False, index=True)
    csrf_token = sa.Column(sa.String(64), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False, index=True)
    seen_at = sa.Column(UTCDateTime, nullable=True)  # a console of this session was connected then (presence; 0010)


class Attachment(Base):
    """A file a resident sent (a photo of a leak): kept in the database, linked to its ticket."""

    __tablename__ = "attachments"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    message_id = sa.Column(sa.Integer, sa.ForeignKey("messages.id"), nullable=True, index=True)
    ticket_id = sa.Column(sa.Integer, sa.ForeignKey("tickets.id"), nullable=True, index=True)
    filename = sa.Column(sa.String(255), nullable=False, default="")
    content_type = sa.Column(sa.String(64), nullable=False)
    size = sa.Column(sa.Integer, nullable=False)
    data = sa.Column(sa.LargeBinary, nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class Annotation(Base):
    """A label for a resident's text: by a trainer in the inbox, or an agent's class correction.

    ``intent`` is one of the model's intents (retrieval intents as ``inquiry/fee_payment``);
    ``noise`` marks a text that must not become training data. ``exported_at`` is set when the
    example was written to ``nlu_data/``.
    """

    __tablename__ = "annotations"

    id = sa.Column(sa.Integer, primary_key=True)
    message_id = sa.Column(sa.Integer, sa.ForeignKey("messages.id"), nullable=True, index=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, default="", index=True)
    text = sa.Column(sa.Text, nullable=False)
    intent = sa.Column(sa.String(64), nullable=True)
    entities = sa.Column(sa.JSON, nullable=True)
    noise = sa.Column(sa.Boolean, nullable=False, default=False)
    source = sa.Column(sa.String(16), nullable=False, default="trainer")
    author = sa.Column(sa.String(64), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    exported_at = sa.Column(UTCDateTime, nullable=True)


class ModelVersion(Base):
    """Every trained model and its evaluation: ``candidate`` → ``active`` | ``rejected``;
    an active model becomes ``retired`` when another is promoted (and can be rolled back to)."""

    __tablename__ = "model_versions"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(128), nullable=False, unique=True)
    path = sa.Column(sa.String(512), nullable=False)
    status = sa.Column(sa.String(16), nullable=False, default="candidate", index=True)
    metrics = sa.Column(sa.JSON, nullable=True)
    reason = sa.Column(sa.Text, nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    promoted_at = sa.Column(UTCDateTime, nullable=True)


class TrainingJob(Base):
    """A background retraining run with its visible progress."""

    __tablename__ = "training_jobs"

    id = sa.Column(sa.Integer, primary_key=True)
    status = sa.Column(sa.String(16), nullable=False, default="queued", index=True)
    stage = sa.Column(sa.String(64), nullable=False, default="")
    progress = sa.Column(sa.Float, nullable=False, default=0.0)
    log = sa.Column(sa.Text, nullable=False, default="")
    model_version_id = sa.Column(sa.Integer, sa.ForeignKey("model_versions.id"), nullable=True)
    started_by = sa.Column(sa.String(64), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    finished_at = sa.Column(UTCDateTime, nullable=True)
