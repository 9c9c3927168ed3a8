"""Fleet overview: cars online, engine and battery signals, trouble codes, ingest health."""

from __future__ import annotations

from grafana_foundation_sdk.builders import barchart, dashboard, table, timeseries

from dashboards.panels import (
    BUCKET,
    dead_letters_in_range,
    number,
    per_car,
    query_variable,
    thresholds,
)
from dashboards.sql import DATASOURCE, Sql

UID = "pitstop-fleet-overview"
SELECTED = "vin IN ($vin)"


def _per_car(title: str, column: str, unit: str, aggregate: str = "avg") -> timeseries.Panel:
    return per_car(title, column, unit, SELECTED, aggregate)


def fleet_overview() -> dashboard.Dashboard:
    """The fleet-overview dashboard."""
    vin = query_variable("vin", "VIN", "SELECT vin FROM vehicle_latest ORDER BY vin")
    fleet_table = f"""
        SELECT vin, online, last_seen, now() - last_seen AS silent_for,
               ("values"->>'RPM')::float AS rpm,
               ("values"->>'COOLANT_TEMP')::float AS coolant_temp,
               ("values"->>'CONTROL_MODULE_VOLTAGE')::float AS voltage,
               array_to_string(stored_dtcs, ' ') AS stored_dtcs,
               array_to_string(pending_dtcs, ' ') AS pending_dtcs,
               (buffer->>'depth')::bigint AS buffer_depth,
               agent->>'vin_source' AS vin_source
        FROM vehicle_latest WHERE {SELECTED} ORDER BY online, last_seen DESC"""
    dead_letter_rate = f"""
        SELECT {BUCKET.format(column="received_at")} AS time, count(*) AS dead_letters
        FROM dead_letters WHERE $__timeFilter(received_at) GROUP BY 1 ORDER BY 1"""
    lag = f"""
        SELECT {BUCKET.format(column="ts")} AS time,
               avg(extract(epoch FROM received_at - ts)) AS avg_lag,
               max(extract(epoch FROM received_at - ts)) AS max_lag
        FROM telemetry WHERE $__timeFilter(ts) AND {SELECTED} GROUP BY 1 ORDER BY 1"""
    top_codes = f"""
        SELECT code, count(DISTINCT vin) AS cars
        FROM dtc_events WHERE $__timeFilter(ts) AND {SELECTED}
        GROUP BY code ORDER BY cars DESC, code LIMIT 10"""
    dtc_log = f"""
        SELECT ts AS time, vin, code, kind, mil
        FROM dtc_events WHERE $__timeFilter(ts) AND {SELECTED}
        ORDER BY ts DESC LIMIT 200"""
    recent_dead = """
        SELECT received_at AS time, topic, reason, payload_size
        FROM dead_letters WHERE $__timeFilter(received_at)
        ORDER BY received_at DESC LIMIT 100"""
    return (
        dashboard.Dashboard("Pitstop · fleet overview / 车队总览")
        .uid(UID)
        .tags(["pitstop", "fleet"])
        .description("Connected cars: online state, engine and battery signals, DTCs, ingest.")
        .time("now-6h", "now")
        .refresh("30s")
        .timezone("browser")
        .readonly()
        .with_variable(vin)
        .with_panel(
            number(
                "Cars online / 在线车辆",
                "SELECT count(*) FILTER (WHERE online) AS online FROM vehicle_latest",
                "green",
            )
        )
        .with_panel(number("Cars known / 车辆总数", "SELECT count(*) AS cars FROM vehicle_latest"))
        .with_panel(
            number(
                "Cars silent > 1 h / 超过1小时未上报",
                "SELECT count(*) AS silent FROM vehicle_latest "
                "WHERE last_seen < now() - interval '1 hour'",
                "orange",
            )
        )
        .with_panel(dead_letters_in_range())
        .with_panel(
            table.Panel()
            .title("Fleet: last seen / 车辆最新状态")
            .datasource(DATASOURCE)
            .with_target(Sql(fleet_table, "table"))
            .span(24)
            .height(9)
        )
        .with_panel(_per_car("Engine speed / 发动机转速", "rpm", "rpm"))
        .with_panel(_per_car("Coolant temperature / 冷却液温度", "coolant_temp", "celsius", "max"))
        .with_panel(
            _per_car(
                "Control module voltage / 控制模块电压", "control_module_voltage", "volt", "min"
            ).thresholds(thresholds((None, "red"), (12.2, "yellow"), (13.2, "green")))
        )
        .with_panel(
            timeseries.Panel()
            .title("Dead letters per interval / 死信速率")
            .datasource(DATASOURCE)
            .with_target(Sql(dead_letter_rate))
            .span(8)
            .height(8)
        )
        .with_panel(
            timeseries.Panel()
            .title("Ingest lag, sample to commit / 入库延迟")
            .datasource(DATASOURCE)
            .with_target(Sql(lag))
            .unit("s")
            .span(8)
            .height(8)
        )
        .with_panel(
            barchart.Panel()
            .title("Top trouble codes (cars) / 常见故障码")
            .datasource(DATASOURCE)
            .with_target(Sql(top_codes, "table"))
            .span(8)
            .height(8)
        )
        .with_panel(
            table.Panel()
            .title("Trouble codes / 故障码记录")
            .datasource(DATASOURCE)
            .with_target(Sql(dtc_log, "table"))
            .span(12)
            .height(9)
        )
        .with_panel(
            table.Panel()
            .title("Latest dead letters / 最新死信")
            .datasource(DATASOURCE)
            .with_target(Sql(recent_dead, "table"))
            .span(12)
            .height(9)
        )
    )
