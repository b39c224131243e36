"""The first response a ticket got from a person (issue 12 §5).

- ``tickets.responded_at``: when an agent first answered the resident of the ticket's
  conversation (their first reply after the ticket was opened) or first changed the ticket's
  status. The console's 响应 badge follows it: counting down while NULL, then 已响应 — in time or
  late against ``respond_by`` — instead of turning red at ``respond_by`` after a case was answered.
  NULL for tickets older than this revision that nobody answered since.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("responded_at", UTCDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("responded_at")
