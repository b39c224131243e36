"""Core tables: tickets, their status history, conversations, handoffs, messages, ratings.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(32), unique=True),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("subcategory", sa.String(32), nullable=False, server_default=""),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="new"),
        sa.Column("address", sa.String(128), nullable=False, server_default=""),
        sa.Column("contact_name", sa.String(32), nullable=False, server_default=""),
        sa.Column("contact_phone", sa.String(32), nullable=False, server_default=""),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("visit_time", sa.String(64), nullable=False, server_default=""),
        sa.Column("department", sa.String(32), nullable=False, server_default=""),
        sa.Column("conversation_id", sa.String(255), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("respond_by", UTCDateTime, nullable=True),
        sa.Column("resolve_by", UTCDateTime, nullable=True),
    )
    for column in ("number", "category", "priority", "status", "contact_phone", "conversation_id"):
        op.create_index(f"ix_tickets_{column}", "tickets", [column])

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("actor", sa.String(64), nullable=False, server_default="bot"),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])

    op.create_table(
        "conversations",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="bot"),
        sa.Column("priority", sa.Integer, nullable=False, server_default="2"),
        sa.Column("waiting_since", UTCDateTime, nullable=True),
        sa.Column("assigned_agent", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_conversations_status", "conversations", ["status"])

    op.create_table(
        "handoff_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "conversation_id", sa.String(255), sa.ForeignKey("conversations.id"), nullable=False
        ),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=True),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("handled_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_handoff_requests_conversation_id", "handoff_requests", ["conversation_id"])

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("payload", sa.JSON, nullable=True),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("confidence", sa.Float, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_messages_conversation_id", "messages", ["conversation_id"])
    op.create_index("ix_messages_created_at", "messages", ["created_at"])

    op.create_table(
        "satisfaction_ratings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("source", sa.String(16), nullable=False, server_default="bot"),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_satisfaction_ratings_conversation_id", "satisfaction_ratings", ["conversation_id"])


def downgrade() -> None:
    for table in ("satisfaction_ratings", "messages", "handoff_requests", "conversations", "ticket_events", "tickets"):
        op.drop_table(table)
