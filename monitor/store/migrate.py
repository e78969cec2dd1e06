"""Alembic migrations, run from code: ``db upgrade`` / ``db current`` and at every start.

A store already at the packaged head is recognised with one query, without importing Alembic
(``HEAD`` must name the newest file in ``migrations/versions``; a test checks it).
"""

from __future__ import annotations

from importlib.resources import files
from io import StringIO
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

HEAD = "0001"


def alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig(stdout=StringIO())
    cfg.set_main_option("script_location", str(files("monitor.migrations")))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def _stored_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None  # no alembic_version table yet


def upgrade(engine: Engine) -> str | None:
    """Bring the store to the newest revision; return it. Safe to call from several workers at once
    on PostgreSQL (an advisory lock serialises them)."""
    if _stored_revision(engine) == HEAD:
        return HEAD
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(726354)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return current(engine)


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
