"""Alembic migrations, run from code: ``db upgrade`` / ``db current`` and at daemon start."""

from __future__ import annotations

from importlib.resources import files
from io import StringIO

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig(stdout=StringIO())
    cfg.set_main_option("script_location", str(files("monitor.migrations")))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> str | None:
    """Bring the store to the newest revision; return it. Safe to call from several workers at once
    on PostgreSQL (an advisory lock serialises them)."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(726354)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return current(engine)


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
