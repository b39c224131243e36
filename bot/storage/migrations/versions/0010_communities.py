"""Communities (小区) as data (issue 13).

- ``communities``: each community's facts (name, address, buildings and units, service centre,
  duty phone); ``community_answers``: its answer per inquiry topic; ``community_changes``: who
  changed which fact or answer, from what to what; ``agent_communities``: who serves which.
- ``community_id`` on ``conversations``, ``tickets`` and ``handoff_requests``: each belongs to one
  community.
- ``handoff_requests.everyone_at``: when an emergency no logged-in agent of its community could
  take was opened to every logged-in agent (bot.conversations.unserved); ``agent_sessions.seen_at``:
  when a console of that session was last connected (presence, refreshed by the gateways).
- The first community is created from ``docs/communities/jinhua-garden.yml`` (docs/facts.md as
  data, its answers the knowledge base's texts of before), and every existing conversation, ticket
  and queue entry — and every existing account — is given to it, so nothing changes for anyone.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from bot.clock import utcnow
from bot.communities.loader import FIRST_COMMUNITY_FILE, SEED_ACCOUNT, read_community_file
from bot.storage.models import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BELONGING = ("conversations", "tickets", "handoff_requests")


def upgrade() -> None:
    communities = op.create_table(
        "communities",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("address", sa.String(255), nullable=False, server_default=""),
        sa.Column("buildings", sa.JSON, nullable=False),
        sa.Column("service_centre_place", sa.String(255), nullable=False, server_default=""),
        sa.Column("service_centre_hours", sa.String(255), nullable=False, server_default=""),
        sa.Column("duty_phone", sa.String(32), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False, server_default=""),
    )
    answers = op.create_table(
        "community_answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False, index=True),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False, server_default=""),
        sa.UniqueConstraint("community_id", "topic", name="uq_community_answers_topic"),
    )
    changes = op.create_table(
        "community_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), nullable=False, index=True),
        sa.Column("field", sa.String(80), nullable=False),
        sa.Column("old_value", sa.Text, nullable=True),
        sa.Column("new_value", sa.Text, nullable=True),
        sa.Column("changed_by", sa.String(64), nullable=False),
        sa.Column("changed_at", UTCDateTime, nullable=False, index=True),
    )
    op.create_table(
        "agent_communities",
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id"), primary_key=True, index=True),
    )
    for table in BELONGING:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("community_id", sa.Integer, nullable=True))
            batch.create_index(f"ix_{table}_community_id", ["community_id"])
            batch.create_foreign_key(f"fk_{table}_community_id", "communities", ["community_id"], ["id"])
    with op.batch_alter_table("handoff_requests") as batch:
        batch.add_column(sa.Column("everyone_at", UTCDateTime, nullable=True))
    with op.batch_alter_table("agent_sessions") as batch:
        batch.add_column(sa.Column("seen_at", UTCDateTime, nullable=True))

    first = read_community_file(FIRST_COMMUNITY_FILE)
    now = utcnow()
    op.bulk_insert(communities, [{
        "id": 1,
        "slug": first.slug,
        "name": first.name,
        "address": first.address,
        "buildings": first.buildings,
        "service_centre_place": first.service_centre_place,
        "service_centre_hours": first.service_centre_hours,
        "duty_phone": first.duty_phone,
        "created_at": now,
        "updated_at": now,
        "updated_by": SEED_ACCOUNT,
    }])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # the explicit id 1 leaves the sequence behind
        bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('communities', 'id'), 1)"))
    op.bulk_insert(answers, [
        {"community_id": 1, "topic": topic, "text": text, "updated_at": now, "updated_by": SEED_ACCOUNT}
        for topic, text in first.answers.items()
    ])
    op.bulk_insert(changes, [{"community_id": 1, "field": "created", "old_value": None, "new_value": first.name, "changed_by": SEED_ACCOUNT, "changed_at": now}])
    for table in BELONGING:
        bind.execute(sa.text(f"UPDATE {table} SET community_id = 1 WHERE community_id IS NULL"))
    bind.execute(sa.text("INSERT INTO agent_communities (agent_id, community_id) SELECT id, 1 FROM agents"))


def downgrade() -> None:
    with op.batch_alter_table("agent_sessions") as batch:
        batch.drop_column("seen_at")
    with op.batch_alter_table("handoff_requests") as batch:
        batch.drop_column("everyone_at")
    for table in reversed(BELONGING):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_community_id", type_="foreignkey")
            batch.drop_index(f"ix_{table}_community_id")
            batch.drop_column("community_id")
    op.drop_table("agent_communities")
    op.drop_table("community_changes")
    op.drop_table("community_answers")
    op.drop_table("communities")
