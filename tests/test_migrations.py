"""Alembic migrations build the schema on an empty SQLite file and an empty PostgreSQL database."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from monitor.store.db import make_engine
from monitor.store.migrate import current, head, upgrade
from monitor.store.models import Base

TABLES = set(Base.metadata.tables)


def test_sqlite_upgrade_from_empty(sqlite_url):
    engine = make_engine(sqlite_url)
    assert current(engine) is None
    assert upgrade(engine) == head(engine)
    assert TABLES <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert upgrade(engine) == head(engine)       # idempotent


@pytest.mark.postgres
def test_postgres_upgrade_from_empty(postgres_url):
    engine = make_engine(postgres_url)
    assert current(engine) is None
    assert upgrade(engine) == head(engine)
    assert TABLES <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_packaged_head_constant_is_the_newest_migration(sqlite_url):
    from monitor.store.migrate import HEAD

    assert HEAD == head(make_engine(sqlite_url))


def test_models_match_migrations(sqlite_url):
    """The migrations create exactly what the models describe (no forgotten autogenerate)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(sqlite_url)
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
