"""Database access: connection URLs, psycopg connections, SQLAlchemy engines, migrations."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg


def psycopg_url(url: str) -> str:
    """A libpq URL (postgresql://) from any SQLAlchemy-style PostgreSQL URL."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", *parts[1:]))


def sqlalchemy_url(url: str) -> str:
    """The same URL for SQLAlchemy with the psycopg 3 driver."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql+psycopg", *parts[1:]))


def connect(url: str, **kwargs: Any) -> psycopg.Connection:
    """A psycopg 3 connection to the URL."""
    return psycopg.connect(psycopg_url(url), **kwargs)


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(psycopg_url(url))
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))
