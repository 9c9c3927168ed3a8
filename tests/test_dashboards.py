"""The Grafana dashboards: built JSON is committed, and every panel's SQL runs on the real schema.

There is no Grafana server here. Grafana's macros and template variables are replaced the
way Grafana would replace them (each variable from its own query, on the seeded database)
before the queries run, on whichever telemetry storage the migrations chose (TimescaleDB or
plain partitions). The push helper is checked against a small fake of Grafana's HTTP API that
records the requests it receives.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import yaml

from core.db import connect, with_database
from core.db.migrate import upgrade
from dashboards import build, push, sql
from tests.test_dashboards_seed import seed

ROOT = Path(__file__).resolve().parents[1]
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Query:
    """One SQL text of a dashboard: a panel target or a variable's query."""

    dashboard: str
    title: str
    format: str
    sql: str
    since: timedelta  # the dashboard's default range: now - since .. now

    def __str__(self) -> str:
        return f"{self.dashboard}/{self.title}"


@dataclass(frozen=True)
class Selection:
    """A dashboard variable's selected values, and whether it takes several."""

    values: list[str]
    multi: bool


def _since(model: dict) -> timedelta:
    amount, unit = re.fullmatch(r"now-(\d+)([mhd])", model["time"]["from"]).groups()
    return timedelta(**{UNITS[unit]: int(amount)})


def queries() -> list[Query]:
    """Every panel target and variable query of every dashboard."""
    found = []
    for name in build.DASHBOARDS:
        model = build.render(name)
        since = _since(model)
        for panel in model["panels"]:
            for target in panel.get("targets", []):  # a row has none
                found.append(Query(name, panel["title"], target["format"], target["rawSql"], since))
        for variable in model["templating"]["list"]:
            found.append(Query(name, f"${variable['name']}", "table", variable["query"], since))
    return found


def variable_values(conn: psycopg.Connection, dashboard: str) -> dict[str, Selection]:
    """Each variable of the dashboard with its default selection: all of its values when it
    is a multi-value variable (All), else its first value."""
    values = {}
    for variable in build.render(dashboard)["templating"]["list"]:
        cursor = conn.execute(variable["query"])
        names = [c.name for c in cursor.description]
        column = names.index("__value") if "__value" in names else 0
        found = [str(row[column]) for row in cursor.fetchall()]
        assert found, f"{dashboard}: variable ${variable['name']} has no values"
        multi = bool(variable.get("multi") or variable.get("includeAll"))
        values[variable["name"]] = Selection(found if multi else found[:1], multi)
    return values


def plain_sql(query: Query, variables: dict[str, Selection], now: datetime | None = None) -> str:
    """A panel's SQL with Grafana's macros and variables replaced by what Grafana would send
    for the range now - since .. now: a multi-value variable as quoted, comma-separated
    values, a single value as it is, and ${name:sqlstring} quoted either way."""
    now = now or datetime.now(UTC) + timedelta(minutes=1)
    start, end = (f"'{t.isoformat()}'" for t in (now - query.since, now))
    raw = re.sub(r"\$__timeFilter\(([\w.]+)\)", rf"\1 BETWEEN {start} AND {end}", query.sql)
    fixed = {r"\$__timeFrom\(\)": start, r"\$__timeTo\(\)": end, r"\$__interval_ms\b": "60000"}
    for name in sorted(variables, key=len, reverse=True):
        selection = variables[name]
        quoted = ",".join("'" + v.replace("'", "''") + "'" for v in selection.values)
        fixed[rf"\$\{{{name}:sqlstring\}}"] = quoted
        fixed[rf"\$\{{{name}\}}|\${name}\b"] = quoted if selection.multi else selection.values[0]
    for pattern, text in fixed.items():
        raw = re.sub(pattern, lambda _, text=text: text, raw)
    assert "$" not in raw, f"a Grafana macro the test does not know: {raw}"
    return raw


def storage_path(conn: psycopg.Connection) -> str:
    """The telemetry storage the migrations chose here: 'timescaledb' or 'partitions'."""
    return conn.execute(
        "SELECT value FROM pitstop_meta WHERE key = 'telemetry_storage'"
    ).fetchone()[0]


@pytest.fixture(scope="module")
def seeded_db(db_url: str) -> str:
    seed(db_url)
    return db_url


@pytest.fixture(scope="module")
def variables(seeded_db) -> dict[str, dict[str, Selection]]:
    """Each dashboard's variables as Grafana would fill them from the seeded database."""
    with connect(seeded_db) as conn:
        return {name: variable_values(conn, name) for name in build.DASHBOARDS}


def run(url: str, query: Query, variables: dict[str, dict[str, Selection]]) -> tuple[list, list]:
    """The query's column names and rows, run as Grafana would run it."""
    with connect(url) as conn:
        cursor = conn.execute(plain_sql(query, variables[query.dashboard]))
        return [c.name for c in cursor.description], cursor.fetchall()


def test_committed_dashboards_are_freshly_built():
    assert build.stale_files(ROOT) == [], "run: python -m dashboards.build"


def test_check_mode_notices_a_hand_edit(tmp_path):
    target = tmp_path / build.OUTPUT / "fleet-overview.json"
    target.parent.mkdir(parents=True)
    target.write_text(build.render_text("fleet-overview").replace("Cars online", "Cars"))
    assert build.main(["--root", str(tmp_path), "--check"]) == 1
    assert build.main(["--root", str(tmp_path)]) == 0
    assert build.main(["--root", str(tmp_path), "--check"]) == 0


def test_the_fleet_overview_covers_what_operators_watch():
    rendered = " ".join(q.sql for q in queries() if q.dashboard == "fleet-overview")
    for table in ("vehicle_latest", "telemetry", "dead_letters", "dtc_events"):
        assert f"FROM {table}" in rendered


