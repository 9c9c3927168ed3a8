"""The migrations build exactly the tables that the models describe, every one of them, and
go down to nothing and up again. (Telemetry and diagnostics tables are written with plain SQL
and have no models; their own tests cover them.)"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from api.models_base import Base, load_all_models
from core.db import connect, sqlalchemy_url
from core.db.migrate import downgrade, upgrade
from tests.conftest import create_database, drop_database

load_all_models()
MODELLED = frozenset(Base.metadata.tables)


def drift(url: str) -> list:
    """What differs between the migrated database and the models: types and defaults too."""
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "compare_server_default": True,
                    "include_name": lambda name, kind, _: kind != "table" or name in MODELLED,
                },
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine(sqlalchemy_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_migrations_build_exactly_the_models(db_url):
    assert len(MODELLED) > 40, "every domain's models are loaded"
    assert drift(db_url) == []


def test_the_migrations_go_down_to_nothing_and_up_again(server_url):
    url = create_database(server_url, "schema_down_up")
    try:
        downgrade(url, "base")
        assert not tables(url) & MODELLED
        upgrade(url)
        assert drift(url) == []
    finally:
        drop_database(server_url, url)


def test_the_drift_check_sees_a_changed_column(server_url):
    url = create_database(server_url, "schema_drift")
    try:
        with connect(url) as conn:
            conn.execute("ALTER TABLE customers ALTER COLUMN notes TYPE varchar(10)")
            conn.execute("ALTER TABLE vehicles DROP COLUMN color")
        found = {d[0] if isinstance(d, tuple) else d[0][0] for d in drift(url)}
        assert {"add_column", "modify_type"} <= found, found
    finally:
        drop_database(server_url, url)
