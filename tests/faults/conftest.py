"""Fixtures of the fault suite: a PostgreSQL cluster a test may restart, a database of one
test's own, and the figures the tests measured (printed in pytest's summary)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.db import connect, with_database
from core.db.migrate import upgrade
from tests.conftest import create_database, drop_database
from tests.faults.processes import PgCluster


@pytest.fixture
def own_postgres() -> Iterator[tuple[PgCluster, str]]:
    """A cluster this test alone owns (pg_ctl), and the URL of a migrated database on it."""
    cluster = PgCluster().start()
    try:
        with connect(cluster.url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE pitstop")
        url = with_database(cluster.url, "pitstop")
        upgrade(url)
        yield cluster, url
    finally:
        cluster.remove()


@pytest.fixture
def fresh_db_url(server_url, request) -> Iterator[str]:
    """A migrated database of this test alone (the module's may hold another test's rows)."""
    url = create_database(server_url, request.node.name)
    yield url
    drop_database(server_url, url)


FIGURES: list[str] = []


@pytest.fixture
def record():
    """record(what, **figures): a measured figure, printed in pytest's summary."""

    def record(what: str, **figures) -> None:
        FIGURES.append(f"{what}: " + " ".join(f"{k}={v}" for k, v in figures.items()))

    return record


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("fault suite figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
