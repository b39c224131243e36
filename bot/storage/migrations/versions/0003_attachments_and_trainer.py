"""Attachments (residents' photos), account roles, and the trainer's tables: annotations,
model versions, training jobs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="agent"))
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id"), nullable=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=True),
        sa.Column("filename", sa.String(255), nullable=False, server_default=""),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    for column in ("conversation_id", "message_id", "ticket_id"):
        op.create_index(f"ix_attachments_{column}", "attachments", [column])
    op.create_table(
        "annotations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id"), nullable=True),
        sa.Column("conversation_id", sa.String(255), nullable=False, server_default=""),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("entities", sa.JSON, nullable=True),
        sa.Column("noise", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("source", sa.String(16), nullable=False, server_default="trainer"),
        sa.Column("author", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("exported_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_annotations_message_id", "annotations", ["message_id"])
    op.create_index("ix_annotations_conversation_id", "annotations", ["conversation_id"])
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="candidate"),
        sa.Column("metrics", sa.JSON, nullable=True),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("promoted_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_model_versions_status", "model_versions", ["status"])
    op.create_table(
        "training_jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("stage", sa.String(64), nullable=False, server_default=""),
        sa.Column("progress", sa.Float, nullable=False, server_default="0"),
        sa.Column("log", sa.Text, nullable=False, server_default=""),
        sa.Column("model_version_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=True),
        sa.Column("started_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_training_jobs_status", "training_jobs", ["status"])


def downgrade() -> None:
    op.drop_table("training_jobs")
    op.drop_table("model_versions")
    op.drop_table("annotations")
    op.drop_table("attachments")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("role")