def test_every_dashboard_has_unique_panel_ids_and_described_panels():
    for name in build.DASHBOARDS:
        panels = build.render(name)["panels"]
        assert len({p["id"] for p in panels}) == len(panels), name
        if name != "fleet-overview":  # the fleet overview predates panel descriptions
            assert all(p["description"] for p in panels if p["type"] != "row"), name
            assert all(re.search(r"[\u4e00-\u9fff]", p["title"]) for p in panels), name


def test_no_query_depends_on_one_storage_path():
    # Both paths expose the same names (telemetry, telemetry_hourly); only the partitions
    # (telemetry_pYYYYMMDD) and TimescaleDB's own functions and schemas differ.
    for query in queries():
        assert not re.search(r"telemetry_p\d|time_bucket|_timescaledb|timescaledb_", query.sql), (
            str(query)
        )


def test_the_storage_path_is_the_one_the_server_offers(seeded_db):
    with connect(seeded_db) as conn:
        storage = storage_path(conn)
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
        ).fetchone()
        kind = conn.execute("SELECT relkind FROM pg_class WHERE relname = 'telemetry'").fetchone()
    assert storage == ("timescaledb" if available else "partitions")
    # a hypertable is an ordinary table to the catalogue; the plain path partitions by range
    assert kind[0] == ("r" if storage == "timescaledb" else "p")


@pytest.mark.parametrize("query", queries(), ids=str)
def test_every_panel_query_runs_on_the_migrated_schema(seeded_db, variables, query):
    with connect(seeded_db) as conn:
        storage = storage_path(conn)
    columns, rows = run(seeded_db, query, variables)
    if query.format == "time_series":
        assert columns[0] == "time", f"{query}: a time series needs its time column first"
    assert rows, f"{query} returned nothing on {storage} storage although rows match"


def test_panels_use_the_provisioned_datasource():
    provisioned = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/pitstop.yaml").read_text()
    )["datasources"]
    assert [(d["uid"], d["type"]) for d in provisioned] == [
        (sql.DATASOURCE_UID, sql.DATASOURCE_TYPE)
    ]
    for name in build.DASHBOARDS:
        model = build.render(name)
        refs = [p["datasource"] for p in model["panels"]]
        refs += [t["datasource"] for p in model["panels"] for t in p.get("targets", [])]
        refs += [v["datasource"] for v in model["templating"]["list"]]
        assert {r["uid"] for r in refs} == {sql.DATASOURCE_UID}


def test_grafana_is_provisioned_with_the_built_files():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["grafana"]
    mounts = dict(v.split(":")[:2] for v in compose["volumes"])
    provider = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/pitstop.yaml").read_text()
    )["providers"][0]
    assert mounts[f"./{build.OUTPUT}"] == provider["options"]["path"]
    home = compose["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    relative = Path(home).relative_to(provider["options"]["path"])
    assert (ROOT / build.OUTPUT / relative).is_file()


def _as_user(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{user}:{password}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql is not installed")
def test_grafanas_read_only_role_reads_every_panel_and_writes_nothing(server_url):
    role, password = f"grafana_reader_t_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    database = f"pitstop_t_reader_{uuid.uuid4().hex[:6]}"
    with connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    url = with_database(server_url, database)
    try:
        # as in the database container: the role first, then the migrations create tables
        subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"reader_role={role}",
             "-v", f"reader_password={password}",
             "-f", str(ROOT / "deploy/timescaledb/grafana-reader.sql"), url],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        upgrade(url)
        seed(url)
        with connect(_as_user(url, role, password)) as conn:
            values = {name: variable_values(conn, name) for name in build.DASHBOARDS}
            for query in queries():
                sql_text = plain_sql(query, values[query.dashboard])
                assert conn.execute(sql_text).fetchall(), str(query)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("DELETE FROM dead_letters")
    finally:
        with connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


class FakeGrafana(BaseHTTPRequestHandler):
    """Answers the three calls the push helper makes, and records each request."""

    requests: list[tuple[str, str, dict[str, str], object]] = []

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> object:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.requests.append((self.command, self.path, dict(self.headers), body))
        return body

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self._record()
        self._answer(404, {"message": "folder not found"})

    def do_POST(self) -> None:  # noqa: N802
        body = self._record()
        if self.path == "/api/folders":
            self._answer(200, {"uid": body["uid"], "title": body["title"]})
        else:
            uid = body["dashboard"]["uid"]
            self._answer(200, {"status": "success", "uid": uid, "url": f"/d/{uid}/x"})

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake_grafana() -> Iterator[str]:
    FakeGrafana.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGrafana)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_push_creates_the_folder_and_overwrites_each_dashboard(fake_grafana):
    pytest.importorskip("grafana_client")
    pushed = push.push(fake_grafana, token="glsa_test_token")
    uids = [build.render(name)["uid"] for name in build.DASHBOARDS]
    assert len(set(uids)) == len(build.DASHBOARDS) == 7
    assert pushed == [f"/d/{uid}/x" for uid in uids]
    calls = [(method, path) for method, path, _, _ in FakeGrafana.requests]
    assert calls == [
        ("GET", f"/api/folders/{push.FOLDER_UID}"),
        ("POST", "/api/folders"),
    ] + [("POST", "/api/dashboards/db")] * len(build.DASHBOARDS)
    for _, _, headers, _ in FakeGrafana.requests:
        assert headers.get("Authorization") == "Bearer glsa_test_token"
    bodies = [body for _, _, _, body in FakeGrafana.requests[2:]]
    for name, body in zip(build.DASHBOARDS, bodies, strict=True):
        assert body == json.loads(json.dumps(push.dashboard_payload(name)))
        assert body["overwrite"] is True and body["folderUid"] == push.FOLDER_UID
