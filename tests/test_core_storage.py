"""The storage migration on plain PostgreSQL: partitions, deduplication, the hourly view."""

import importlib.util
from pathlib import Path

import pytest

from core.db import connect
from core.db.migrate import downgrade, upgrade

ROOT = Path(__file__).resolve().parent.parent


def test_plain_path_is_chosen_without_timescaledb(db_url):
    with connect(db_url) as conn:
        storage = conn.execute(
            "SELECT value FROM pitstop_meta WHERE key = 'telemetry_storage'"
        ).fetchone()[0]
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
        ).fetchone()
    assert storage == ("timescaledb" if available else "partitions")


def test_partitions_are_created_on_demand_and_deduplicate(db_url):
    with connect(db_url) as conn:
        created = conn.execute(
            "SELECT pitstop_ensure_partitions('2025-03-01', '2025-03-02')"
        ).fetchone()[0]
        again = conn.execute(
            "SELECT pitstop_ensure_partitions('2025-03-01', '2025-03-02')"
        ).fetchone()[0]
        insert = (
            "INSERT INTO telemetry (vin, ts, seq, rpm) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (vin, ts) DO NOTHING"
        )
        row = ("LSVAU218XN2183294", "2025-03-01T10:00:00Z", 1, 800.0)
        conn.execute(insert, row)
        conn.execute(insert, row)
        count = conn.execute("SELECT count(*) FROM telemetry_p20250301").fetchone()[0]
    assert (created, again) == (2, 0)
    assert count == 1


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Shanghai"])
def test_a_days_partition_holds_its_whole_utc_day_in_any_session_time_zone(db_url, zone):
    day = {"America/Los_Angeles": "2025-05-01", "Asia/Shanghai": "2025-05-02"}[zone]
    with connect(db_url) as conn:
        conn.execute(f"SET timezone = '{zone}'")
        conn.execute("SELECT pitstop_ensure_partitions(%s, %s)", (day, day))
        conn.execute(
            "INSERT INTO telemetry (vin, ts, seq) VALUES "
            "('LSVAU218XN2183294', %s, 1), ('LSVAU218XN2183294', %s, 2)",
            (f"{day}T00:00:00Z", f"{day}T23:59:59Z"),
        )
        storage = conn.execute(
            "SELECT value FROM pitstop_meta WHERE key = 'telemetry_storage'"
        ).fetchone()[0]
        if storage == "partitions":
            table = "telemetry_p" + day.replace("-", "")
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 2


def test_the_upgrade_remakes_an_empty_partition_that_missed_its_utc_day(db_url):
    path = ROOT / "core/db/migrations/versions/2026_12_04_storage_utc.py"
    spec = importlib.util.spec_from_file_location("storage_utc", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with connect(db_url) as conn:
        storage = conn.execute(
            "SELECT value FROM pitstop_meta WHERE key = 'telemetry_storage'"
        ).fetchone()[0]
        if storage == "timescaledb":  # chunks, not day partitions: the repair finds nothing
            conn.execute(migration.REMAKE_MISALIGNED)
            return
        if conn.execute("SELECT to_regclass('telemetry_p20250701')").fetchone()[0] is not None:
            conn.execute("DROP TABLE telemetry_p20250701")
        conn.execute(
            "CREATE TABLE telemetry_p20250701 PARTITION OF telemetry FOR VALUES "
            "FROM ('2025-07-01 07:00:00+00') TO ('2025-07-02 07:00:00+00')"
        )  # as the old function made it on a server in Los Angeles
        conn.execute(migration.REMAKE_MISALIGNED)
        conn.execute(
            "INSERT INTO telemetry (vin, ts, seq) VALUES ('LSVAU218XN2183294', %s, 1)",
            ("2025-07-01T00:30:00Z",),
        )
        assert conn.execute("SELECT count(*) FROM telemetry_p20250701").fetchone()[0] == 1


def test_hourly_view_refreshes(db_url):
    with connect(db_url) as conn:
        conn.execute("SELECT pitstop_ensure_partitions('2025-04-01', '2025-04-01')")
        conn.execute(
            "INSERT INTO telemetry (vin, ts, seq, coolant_temp) VALUES "
            "('LSVAU218XN2183294', '2025-04-01T08:10:00Z', 1, 80),"
            "('LSVAU218XN2183294', '2025-04-01T08:50:00Z', 2, 90)"
        )
        conn.execute("REFRESH MATERIALIZED VIEW telemetry_hourly")
        samples, avg, peak = conn.execute(
            "SELECT samples, coolant_temp_avg, coolant_temp_max FROM telemetry_hourly "
            "WHERE bucket = '2025-04-01T08:00:00Z'"
        ).fetchone()
    assert (samples, avg, peak) == (2, 85, 90)


def test_old_partitions_are_dropped(db_url):
    with connect(db_url) as conn:
        conn.execute("SELECT pitstop_ensure_partitions('2024-01-01', '2024-01-03')")
        dropped = conn.execute("SELECT pitstop_drop_partitions_before('2024-01-03')").fetchone()[0]
        left = conn.execute("SELECT to_regclass('telemetry_p20240103')").fetchone()[0]
    assert dropped == 2
    assert left == "telemetry_p20240103"


def test_downgrade_and_upgrade_again(server_url):
    from tests.conftest import create_database, drop_database

    url = create_database(server_url, "downgrade")
    try:
        downgrade(url, "base")
        with connect(url) as conn:
            assert conn.execute("SELECT to_regclass('telemetry')").fetchone()[0] is None
        upgrade(url)
        with connect(url) as conn:
            assert conn.execute("SELECT to_regclass('telemetry')").fetchone()[0] == "telemetry"
    finally:
        drop_database(server_url, url)
