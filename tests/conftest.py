"""Shared fixtures: real peers on loopback, a temporary SQLite file, the local PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text as sa_text

from tests.peers import Mailbox, Site, Webhook


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    w = Webhook()
    yield w
    w.close()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    m = Mailbox()
    yield m
    m.stop()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/monitor.db"


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), connect_timeout=3):
            return url
    except Exception:
        return None


@pytest.fixture(scope="session")
def postgres_base_url() -> str:
    url = _postgres_url()
    if url is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set TEST_POSTGRES_URL to point elsewhere)")
    return url


@pytest.fixture
def postgres_url(postgres_base_url):
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = "nhsmon_" + uuid.uuid4().hex[:10]
    admin = _engine(postgres_base_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa_text(f'CREATE DATABASE "{name}"'))
    url = postgres_base_url.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(sa_text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()




def _engine(url: str):
    from monitor.store.db import make_engine

    return make_engine(url)
