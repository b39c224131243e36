"""The company's administration (issue 13 §4): accounts that can be disabled, and the audit trail.

- ``agents.disabled_at``: when a manager disabled the account; set, the account cannot log in and
  its sessions are gone (bot.gateway.agents). NULL for every account before this revision: all
  stay active.
- ``admin_audit``: every change made in the administration pages or by the command line — who
  (the login name, or the command line), when, what (action, kind and id of the target, the name
  shown) and the values before and after, as JSON (bot.audit). Rows are only ever added.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("disabled_at", UTCDateTime, nullable=True))
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target_id", sa.Integer, nullable=True),
        sa.Column("target", sa.String(128), nullable=False, server_default=""),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
    )
    op.create_index("ix_admin_audit_at", "admin_audit", ["at"])
    op.create_index("ix_admin_audit_target", "admin_audit", ["target_kind", "target_id"])


def downgrade() -> None:
    op.drop_index("ix_admin_audit_target", table_name="admin_audit")
    op.drop_index("ix_admin_audit_at", table_name="admin_audit")
    op.drop_table("admin_audit")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("disabled_at")
