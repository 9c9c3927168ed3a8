"""With a read replica configured, the read-heavy routes (telemetry, KPIs, forecasts) read it,
in read-only transactions, while sign-in and every write stay on the primary. The "replica"
here is a copy of the primary's database made before the test diverges them: what a route
answers shows which one it read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text
from sqlalchemy.exc import InternalError

from api.db import make_engine, make_session_factory
from api.deps import get_read_session
from api.models_base import load_all_models
from core.db import connect, with_database
from tests.conftest import drop_database
from tests.factories import auth_headers, two_store_world

SEEN = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def world_ids(db_url):
    """The world, written to the primary before the copy, so both databases hold it."""
    load_all_models()
    engine = make_engine(db_url)
    with make_session_factory(engine).begin() as session:
        world = two_store_world(session)
        ids = {"alice_user": world["alice_user"].id, "vin": world["alice_car"].vin}
    engine.dispose()
    return ids


@pytest.fixture(scope="module")
def replica_url(server_url, db_url, world_ids):
    primary = urlsplit(db_url).path.lstrip("/")  # the URL may carry ?host=/a/socket/dir
    name = f"{primary}_ro"
    with connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{primary}"')
    url = with_database(server_url, name)
    yield url
    drop_database(server_url, url)


@pytest.fixture(scope="module")
def settings_overrides(replica_url):
    return {"database_read_url": replica_url}


def latest_row(url: str, vin: str, coolant: int) -> None:
    with connect(url, autocommit=True) as conn:
        conn.execute(
            'INSERT INTO vehicle_latest (vin, last_seen, sample_ts, "values", online) '
            "VALUES (%s, %s, %s, %s::jsonb, true)",
            (vin, SEEN, SEEN, json.dumps({"COOLANT_TEMP": coolant})),
        )


def test_telemetry_reads_the_replica_and_sign_in_the_primary(
    app, client, db_url, replica_url, world_ids
):
    from api.auth.models import User

    vin = world_ids["vin"]
    latest_row(db_url, vin, 90)
    latest_row(replica_url, vin, 70)
    with app.state.session_factory() as session:
        alice = session.get(User, world_ids["alice_user"])
    headers = auth_headers(client, alice)  # the login's refresh token is written: the primary
    answer = client.get(f"/telemetry/vehicles/{vin}/latest", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["values"]["COOLANT_TEMP"] == 70, "the route read the primary"
    with connect(replica_url) as conn:
        tokens = conn.execute("SELECT count(*) FROM refresh_tokens").fetchone()[0]
    assert tokens == 0, "a login wrote to the replica"


def test_the_read_session_refuses_writes(app):
    request = SimpleNamespace(app=app)
    sessions = get_read_session(request)  # type: ignore[arg-type]
    session = next(sessions)
    with pytest.raises(InternalError, match="read-only transaction"):
        session.execute(text("UPDATE stores SET city = city"))
    sessions.close()


def test_without_a_replica_reads_use_the_primary(db_url):
    from api.main import create_app
    from tests.factories import settings_for_tests

    plain = create_app(settings_for_tests(db_url))
    assert plain.state.read_session_factory.kw["bind"] is plain.state.engine
