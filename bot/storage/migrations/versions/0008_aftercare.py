"""Emergency aftercare and complete conversations (issue 12 §1–§2).

- ``agents.display_name``: the name residents see (客服张明) instead of the login name (客服zhang);
  empty for accounts created before this revision (they are shown by their login name).
- ``handoff_requests.kind``: the danger of an emergency request (``bot.safety.PROCEDURES``: fire,
  lift …), so the assistant can repeat the right advice and number while the resident waits;
  NULL for other requests and for rows older than this revision (then treated as ``other``).
- ``handoff_requests.escalations`` and ``escalated_at``: how many escalation steps an unclaimed
  emergency has had and when the last one was. Each step is claimed with one conditional UPDATE
  (``escalations = n → n + 1``), so exactly one gateway process announces it.
- ``conversations.resolved_at``: when an agent last ended the conversation. A photo or a ticket
  after it belongs to a new case, never to the finished one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("display_name", sa.String(64), nullable=False, server_default=""))
    with op.batch_alter_table("handoff_requests") as batch:
        batch.add_column(sa.Column("kind", sa.String(32), nullable=True))
        batch.add_column(sa.Column("escalations", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("escalated_at", UTCDateTime, nullable=True))
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("resolved_at", UTCDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("resolved_at")
    with op.batch_alter_table("handoff_requests") as batch:
        batch.drop_column("escalated_at")
        batch.drop_column("escalations")
        batch.drop_column("kind")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("display_name")
