"""The storage migration: chunks or partitions, deduplication, the hourly view, retention.

Each test asks which storage path the migration chose (core.storage.storage_path) and asserts
what that path promises: daily partitions on plain PostgreSQL, chunks on TimescaleDB.
"""

import importlib.util
from pathlib import Path

import pytest

from core.db import connect
from core.db.migrate import downgrade, upgrade
from core.storage import PARTITIONS, TIMESCALEDB, storage_path

ROOT = Path(__file__).resolve().parent.parent


def chunks_holding(conn, ts: str) -> int:
    """How many TimescaleDB chunks of telemetry hold the instant ts."""
    return conn.execute(
        "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'telemetry'"
        " AND range_start <= %s::timestamptz AND range_end > %s::timestamptz",
        (ts, ts),
    ).fetchone()[0]


def test_plain_path_is_chosen_without_timescaledb(db_url):
    with connect(db_url) as conn:
        storage = storage_path(conn)
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
        ).fetchone()
    assert storage == (TIMESCALEDB if available else PARTITIONS)


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
        stored = conn.execute(
            "SELECT count(*) FROM telemetry WHERE vin = %s AND ts = %s", row[:2]
        ).fetchone()[0]
        if storage_path(conn) == PARTITIONS:
            assert (created, again) == (2, 0)
            assert conn.execute("SELECT count(*) FROM telemetry_p20250301").fetchone()[0] == 1
        else:  # chunks are made by the insert itself; the function is a no-op
            assert (created, again) == (0, 0)
            assert chunks_holding(conn, row[1]) == 1
    assert stored == 1


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
        if storage_path(conn) == PARTITIONS:
            table = "telemetry_p" + day.replace("-", "")
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 2
        else:
            assert chunks_holding(conn, f"{day}T00:00:00Z") == 1


def test_the_upgrade_remakes_an_empty_partition_that_missed_its_utc_day(db_url):
    path = ROOT / "core/db/migrations/versions/2026_12_04_storage_utc.py"
    spec = importlib.util.spec_from_file_location("storage_utc", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with connect(db_url) as conn:
        if (
            storage_path(conn) == TIMESCALEDB
        ):  # chunks, not day partitions: the repair finds nothing
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
    # autocommit: refresh_continuous_aggregate refuses to run inside a transaction block
    with connect(db_url, autocommit=True) as conn:
        conn.execute("SELECT pitstop_ensure_partitions('2025-04-01', '2025-04-01')")
        conn.execute(
            "INSERT INTO telemetry (vin, ts, seq, coolant_temp) VALUES "
            "('LSVAU218XN2183294', '2025-04-01T08:10:00Z', 1, 80),"
            "('LSVAU218XN2183294', '2025-04-01T08:50:00Z', 2, 90)"
        )
        if storage_path(conn) == PARTITIONS:
            conn.execute("REFRESH MATERIALIZED VIEW telemetry_hourly")
        else:  # a continuous aggregate: refresh the window that holds the samples
            conn.execute(
                "CALL refresh_continuous_aggregate('telemetry_hourly', "
                "'2025-04-01T00:00:00Z', '2025-04-02T00:00:00Z')"
            )
        samples, avg, peak = conn.execute(
            "SELECT samples, coolant_temp_avg, coolant_temp_max FROM telemetry_hourly "
            "WHERE bucket = '2025-04-01T08:00:00Z'"
        ).fetchone()
    assert (samples, avg, peak) == (2, 85, 90)


def test_old_partitions_are_dropped(db_url):
    days = ("2024-01-01T12:00:00Z", "2024-01-02T12:00:00Z", "2024-01-03T12:00:00Z")
    with connect(db_url) as conn:
        conn.execute("SELECT pitstop_ensure_partitions('2024-01-01', '2024-01-03')")
        for seq, ts in enumerate(days):
            conn.execute(
                "INSERT INTO telemetry (vin, ts, seq) VALUES ('LSVAU218XN2183294', %s, %s)",
                (ts, seq),
            )
        dropped = conn.execute("SELECT pitstop_drop_partitions_before('2024-01-03')").fetchone()[0]
        left = conn.execute(
            "SELECT array_agg(ts ORDER BY ts) FROM telemetry WHERE ts < '2024-01-04'"
        ).fetchone()[0]
        if storage_path(conn) == PARTITIONS:
            assert conn.execute("SELECT to_regclass('telemetry_p20240102')").fetchone()[0] is None
            assert conn.execute("SELECT to_regclass('telemetry_p20240103')").fetchone()[0]
        else:  # daily chunks: the two days before the cutoff are gone, the third is kept
            assert [chunks_holding(conn, ts) for ts in days] == [0, 0, 1]
    assert dropped == 2
    assert [f"{ts:%Y-%m-%d}" for ts in left] == ["2024-01-03"]


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
