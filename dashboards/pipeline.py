"""Pipeline health (数据链路): ingest rate and lag, dead letters, agent buffer drops, scoring
lag, and the time from an alert to a booked visit.

Only what PostgreSQL holds: the ingest process's batch sizes, commit times and in-memory
backlog are Prometheus metrics (ingest/metrics.py), and no Prometheus datasource is
provisioned, so they are not shown.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from dashboards.panels import (
    BUCKET,
    IN_STORES,
    dead_letters_in_range,
    department,
    grid,
    number,
    series,
    store_variable,
)

UID = "pitstop-pipeline"
ARRIVED = BUCKET.format(column="received_at")
PER_SECOND = "count(*) / ($__interval_ms / 1000.0)"

INGEST_RATE = [
    f"""SELECT {ARRIVED} AS time, {PER_SECOND} AS {name}
        FROM {table} WHERE $__timeFilter(received_at) GROUP BY 1 ORDER BY 1"""
    for table, name in (
        ("telemetry", "samples_per_s"),
        ("dtc_events", "dtc_events_per_s"),
        ("vehicle_status_events", "status_events_per_s"),
    )
]
LAG = f"""
    SELECT {ARRIVED} AS time,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM received_at - ts))
               AS p50_lag,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM received_at - ts))
               AS p95_lag,
           max(extract(epoch FROM received_at - ts)) AS max_lag
    FROM telemetry WHERE $__timeFilter(received_at) GROUP BY 1 ORDER BY 1"""
DEAD_LETTERS = f"""
    SELECT {ARRIVED} AS time, reason AS metric, count(*) AS dead_letters
    FROM dead_letters WHERE $__timeFilter(received_at) GROUP BY 1, 2 ORDER BY 1"""
# The agents' drop counters only grow (they live in the car's buffer file), so the drops in
# the range are the counter's rise across the status messages of the range.
DROPS = """
    SELECT vin, max(dropped) - min(dropped) AS dropped_in_range, max(dropped) AS dropped_total,
           max(dropped_events) AS dropped_events_total, max(depth) AS max_buffer_depth
    FROM (SELECT vin, (buffer->>'dropped_telemetry')::bigint AS dropped,
                 coalesce((buffer->>'dropped_events')::bigint, 0) AS dropped_events,
                 (buffer->>'depth')::bigint AS depth
          FROM vehicle_status_events
          WHERE $__timeFilter(ts) AND buffer->>'dropped_telemetry' IS NOT NULL) status
    GROUP BY vin HAVING max(dropped) > 0
    ORDER BY dropped_in_range DESC, dropped_total DESC, vin LIMIT 50"""
DROPPED_TOTAL = """
    SELECT coalesce(sum((buffer->>'dropped_telemetry')::bigint), 0) AS dropped_samples
    FROM vehicle_latest"""
SCORING_LAG = """
    SELECT coalesce(max(extract(epoch FROM now() - telemetry_at)), 0) AS scoring_lag
    FROM diagnostics_cursors"""
# From the alert's creation to the appointment the proactive loop booked for it.
ALERT_TO_BOOKING = f"""
    SELECT {BUCKET.format(column="a.created_at")} AS time,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ap.created_at
               - a.created_at)) AS p50_alert_to_booking,
           max(extract(epoch FROM ap.created_at - a.created_at)) AS max_alert_to_booking
    FROM proactive_proposals p
    JOIN alerts a ON a.id = p.alert_id
    JOIN service_appointments ap ON ap.id = p.appointment_id
    WHERE $__timeFilter(a.created_at) AND p.{IN_STORES}
    GROUP BY 1 ORDER BY 1"""


def pipeline() -> dashboard.Dashboard:
    """The data pipeline's health, from the car's buffer to a booked visit."""
    return (
        department(
            UID,
            "Pitstop · pipeline health / 数据链路",
            "Car to database to booked visit: ingest rate and lag, dead letters, agent buffer "
            "drops, diagnostics lag, alert to booking. Ingest batch and commit timings are "
            "Prometheus metrics, not shown here (no Prometheus datasource is provisioned).",
            "pipeline",
            "6h",
        )
        .with_variable(store_variable())
        .with_panel(
            number(
                "Samples stored in range / 入库样本",
                "SELECT count(*) AS samples FROM telemetry WHERE $__timeFilter(received_at)",
                "green",
                "Telemetry samples committed in the range.",
            )
        )
        .with_panel(
            dead_letters_in_range("Messages or samples ingest rejected, with the reason kept.")
        )
        .with_panel(
            number(
                "Samples dropped by agents / 车端缓冲丢弃",
                DROPPED_TOTAL,
                "orange",
                "Samples the cars' edge agents dropped because their disk buffer was full, "
                "all cars, as last reported.",
            )
        )
        .with_panel(
            number(
                "Diagnostics behind / 诊断延迟",
                SCORING_LAG,
                "purple",
                "How far the slowest diagnostics shard's cursor is behind now.",
                "s",
            )
        )
        .with_panel(
            series(
                "Ingest rate / 入库速率",
                INGEST_RATE,
                "reqps",
                "Rows committed per second by arrival time: samples, DTC and status events.",
            )
        )
        .with_panel(
            series(
                "Ingest lag, sample to commit / 入库延迟",
                LAG,
                "s",
                "From a sample's timestamp in the car to its row in the database; buffered "
                "samples replayed after a reconnect show as a long lag.",
            )
        )
        .with_panel(
            series(
                "Dead letters by reason / 死信原因",
                DEAD_LETTERS,
                description="Rejected messages per interval, one line per reason.",
            )
        )
        .with_panel(
            series(
                "Alert → booking time / 预警到预约",
                ALERT_TO_BOOKING,
                "s",
                "From a diagnostics alert (预警) to the appointment (预约) the proactive loop "
                "booked for it, by alert time; per store.",
            )
        )
        .with_panel(
            grid(
                "Agent buffer drops / 车端缓冲丢弃",
                DROPS,
                "Cars whose edge agent dropped samples (buffer full), from their status "
                "messages in the range.",
                width=24,
            )
        )
    )
