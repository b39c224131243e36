"""Residents' messages carry the widget's client message id: a resend after a dropped socket is
recognised and stored once.

``messages.client_id`` is the id the widget gives a message when the resident sends it (kept in
its outbox until the server echoes the stored message with the same id). The UNIQUE index on
``(conversation_id, client_id)`` decides between two gateway processes storing the same resend at
once: the second insert fails and is answered with the stored message (``bot.gateway.relay``).
Messages without a client id (the bot's, agents', notices, older widgets) leave it NULL; both
SQLite and PostgreSQL let any number of NULLs share a unique index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEX = "uq_messages_conversation_client_id"


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("client_id", sa.String(64), nullable=True))
    op.create_index(INDEX, "messages", ["conversation_id", "client_id"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("client_id")
