"""Conversation statuses and account roles kept to their values by CHECK constraints; handoff
requests record when they were announced to the consoles (``alerted_at``).

The values are written out here, not imported: a migration is a snapshot of the schema it makes
(``bot.conversations.status.Status`` and ``bot.roles.Role`` are the code's copies; changing
either needs a new migration). SQLite cannot add a constraint to a table, so batch mode rebuilds
``conversations`` and ``agents`` (``env.py`` turns foreign keys off for that on SQLite).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

STATUS_CHECK = "status IN ('bot', 'pending', 'assigned', 'resolved')"
ROLE_CHECK = "role IN ('agent', 'trainer', 'manager')"


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.create_check_constraint("ck_conversations_status", STATUS_CHECK)
    with op.batch_alter_table("agents") as batch:
        batch.create_check_constraint("ck_agents_role", ROLE_CHECK)
    with op.batch_alter_table("handoff_requests") as batch:
        batch.add_column(sa.Column("alerted_at", UTCDateTime, nullable=True))
    # Requests from before this revision were announced (or not) by the code of their time; none
    # is announced again after the upgrade.
    op.execute("UPDATE handoff_requests SET alerted_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("handoff_requests") as batch:
        batch.drop_column("alerted_at")
    with op.batch_alter_table("agents") as batch:
        batch.drop_constraint("ck_agents_role", type_="check")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_constraint("ck_conversations_status", type_="check")
