"""Engine and sessions: SQLite in WAL mode with a busy timeout (embedded default), PostgreSQL for scale-out.

A SQLite write waits up to 15 s for another process's write to finish (readers never wait: WAL); env
``NHS_MONITOR_SQLITE_BUSY`` (seconds, 0.05 to 600) changes that wait, for tests. A write still locked out
after it fails with :func:`describe_operational_error`'s one-line message.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import StoreError
from monitor.tuning import env_seconds

SQLITE_BUSY_MS = 15000
BUSY_ENV = "NHS_MONITOR_SQLITE_BUSY"


def sqlite_busy_seconds(environ: Mapping[str, str] | None = None) -> float:
    """How long a SQLite write waits for another process's lock: 15 s, or env ``NHS_MONITOR_SQLITE_BUSY``."""
    return env_seconds(BUSY_ENV, SQLITE_BUSY_MS / 1000, 0.05, 600, environ)


def redact_url(url: str) -> str:
    """The URL with its password replaced, for messages and ``status``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        parts = urlsplit(url)
        return f"{parts.scheme}://…" if parts.scheme else "(database URL)"


def make_engine(url: str) -> Engine:
    """An engine for ``url``. SQLite files get WAL, a busy timeout and their directory created."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        busy = sqlite_busy_seconds()
        engine = create_engine(u, connect_args={"timeout": busy})
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_ms=int(busy * 1000)))
        return engine
    if u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    return create_engine(u, pool_pre_ping=True, pool_size=5, max_overflow=5,
                         connect_args={"connect_timeout": 10})


def _sqlite_pragmas(dbapi_conn: Any, _record: Any, *, busy_ms: int = SQLITE_BUSY_MS) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={busy_ms}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    """Raise StoreError with a clear message when the store does not answer."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as e:
        raise StoreError(f"the store at {redact_url(str(engine.url.render_as_string(hide_password=False)))} "
                         f"does not answer: {_first_line(e)}") from None


def _first_line(e: BaseException) -> str:
    orig = getattr(e, "orig", None) or e
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:200]


def describe_operational_error(e: OperationalError) -> str:
    """One line for an admin: a SQLite lock held too long says so; anything else is the driver's first line."""
    msg = _first_line(e)
    if "locked" in msg:
        return (f"the SQLite store stayed locked for more than {sqlite_busy_seconds():g}s "
                "(another process is writing); try again, or move to PostgreSQL for several workers")
    return f"the store failed: {msg}"
