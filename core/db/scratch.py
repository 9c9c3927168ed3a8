"""A scratch database: its own, migrated, and dropped afterwards (benchmarks, replays)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from core.db import connect, with_database
from core.db.embedded import resolve_database_url
from core.db.migrate import upgrade


class ScratchDatabaseError(RuntimeError):
    """The server would not create a scratch database."""


@contextmanager
def scratch_database(purpose: str = "bench") -> Iterator[str]:
    """A migrated database on the configured (or embedded) server; its URL. Dropped after."""
    server_url = resolve_database_url()
    name = f"pitstop_{purpose}_{uuid.uuid4().hex[:8]}"
    try:
        with connect(server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise ScratchDatabaseError(
            f"cannot create the scratch database {name} ({exc}); this needs a role with "
            "CREATEDB, so that it never touches real data"
        ) from exc
    url = with_database(server_url, name)
    migrations = logging.getLogger("alembic")
    level = migrations.level
    try:
        migrations.setLevel(logging.WARNING)  # a scratch database's migrations are no news
        try:
            upgrade(url)
        finally:
            migrations.setLevel(level)
        yield url
    finally:
        with connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
