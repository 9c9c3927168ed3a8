"""Fleet overview: cars online, engine and battery signals, trouble codes, ingest health."""

from __future__ import annotations

from grafana_foundation_sdk.builders import barchart, dashboard, stat, table, timeseries
from grafana_foundation_sdk.models import dashboard as model

from dashboards.sql import DATASOURCE, Sql

UID = "pitstop-fleet-overview"
# Grafana's $__interval_ms as a PostgreSQL interval: date_bin works on plain PostgreSQL and on
# TimescaleDB alike, where time_bucket would need the extension.
BUCKET = "date_bin(($__interval_ms || ' milliseconds')::interval, {column}, '2000-01-01')"
SELECTED = "vin IN ($vin)"


def _thresholds(*steps: tuple[float | None, str]) -> dashboard.ThresholdsConfig:
    return (
        dashboard.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=value, color=color) for value, color in steps])
    )


def _per_car(title: str, column: str, unit: str, aggregate: str = "avg") -> timeseries.Panel:
    """One line per selected car: a telemetry column averaged per time bucket."""
    sql = f"""
        SELECT {BUCKET.format(column="ts")} AS time, vin AS metric, {aggregate}({column}) AS value
        FROM telemetry
        WHERE $__timeFilter(ts) AND {SELECTED} AND {column} IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1"""
    return (
        timeseries.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .with_target(Sql(sql))
        .unit(unit)
        .span(8)
        .height(8)
    )


def _stat(title: str, sql: str, color: str = "blue") -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .with_target(Sql(sql, "table"))
        .thresholds(_thresholds((None, color)))
        .span(6)
        .height(4)
    )


def fleet_overview() -> dashboard.Dashboard:
    """The fleet-overview dashboard."""
    vin = (
        dashboard.QueryVariable("vin")
        .label("VIN")
        .datasource(DATASOURCE)
        .query("SELECT vin FROM vehicle_latest ORDER BY vin")
        .multi(True)
        .include_all(True)
        .refresh(model.VariableRefresh.ON_DASHBOARD_LOAD)
        .current(model.VariableOption(selected=True, text=["All"], value=["$__all"]))
    )
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
            _stat(
                "Cars online / 在线车辆",
                "SELECT count(*) FILTER (WHERE online) AS online FROM vehicle_latest",
                "green",
            )
        )
        .with_panel(_stat("Cars known / 车辆总数", "SELECT count(*) AS cars FROM vehicle_latest"))
        .with_panel(
            _stat(
                "Cars silent > 1 h / 超过1小时未上报",
                "SELECT count(*) AS silent FROM vehicle_latest "
                "WHERE last_seen < now() - interval '1 hour'",
                "orange",
            )
        )
        .with_panel(
            _stat(
                "Dead letters in range / 死信",
                "SELECT count(*) AS dead_letters FROM dead_letters "
                "WHERE $__timeFilter(received_at)",
                "red",
            )
        )
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
            ).thresholds(_thresholds((None, "red"), (12.2, "yellow"), (13.2, "green")))
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
