"""Every resident message records its turn: whether the assistant still owes it an answer, and
which gateway process is answering it (a lease), so a turn cut by a crash is found and run again
by exactly one process, or handed to the agents — never silently dropped.

``messages.turn_state``: ``pending`` (stored while the bot steers; Rasa has not answered yet),
``done`` (answered: the replies are stored), ``flagged`` (waited too long for the assistant: handed
to the agents with a notice to the resident), ``agents`` (written while the agents had the
conversation, or a photo: no Rasa turn is owed). NULL for every other message (the bot's, agents',
notices) and for messages stored before this revision: an upgrade never replays old history.

``turn_owner`` and ``turn_until``: the lease. The process answering a turn writes its id and
renews the time while it works; a turn whose lease lapsed (its process died) is claimed by another
process with one conditional UPDATE (``bot.conversations.turns``). A partial index keeps the
recovery's scan to the pending turns.

The values are written out here, not imported: a migration is a snapshot of the schema it makes
(``bot.conversations.turns.TurnState`` is the code's copy).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TURN_CHECK = "turn_state IN ('pending', 'done', 'flagged', 'agents')"
INDEX = "ix_messages_pending_turns"


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("turn_state", sa.String(16), nullable=True))
        batch.add_column(sa.Column("turn_owner", sa.String(64), nullable=True))
        batch.add_column(sa.Column("turn_until", UTCDateTime, nullable=True))
        batch.create_check_constraint("ck_messages_turn_state", TURN_CHECK)
    pending = sa.text("turn_state = 'pending'")
    op.create_index(INDEX, "messages", ["conversation_id", "id"], postgresql_where=pending, sqlite_where=pending)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint("ck_messages_turn_state", type_="check")
        batch.drop_column("turn_until")
        batch.drop_column("turn_owner")
        batch.drop_column("turn_state")
