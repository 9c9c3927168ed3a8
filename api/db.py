"""SQLAlchemy engine and sessions for the DMS tables (psycopg 3 driver)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from core.db import sqlalchemy_url

POOL_SIZE = 10  # threadpool routes each hold one connection while they run
POOL_OVERFLOW = 10


def make_engine(database_url: str) -> Engine:
    """An engine for the database URL; it connects lazily, on first use."""
    return create_engine(
        sqlalchemy_url(database_url),
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (responses are built after it)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(database_url: str) -> Iterator[Session]:
    """A session in a transaction of its own on the database, committed when the block ends
    without error, its engine disposed after: for commands and seeding, not for the app."""
    from api.models_base import load_all_models

    load_all_models()
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


def migrated_database() -> str:
    """The configured (or embedded) database's URL, its schema brought up to date."""
    from core.db.embedded import resolve_database_url
    from core.db.migrate import upgrade

    url = resolve_database_url()
    upgrade(url)
    return url
