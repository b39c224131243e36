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

    ``bot`` → ``pending`` (waiting for an agent) → ``assigned`` → ``resolved``; back to
    ``bot`` on hand-back (Chatwoot's pending → open → resolved model).
    """

    __tablename__ = "conversations"

    id = sa.Column(sa.String(255), primary_key=True)
    status = sa.Column(sa.String(16), nullable=False, default="bot", index=True)
    priority = sa.Column(sa.Integer, nullable=False, default=2)
    waiting_since = sa.Column(UTCDateTime, nullable=True)
    assigned_agent = sa.Column(sa.String(64), nullable=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


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
    handled_at = sa.Column(UTCDateTime, nullable=True)


class Message(Base):
    """Every message of a conversation, both directions, stored before delivery."""

    __tablename__ = "messages"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    role = sa.Column(sa.String(16), nullable=False)
    text = sa.Column(sa.Text, nullable=False, default="")
    payload = sa.Column(sa.JSON, nullable=True)
    intent = sa.Column(sa.String(64), nullable=True)
    confidence = sa.Column(sa.Float, nullable=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)


class SatisfactionRating(Base):
    """A resident's rating of a conversation, on the five levels of DOMAIN.md §6."""

    __tablename__ = "satisfaction_ratings"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    level = sa.Column(sa.String(8), nullable=False)
    score = sa.Column(sa.Integer, nullable=False)
    source = sa.Column(sa.String(16), nullable=False, default="bot")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class Agent(Base):
    """A customer-service agent who logs in to the console (``python -m bot agents create``)."""

    __tablename__ = "agents"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(64), nullable=False, unique=True)
    password_hash = sa.Column(sa.String(255), nullable=False)
    role = sa.Column(sa.String(16), nullable=False, default="agent")  # agent | trainer
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class AgentSession(Base):
    """A logged-in console session; the cookie holds the token, the table only its SHA-256."""

    __tablename__ = "agent_sessions"

    token_hash = sa.Column(sa.String(64), primary_key=True)
    agent_id = sa.Column(sa.Integer, sa.ForeignKey("agents.id"), nullable=False, index=True)
    csrf_token = sa.Column(sa.String(64), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False, index=True)


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
