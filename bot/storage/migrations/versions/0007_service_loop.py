"""Closing the service loop (issue 14): callbacks (回访), periodic surveys and their responses, the
agents' supervised activity, and the areas of seed 003's survey on every satisfaction answer.

Existing ratings are a resident's rating of a conversation: area 客户服务, item 处理问题效果 (what
the rating asks: how the case was handled; bot.surveys.form.CONVERSATION_ITEM). The enumerated
values are written out here, not imported: a migration is a snapshot of the schema it makes
(``bot.callbacks.status`` and ``bot.roles.Role`` are the code's copies).

Written on 0004 and re-chained after 0005 (messages.client_id) and 0006 (messages' turn state and
lease) when merged: it touches none of their columns (``callbacks.message_id`` only references
``messages.id``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CALLBACK_CHECKS = {
    "ck_callbacks_status": "status IN ('scheduled', 'sent', 'claimed', 'done')",
    "ck_callbacks_channel": "channel IN ('chat', 'phone')",
    "ck_callbacks_assignee_role": "assignee_role IN ('agent', 'manager')",
    "ck_callbacks_kind": "kind IN ('complaint', 'repair')",
    "ck_callbacks_method": "method IS NULL OR method IN ('chat', 'phone', 'visit', 'form')",
    "ck_callbacks_score": "score IS NULL OR score BETWEEN 1 AND 5",
}


def upgrade() -> None:
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False, server_default=""),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False, server_default="1"),
        sa.Column("assignee_role", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="scheduled"),
        sa.Column("due_from", UTCDateTime, nullable=False),
        sa.Column("due_by", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime, nullable=True),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id"), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_at", UTCDateTime, nullable=True),
        sa.Column("done_at", UTCDateTime, nullable=True),
        sa.Column("done_by", sa.String(64), nullable=True),
        sa.Column("method", sa.String(8), nullable=True),
        sa.Column("resolved", sa.Boolean, nullable=True),
        sa.Column("level", sa.String(8), nullable=True),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("remark", sa.Text, nullable=False, server_default=""),
        sa.Column("previous_id", sa.Integer, sa.ForeignKey("callbacks.id"), nullable=True),
        sa.Column("follow_up_ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=True),
        sa.Column("community_id", sa.Integer, nullable=True),
        sa.UniqueConstraint("ticket_id", "attempt", name="uq_callbacks_ticket_attempt"),
        *(sa.CheckConstraint(check, name=name) for name, check in CALLBACK_CHECKS.items()),
    )
    for column in ("ticket_id", "conversation_id", "status", "due_from", "due_by", "community_id"):
        op.create_index(f"ix_callbacks_{column}", "callbacks", [column])

    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(64), nullable=False),
        sa.Column("community_id", sa.Integer, nullable=True),
        sa.Column("opens_at", UTCDateTime, nullable=False),
        sa.Column("closes_at", UTCDateTime, nullable=False),
        sa.Column("opened_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_surveys_community_id", "surveys", ["community_id"])
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("survey_id", sa.Integer, sa.ForeignKey("surveys.id"), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("community_id", sa.Integer, nullable=True),
        sa.Column("improve", sa.Text, nullable=False, server_default=""),
        sa.Column("add_services", sa.Text, nullable=False, server_default=""),
        sa.Column("suggestions", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("survey_id", "conversation_id", name="uq_survey_responses_once"),
    )
    op.create_index("ix_survey_responses_survey_id", "survey_responses", ["survey_id"])
    op.create_index("ix_survey_responses_community_id", "survey_responses", ["community_id"])

    op.create_table(
        "agent_activity",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False, server_default=""),
        sa.Column("seconds", sa.Float, nullable=True),
        sa.Column("detail", sa.JSON, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.CheckConstraint("kind IN ('claimed', 'first_reply', 'refused')", name="ck_agent_activity_kind"),
    )
    op.create_index("ix_agent_activity_agent", "agent_activity", ["agent"])
    op.create_index("ix_agent_activity_created_at", "agent_activity", ["created_at"])

    with op.batch_alter_table("satisfaction_ratings") as batch:
        batch.add_column(sa.Column("area", sa.String(8), nullable=False, server_default="客户服务"))
        batch.add_column(sa.Column("item", sa.String(16), nullable=True))
        batch.add_column(sa.Column("callback_id", sa.Integer, sa.ForeignKey("callbacks.id", name="fk_satisfaction_ratings_callback_id"), nullable=True))
        batch.add_column(
            sa.Column("survey_response_id", sa.Integer, sa.ForeignKey("survey_responses.id", name="fk_satisfaction_ratings_survey_response_id"), nullable=True)
        )
        batch.add_column(sa.Column("agent", sa.String(64), nullable=True))
        batch.add_column(sa.Column("community_id", sa.Integer, nullable=True))
        batch.create_index("ix_satisfaction_ratings_created_at", ["created_at"])
        batch.create_index("ix_satisfaction_ratings_callback_id", ["callback_id"])
        batch.create_index("ix_satisfaction_ratings_survey_response_id", ["survey_response_id"])
        batch.create_index("ix_satisfaction_ratings_agent", ["agent"])
        batch.create_index("ix_satisfaction_ratings_community_id", ["community_id"])
    op.execute("UPDATE satisfaction_ratings SET item = '处理问题效果' WHERE item IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("satisfaction_ratings") as batch:
        for column in ("community_id", "agent", "survey_response_id", "callback_id", "created_at"):
            batch.drop_index(f"ix_satisfaction_ratings_{column}")
        batch.drop_constraint("fk_satisfaction_ratings_survey_response_id", type_="foreignkey")
        batch.drop_constraint("fk_satisfaction_ratings_callback_id", type_="foreignkey")
        for column in ("community_id", "agent", "survey_response_id", "callback_id", "item", "area"):
            batch.drop_column(column)
    op.drop_table("agent_activity")
    op.drop_table("survey_responses")
    op.drop_table("surveys")
    op.drop_table("callbacks")
