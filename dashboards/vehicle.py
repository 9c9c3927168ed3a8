"""Vehicle detail (单车详情): one car's state, signals over time, trouble codes, alerts, visits."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from dashboards.panels import department, grid, per_car, query_variable

UID = "pitstop-vehicle"
# Grafana leaves a single-value variable unquoted; :sqlstring quotes and escapes it.
THIS_CAR = "vin = ${vin:sqlstring}"
CARS = """
    SELECT l.vin AS __value, l.vin || coalesce(' · ' || v.plate, '') AS __text
    FROM vehicle_latest l LEFT JOIN vehicles v ON v.vin = l.vin ORDER BY l.vin"""
# (title, telemetry column, Grafana unit, aggregate per time bucket)
SIGNALS = (
    ("Engine speed / 发动机转速", "rpm", "rpm", "avg"),
    ("Vehicle speed / 车速", "speed", "velocitykmh", "avg"),
    ("Engine load / 发动机负荷", "engine_load", "percent", "avg"),
    ("Coolant temperature / 冷却液温度", "coolant_temp", "celsius", "max"),
    ("Control module voltage / 控制模块电压", "control_module_voltage", "volt", "min"),
    ("Long-term fuel trim / 长期燃油修正", "long_fuel_trim_1", "percent", "avg"),
)
NOW = f"""
    SELECT l.vin, v.plate, v.make || ' ' || v.model AS model, st.code AS store, l.online,
           l.last_seen, ("values"->>'ODOMETER')::float AS odometer_km,
           array_to_string(l.stored_dtcs, ' ') AS stored_dtcs,
           array_to_string(l.pending_dtcs, ' ') AS pending_dtcs,
           (l.buffer->>'depth')::bigint AS buffer_depth, l.agent->>'version' AS agent_version
    FROM vehicle_latest l
    LEFT JOIN vehicles v ON v.vin = l.vin
    LEFT JOIN stores st ON st.id = v.store_id
    WHERE l.{THIS_CAR}"""
DTCS = f"""
    SELECT ts AS time, code, kind, mil, received_at
    FROM dtc_events WHERE $__timeFilter(ts) AND {THIS_CAR}
    ORDER BY ts DESC LIMIT 200"""
ALERTS = f"""
    SELECT created_at AS time, failure_mode, severity, state, acknowledged, source,
           round(probability::numeric, 2) AS probability, count, first_seen, last_seen,
           cleared_at, clear_reason
    FROM alerts
    WHERE {THIS_CAR} AND (state = 'active' OR $__timeFilter(last_seen))
    ORDER BY created_at DESC"""
VISITS = f"""
    SELECT wo.checked_in_at AS time, st.code AS store, wo.number, wo.status, wo.source,
           wo.complaint, wo.outcome, wo.outcome_code, wo.delivered_at
    FROM work_orders wo
    JOIN vehicles v ON v.id = wo.vehicle_id
    JOIN stores st ON st.id = wo.store_id
    WHERE v.{THIS_CAR}
    ORDER BY wo.created_at DESC LIMIT 50"""


def vehicle() -> dashboard.Dashboard:
    """One car in detail, chosen by VIN."""
    board = (
        department(
            UID,
            "Pitstop · vehicle detail / 单车详情",
            "One connected car: its latest state, signals over time, trouble codes, alerts "
            "and workshop visits.",
            "vehicle",
            "24h",
        )
        .with_variable(query_variable("vin", "VIN / 车架号", CARS, multi=False))
        .with_panel(
            grid(
                "Car now / 车辆当前状态",
                NOW,
                "The latest sample and status the car reported, with its owner's store.",
                width=24,
                height=5,
            )
        )
    )
    for title, column, unit, aggregate in SIGNALS:
        described = f"The {column} signal of the car, {aggregate} per interval."
        board = board.with_panel(per_car(title, column, unit, THIS_CAR, aggregate, described))
    return (
        board.with_panel(
            grid(
                "Trouble codes / 故障码",
                DTCS,
                "Stored and pending DTCs (故障码) the car reported in the range.",
            )
        )
        .with_panel(
            grid(
                "Alerts / 预警",
                ALERTS,
                "Diagnostics alerts on the car: active ones, and those seen in the range.",
            )
        )
        .with_panel(
            grid(
                "Workshop visits / 维修记录",
                VISITS,
                "The car's work orders (维修工单), newest first.",
                width=24,
            )
        )
    )
