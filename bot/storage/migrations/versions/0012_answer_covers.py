"""What a community's answer also covers (issue 13 §3: answer only what was asked).

- ``community_answers.covers``: the words residents use for what the answer says that the answer
  itself does not use (底商 for the 商铺 it names, 牵绳 said as 拴绳), "、"-separated, edited by
  staff with the answer. bot.intake.coverage counts a question's word as covered when the answer
  says it, a general synonym of it, or one of these — no longer when the topic's training examples
  use it (a training word says nothing about what this community's answer says).
- The first community's terms are filled from ``docs/communities/jinhua-garden.yml`` (``covers``),
  for its answers that have none yet, each in the audit trail as changed by the seed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from bot.clock import utcnow
from bot.communities.loader import FIRST_COMMUNITY_FILE, SEED_ACCOUNT, read_community_file
from bot.communities.records import join_terms
from bot.storage.models import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("community_answers") as batch:
        batch.add_column(sa.Column("covers", sa.Text, nullable=False, server_default=""))
    first = read_community_file(FIRST_COMMUNITY_FILE)
    bind = op.get_bind()
    community_id = bind.execute(sa.text("SELECT id FROM communities WHERE slug = :slug"), {"slug": first.slug}).scalar()
    if community_id is None:
        return
    now = utcnow()
    changes = sa.table(
        "community_changes",
        sa.column("community_id", sa.Integer),
        sa.column("field", sa.String),
        sa.column("old_value", sa.Text),
        sa.column("new_value", sa.Text),
        sa.column("changed_by", sa.String),
        sa.column("changed_at", UTCDateTime),
    )
    seeded = []
    for topic, terms in first.covers.items():
        value = join_terms(terms)
        updated = bind.execute(
            sa.text("UPDATE community_answers SET covers = :covers WHERE community_id = :id AND topic = :topic AND covers = ''"),
            {"covers": value, "id": community_id, "topic": topic},
        )
        if updated.rowcount:
            seeded.append({"community_id": community_id, "field": f"covers:{topic}", "old_value": None, "new_value": value, "changed_by": SEED_ACCOUNT, "changed_at": now})
    if seeded:
        op.bulk_insert(changes, seeded)


def downgrade() -> None:
    with op.batch_alter_table("community_answers") as batch:
        batch.drop_column("covers")
