"""Storage on SQLite and PostgreSQL: the migrations, and the fixture that points the product at the
test database.

What is stored is tested beside the module that owns it: tickets in test_ticket_service.py, the
intake of each category in test_intake.py, the conversation lifecycle (queue, transitions, the claim
race) in test_conversation_lifecycle.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from bot.storage import session_scope
from bot.storage.database import get_engine
from bot.storage.migrate import alembic_config, downgrade, upgrade
from bot.storage.models import Base, Ticket
from tests.ticket_support import load, make_ticket

PRODUCT_TABLES = {"tickets", "ticket_events", "conversations", "handoff_requests", "messages", "satisfaction_ratings"}
MODEL_TABLES = set(Base.metadata.tables)


def table_names(url: str) -> set[str]:
    return set(sa.inspect(get_engine(url)).get_table_names())


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(url: str) -> str | None:
    with get_engine(url).connect() as connection:
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def test_migrations_create_exactly_the_model_tables(database_url: str) -> None:
    assert PRODUCT_TABLES <= MODEL_TABLES
    assert table_names(database_url) == MODEL_TABLES | {"alembic_version"}
    assert current_revision(database_url) == head_revision()


def test_migrations_upgrade_downgrade_upgrade(database_url: str) -> None:
    make_ticket()

    downgrade()
    assert table_names(database_url) & MODEL_TABLES == set()
    assert current_revision(database_url) is None

    upgrade()
    assert table_names(database_url) == MODEL_TABLES | {"alembic_version"}
    with session_scope() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Ticket)).scalar_one() == 0
    # The schema works again after the round trip.
    number = make_ticket()
    assert load(number).status == "new"


def test_migrations_step_down_and_up_one_revision_at_a_time(database_url: str) -> None:
    number = make_ticket()
    downgrade(revision="0001")
    assert current_revision(database_url) == "0001"
    assert table_names(database_url) >= PRODUCT_TABLES
    with get_engine(database_url).connect() as connection:  # data in the core tables survives (read as 0001 has it, not through today's model)
        assert connection.execute(sa.text("SELECT number FROM tickets WHERE number = :n"), {"n": number}).scalar_one() == number
    upgrade()
    assert current_revision(database_url) == head_revision()
    assert load(number).community_id == 1  # given to the first community by 0010
    upgrade()  # idempotent at head
    assert current_revision(database_url) == head_revision()


def test_fixture_points_the_product_at_the_test_database(database_url: str) -> None:
    from bot.settings import database_url as configured

    assert configured() == database_url
    dialect = get_engine().dialect.name
    assert dialect == ("sqlite" if database_url.startswith("sqlite") else "postgresql")
    if dialect == "postgresql":
        with get_engine().connect() as connection:
            schema = connection.execute(sa.text("SELECT current_schema()")).scalar_one()
        assert schema.startswith("t_") and schema in database_url

