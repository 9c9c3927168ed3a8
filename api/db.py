"""SQLAlchemy engine and sessions for the DMS tables (psycopg 3 driver)."""

from __future__ import annotations

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
