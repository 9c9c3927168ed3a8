"""`pitstop bench storage`: what a car's telemetry costs on disk, per year, on the active path.

Simulated cars (the fleet's own driver profiles) are driven for some days; while the ignition
is on, the edge agent's fastest signals are read every second, so a car stores one row per
ignition-on second (the OBD port answers no PIDs with the ignition off). The rows are copied
into a scratch database and measured: bytes per row with indexes, and the hourly view. The
ceiling is the same samples as the cars send them on the wire (JSON, 50 to a message). On
TimescaleDB the chunks are then compressed and measured again.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass

from core import storage
from core.clock import DAY_MS
from core.db import connect
from core.db.scratch import scratch_database
from core.signals import COLUMNS, SIGNALS
from core.wire import Sample, Telemetry, encode
from diagnostics.lab.simfeed import feed
from simulators.car import Car
from simulators.fleet import PROFILE_MIX

START_MS = 1_767_225_600_000  # 2026-01-01 00:00 UTC
MESSAGE_SAMPLES = 50  # the edge agent's default batch
DAYS_PER_YEAR = 365


@dataclass
class Figures:
    """What one run measured."""

    path: str
    cars: int
    days: int
    rows: int
    wire_bytes: int
    table_bytes: int
    hourly_bytes: int
    compressed_bytes: int | None
    peak_share: float  # the largest share of the cars with the ignition on in any minute
    seconds: float

    @property
    def rows_per_car_day(self) -> float:
        return self.rows / (self.cars * self.days)

    def per_car_year(self, total: int) -> float:
        """Bytes per car per year, from a total over the run."""
        return total / (self.cars * self.days) * DAYS_PER_YEAR


def drive(cars: int, days: int) -> tuple[list[tuple], int]:
    """The rows the cars store, and their size on the wire."""
    rows: list[tuple] = []
    wire = 0
    until = START_MS + days * DAY_MS
    for index in range(cars):
        car = Car(start_ms=START_MS, seed=index, profile=PROFILE_MIX[index % len(PROFILE_MIX)])
        samples: list[Sample] = []
        for seq, sample in enumerate(feed(car, until, run_step_s=1.0)):
            if not car.running:
                continue
            ts = dt.datetime.fromtimestamp(sample.ts_ms / 1000, dt.UTC)
            rows.append((car.vin, ts, seq, *[sample.values.get(s.name) for s in SIGNALS]))
            samples.append(Sample(sample.ts_ms, seq, sample.values))
        for i in range(0, len(samples), MESSAGE_SAMPLES):
            wire += len(encode(Telemetry(samples[i : i + MESSAGE_SAMPLES])))
    return rows, wire


def run(*, cars: int, days: int) -> Figures:
    """Drive, store and measure; print the figures."""
    started = time.perf_counter()
    rows, wire = drive(cars, days)
    with scratch_database("storage") as url, connect(url, autocommit=True) as conn:
        path = storage.storage_path(conn)
        first, last = rows[0][1].date(), max(r[1] for r in rows).date()
        conn.execute("SELECT pitstop_ensure_partitions(%s, %s)", (first, last))
        columns = ", ".join(("vin", "ts", "seq", *COLUMNS))
        with conn.cursor() as cur, cur.copy(f"COPY telemetry ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute("VACUUM ANALYZE telemetry")
        storage.run_job(url, "hourly_refresh", runner="pitstop bench storage")
        table = _bytes(conn, "telemetry", path)
        hourly = _bytes(conn, "telemetry_hourly", path)
        compressed = _compress(conn) if path == storage.TIMESCALEDB else None
    figures = Figures(path, cars, days, len(rows), wire, table, hourly, compressed,
                      peak_share(rows, cars), time.perf_counter() - started)  # fmt: skip
    report(figures)
    return figures


def peak_share(rows: list[tuple], cars: int) -> float:
    """The busiest minute's rows over the rows of every car driving all that minute."""
    per_minute = Counter(row[1].replace(second=0, microsecond=0) for row in rows)
    return max(per_minute.values()) / (60 * cars)


def _bytes(conn, relation: str, path: str) -> int:
    """Bytes on disk of a relation with its indexes (and its partitions or chunks)."""
    if path == storage.TIMESCALEDB and relation == "telemetry":
        return conn.execute("SELECT hypertable_size('telemetry')").fetchone()[0]
    size = conn.execute(
        "SELECT coalesce(sum(pg_total_relation_size(relid)), 0) "
        "FROM pg_partition_tree(%s::regclass)",
        (relation,),
    ).fetchone()[0]
    return (
        int(size)
        or conn.execute("SELECT pg_total_relation_size(%s::regclass)", (relation,)).fetchone()[0]
    )


def _compress(conn) -> int:
    """Compress every chunk, as the compression policy would after 7 days; the bytes after."""
    conn.execute("SELECT count(compress_chunk(c, if_not_compressed => true)) "
                 "FROM show_chunks('telemetry') c")  # fmt: skip
    return conn.execute("SELECT hypertable_size('telemetry')").fetchone()[0]


def report(f: Figures) -> None:
    """The figures, per car and year, against the wire size of the same samples."""
    mib = 1024 * 1024
    per_row = f.table_bytes / f.rows
    print(f"storage path: {f.path}; {f.cars} cars × {f.days} days, {f.rows:,} rows "
          f"({f.rows_per_car_day:,.0f} rows per car-day, one per ignition-on second); "
          f"at the busiest minute {f.peak_share:.1%} of the cars drove")  # fmt: skip
    print(f"wire (ceiling): {f.wire_bytes / f.rows:,.0f} B per row, "
          f"{f.per_car_year(f.wire_bytes) / mib:,.0f} MiB per car-year")  # fmt: skip
    print(f"telemetry with indexes: {per_row:,.0f} B per row ({f.table_bytes / f.wire_bytes:.2f}× "
          f"the wire), {f.per_car_year(f.table_bytes) / mib:,.0f} MiB per car-year")  # fmt: skip
    print(f"telemetry_hourly: {f.per_car_year(f.hourly_bytes) / mib:,.1f} MiB per car-year")
    if f.compressed_bytes is None:
        print("compressed: not measured (plain PostgreSQL has no chunk compression; run this "
              "on TimescaleDB to measure it)")  # fmt: skip
    else:
        print(f"compressed: {f.per_car_year(f.compressed_bytes) / mib:,.0f} MiB per car-year, "
              f"{f.table_bytes / f.compressed_bytes:.1f}× smaller")  # fmt: skip
    print(f"took {f.seconds:.0f} s")
