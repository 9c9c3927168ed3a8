"""The Grafana dashboards: built JSON is committed, and every panel's SQL runs on the real schema.

There is no Grafana server here. Grafana's macros are replaced with plain SQL before the
queries run, and the push helper is checked against a small fake of Grafana's HTTP API that
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import yaml

from core.db import connect, with_database
from core.db.migrate import upgrade
from dashboards import build, push, sql

ROOT = Path(__file__).resolve().parents[1]
VINS = ("LSVAX60E1N2000001", "LFV2A21K6R3000042")
MACROS = (
    (re.compile(r"\$__timeFilter\((\w+)\)"), r"\1 BETWEEN now() - interval '6 hours' AND now()"),
    (re.compile(r"\$__interval_ms\b"), "60000"),
    (re.compile(r"\$\{vin(?::\w+)?\}|\$vin\b"), ", ".join(f"'{v}'" for v in VINS)),
)


def plain_sql(raw: str) -> str:
    """A panel's SQL with Grafana's macros and variables replaced by what Grafana would send."""
    for pattern, replacement in MACROS:
        raw = pattern.sub(replacement, raw)
    assert "$" not in raw, f"a Grafana macro the test does not know: {raw}"
    return raw


def queries() -> list[tuple[str, str, str]]:
    """(dashboard/panel title, format, SQL) of every panel target and variable query."""
    found = []
    for name in build.DASHBOARDS:
        model = build.render(name)
        for panel in model["panels"]:
            for target in panel["targets"]:
                found.append((f"{name}/{panel['title']}", target["format"], target["rawSql"]))
        for variable in model["templating"]["list"]:
            found.append((f"{name}/${variable['name']}", "table", variable["query"]))
    return found


def seed(url: str) -> None:
    """A little of everything the dashboards read, at times inside the queried range."""
    with connect(url) as conn:
        for vin in VINS:
            for minutes in (50, 30, 10):
                conn.execute(
                    "INSERT INTO telemetry (vin, ts, seq, received_at, rpm, coolant_temp, "
                    "control_module_voltage) VALUES (%s, now() - make_interval(mins => %s), %s, "
                    "now() - make_interval(mins => %s) + interval '2 seconds', 850, 90, 14.1)",
                    (vin, minutes, 100 - minutes, minutes),
                )
            conn.execute(
                'INSERT INTO vehicle_latest (vin, last_seen, sample_ts, seq, "values", online, '
                "buffer, agent, stored_dtcs) VALUES (%s, now(), now(), 90, %s, true, %s, %s, %s)",
                (
                    vin,
                    json.dumps({"RPM": 850, "COOLANT_TEMP": 90, "CONTROL_MODULE_VOLTAGE": 14.1}),
                    json.dumps({"depth": 0, "dropped_telemetry": 0}),
                    json.dumps({"version": "0.1.0", "vin_source": "ecu"}),
                    ["P0301"],
                ),
            )
            conn.execute(
                "INSERT INTO dtc_events (vin, ts, code, kind, mil) "
                "VALUES (%s, now() - interval '20 minutes', 'P0301', 'stored', true)",
                (vin,),
            )
        conn.execute(
            "INSERT INTO dead_letters (topic, payload, payload_size, reason) "
            "VALUES ('pitstop/v1/LSVAX60E1N2000001/telemetry', 'nope', 4, 'malformed')"
        )


@pytest.fixture(scope="module")
def seeded_db(db_url: str) -> str:
    seed(db_url)
    return db_url


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
    rendered = " ".join(q for _, _, q in queries())
    for table in ("vehicle_latest", "telemetry", "dead_letters", "dtc_events"):
        assert f"FROM {table}" in rendered
    assert "date_bin(" in rendered and "time_bucket(" not in rendered
    panels = build.render("fleet-overview")["panels"]
    assert len({p["id"] for p in panels}) == len(panels)


@pytest.mark.parametrize(("title", "format_", "raw"), queries(), ids=lambda x: str(x)[:60])
def test_every_panel_query_runs_on_the_migrated_schema(seeded_db, title, format_, raw):
    with connect(seeded_db) as conn:
        cursor = conn.execute(plain_sql(raw))
        rows = cursor.fetchall()
        columns = [c.name for c in cursor.description]
    if format_ == "time_series":
        assert columns[0] == "time", f"{title}: a time series needs its time column first"
    assert rows, f"{title} returned nothing although the database holds matching rows"


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
        refs += [t["datasource"] for p in model["panels"] for t in p["targets"]]
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
            for title, _, raw in queries():
                assert conn.execute(plain_sql(raw)).fetchall(), title
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
    assert pushed == ["/d/pitstop-fleet-overview/x"]
    calls = [(method, path) for method, path, _, _ in FakeGrafana.requests]
    assert calls == [
        ("GET", f"/api/folders/{push.FOLDER_UID}"),
        ("POST", "/api/folders"),
        ("POST", "/api/dashboards/db"),
    ]
    for _, _, headers, _ in FakeGrafana.requests:
        assert headers.get("Authorization") == "Bearer glsa_test_token"
    body = FakeGrafana.requests[-1][3]
    assert body == json.loads(json.dumps(push.dashboard_payload("fleet-overview")))
    assert body["overwrite"] is True and body["folderUid"] == push.FOLDER_UID
