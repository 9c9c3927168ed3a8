"""A scratch database for a benchmark: its own, migrated, and dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import typer

from core.db import connect, with_database
from core.db.embedded import resolve_database_url
from core.db.migrate import upgrade


@contextmanager
def scratch_database() -> Iterator[str]:
    """A migrated database on the configured (or embedded) server; its URL. Dropped after."""
    server_url = resolve_database_url()
    name = f"pitstop_bench_{uuid.uuid4().hex[:8]}"
    try:
        with connect(server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise typer.BadParameter(
            f"cannot create the scratch database {name} ({exc}); the benchmark needs a role "
            "with CREATEDB so that it never touches real data"
        ) from exc
    url = with_database(server_url, name)
    try:
        upgrade(url)
        yield url
    finally:
        with connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
