"""The alert service: open, repeat, clear, acknowledge, stale cars, and reads for the API.

Every function takes a psycopg connection and leaves the commit to the caller, so that the
alert change, its alert_events row (sent on NOTIFY 'pitstop_alerts' by a trigger) and its
audit row commit together. The API passes its session's driver connection.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import psycopg
from psycopg.rows import dict_row

from diagnostics.modes import SEVERITIES, higher
from diagnostics.scoring import Clear, Raise

CHANNEL = "pitstop_alerts"
STALE_AFTER_S = 600.0  # an online car silent this long raises a stale alert
_RANK = "array_position(ARRAY[" + ",".join(f"'{s}'" for s in SEVERITIES) + "], {})"
_TS = "(timestamptz 'epoch' + {} * interval '1 millisecond')"

_RAISE = f"""
WITH incoming AS (
    SELECT * FROM jsonb_to_recordset(%s::jsonb) AS r(vin text, mode text, severity text,
        probability float8, source text, reasons jsonb, first_ts bigint, ts bigint,
        received_at timestamptz)
), up AS (
    INSERT INTO alerts AS a (vin, failure_mode, severity, source, explanation, probability,
        first_seen, last_seen, received_at, last_change)
    SELECT vin, mode, severity, source, jsonb_build_object('reasons', reasons), probability,
        {_TS.format("first_ts")}, {_TS.format("ts")}, received_at, 'created'
    FROM incoming
    ON CONFLICT (vin, failure_mode) WHERE state = 'active' DO UPDATE SET
        count = a.count + 1,
        first_seen = least(a.first_seen, excluded.first_seen),
        last_seen = greatest(a.last_seen, excluded.last_seen),
        explanation = jsonb_set(a.explanation, '{{reasons}}',
            coalesce(a.explanation->'reasons', '{{}}') || (excluded.explanation->'reasons')),
        probability = coalesce(excluded.probability, a.probability),
        severity = CASE WHEN {_RANK.format("excluded.severity")} > {_RANK.format("a.severity")}
            THEN excluded.severity ELSE a.severity END,
        last_change = CASE WHEN {_RANK.format("excluded.severity")} > {_RANK.format("a.severity")}
            THEN 'severity_raised' ELSE 'repeated' END,
        updated_at = now()
    RETURNING a.id, a.vin, a.failure_mode, a.severity, a.last_change, a.explanation
)
INSERT INTO alert_events (alert_id, vin, failure_mode, kind, severity, detail)
SELECT id, vin, failure_mode, last_change, severity, explanation FROM up
WHERE last_change IN ('created', 'severity_raised')
RETURNING alert_id, kind"""
_CLEAR = """
WITH c AS (
    SELECT * FROM jsonb_to_recordset(%s::jsonb) AS r(vin text, mode text, reason text)
), up AS (
    UPDATE alerts a SET state = 'cleared', cleared_at = now(), clear_reason = c.reason,
        last_change = 'cleared', updated_at = now()
    FROM c WHERE a.vin = c.vin AND a.failure_mode = c.mode AND a.state = 'active'
    RETURNING a.id, a.vin, a.failure_mode, a.severity, c.reason
)
INSERT INTO alert_events (alert_id, vin, failure_mode, kind, severity, detail)
SELECT id, vin, failure_mode, 'cleared', severity, jsonb_build_object('reason', reason) FROM up
RETURNING alert_id"""


class AlertNotFound(LookupError):
    """No alert with that id (or not visible to the caller)."""


class AlertConflict(ValueError):
    """The alert is not in a state that allows the step; the message says why."""


def apply(
    conn: psycopg.Connection,
    changes: list[Raise | Clear],
    received_at: dict[str, dt.datetime] | None = None,
) -> dict[str, int]:
    """Write alert changes in order (merged per car and mode); counts of events by kind.

    Changes are written in batches; a raise and a clear of the same alert go into separate
    batches, so an alert that opened and closed within one round (a backlog of hours scored
    at once) is still written, as opened and then cleared.
    """
    counts: dict[str, int] = {}
    batch: list[Raise | Clear] = []
    kinds: dict[tuple[str, str], type] = {}
    for ch in changes:
        key = (ch.vin, ch.mode)
        if kinds.get(key, type(ch)) is not type(ch):
            for kind, n in _apply_batch(conn, batch, received_at).items():
                counts[kind] = counts.get(kind, 0) + n
            batch, kinds = [], {}
        batch.append(ch)
        kinds[key] = type(ch)
    for kind, n in _apply_batch(conn, batch, received_at).items():
        counts[kind] = counts.get(kind, 0) + n
    return counts


def _apply_batch(
    conn: psycopg.Connection,
    changes: list[Raise | Clear],
    received_at: dict[str, dt.datetime] | None = None,
) -> dict[str, int]:
    raises: dict[tuple[str, str], Raise] = {}
    clears: dict[tuple[str, str], Clear] = {}
    spans: dict[tuple[str, str], tuple[int, int]] = {}  # the first and last time raised
    for ch in changes:
        key = (ch.vin, ch.mode)
        if isinstance(ch, Clear):
            raises.pop(key, None)
            spans.pop(key, None)
            clears[key] = ch
            continue
        clears.pop(key, None)
        if (old := raises.get(key)) is not None:
            ch.severity = higher(ch.severity, old.severity)
            ch.reasons = {**old.reasons, **ch.reasons}
        first, last = spans.get(key, (ch.ts_ms, ch.ts_ms))
        spans[key] = (min(first, ch.ts_ms), max(last, ch.ts_ms))
        raises[key] = ch
    counts: dict[str, int] = {"raised": len(raises), "cleared": 0}
    received_at = received_at or {}
    with conn.cursor() as cur:
        if raises:
            rows = [
                {
                    "vin": r.vin, "mode": r.mode, "severity": r.severity,
                    "probability": r.probability, "source": r.source, "reasons": r.reasons,
                    "first_ts": spans[key][0], "ts": spans[key][1],
                    "received_at": _iso(received_at.get(r.vin)),
                }
                for key, r in raises.items()
            ]  # fmt: skip
            cur.execute(_RAISE, (json.dumps(rows),))
            for _, kind in cur.fetchall():
                counts[kind] = counts.get(kind, 0) + 1
        if clears:
            rows = [{"vin": c.vin, "mode": c.mode, "reason": c.reason} for c in clears.values()]
            cur.execute(_CLEAR, (json.dumps(rows),))
            counts["cleared"] = len(cur.fetchall())
    return counts


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def open_alerts(conn: psycopg.Connection, where: str = "true") -> list[tuple]:
    """(vin, mode, reason keys) of every active alert (of the cars `where` selects)."""
    sql = f"""SELECT vin, failure_mode, coalesce(
        (SELECT array_agg(k) FROM jsonb_object_keys(explanation->'reasons') k), '{{}}')
        FROM alerts WHERE state = 'active' AND {where}"""
    return [(v, m, list(keys)) for v, m, keys in conn.execute(sql).fetchall()]


def stale_changes(
    conn: psycopg.Connection, *, stale_after_s: float = STALE_AFTER_S, shard: str = "true"
) -> list[Raise | Clear]:
    """Stale alerts to raise (online but silent) and to clear (reporting again, or offline)."""
    now_ms = int(conn.execute("SELECT extract(epoch FROM now()) * 1000").fetchone()[0])
    silent = conn.execute(
        f"""SELECT vin, (extract(epoch FROM last_seen) * 1000)::bigint FROM vehicle_latest
        WHERE online AND last_seen < now() - %s * interval '1 second' AND {shard}""",
        (stale_after_s,),
    ).fetchall()
    changes: list[Raise | Clear] = []
    for vin, seen_ms in silent:
        minutes = round((now_ms - seen_ms) / 60_000, 1)
        reason = {"kind": "stale", "last_seen_ms": seen_ms, "silent_minutes": minutes}
        changes.append(Raise(vin, "stale", "warning", None, "stale", {"stale": reason}, now_ms))
    back = conn.execute(
        f"""SELECT a.vin FROM alerts a JOIN vehicle_latest l ON l.vin = a.vin
        WHERE a.failure_mode = 'stale' AND a.state = 'active' AND {shard.replace("vin", "a.vin")}
          AND (NOT l.online OR l.last_seen >= now() - %s * interval '1 second')""",
        (stale_after_s,),
    ).fetchall()
    reason = "reporting again or cleanly offline"
    changes += [Clear(vin, "stale", reason, now_ms) for (vin,) in back]
    return changes


# ---- reads and advisor actions (the API's alerts domain calls these) ---------------------------

_COLUMNS = """a.id, a.vin, a.failure_mode, a.severity, a.state, a.acknowledged, a.source,
    a.explanation, a.probability, a.count, a.first_seen, a.last_seen, a.created_at,
    a.updated_at, a.acknowledged_at, a.acknowledged_by, a.cleared_at, a.cleared_by,
    a.clear_reason, v.store_id"""
_FROM = "FROM alerts a LEFT JOIN vehicles v ON v.vin = a.vin"


def list_alerts(
    conn: psycopg.Connection,
    *,
    store_ids: list[int] | None = None,
    state: str | None = None,
    severity: str | None = None,
    vin: str | None = None,
    store_id: int | None = None,
    acknowledged: bool | None = None,
    since: dt.datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Alerts newest first, filtered; store_ids limits them to cars of those stores, since to
    alerts raised from then on (a new owner's view of the car)."""
    where, params = ["true"], []
    for clause, value in (
        ("a.state = %s", state), ("a.severity = %s", severity), ("a.vin = %s", vin),
        ("v.store_id = %s", store_id), ("a.acknowledged = %s", acknowledged),
        ("v.store_id = ANY(%s)", store_ids), ("a.created_at >= %s", since),
    ):  # fmt: skip
        if value is not None:
            where.append(clause)
            params.append(value)
    cond = " AND ".join(where)
    with conn.cursor(row_factory=dict_row) as cur:
        total = cur.execute(f"SELECT count(*) AS n {_FROM} WHERE {cond}", params).fetchone()["n"]
        rows = cur.execute(
            f"SELECT {_COLUMNS} {_FROM} WHERE {cond} ORDER BY a.created_at DESC, a.id DESC "
            "LIMIT %s OFFSET %s",
            [*params, limit, offset],
        ).fetchall()
    return rows, total


def get_alert(
    conn: psycopg.Connection, alert_id: int, *, store_ids: list[int] | None = None
) -> dict[str, Any]:
    """One alert; AlertNotFound when it does not exist or is outside the stores."""
    sql = f"SELECT {_COLUMNS} {_FROM} WHERE a.id = %s"
    params: list = [alert_id]
    if store_ids is not None:
        sql += " AND v.store_id = ANY(%s)"
        params.append(store_ids)
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(sql, params).fetchone()
    if row is None:
        raise AlertNotFound(f"alert {alert_id} not found")
    return row


def acknowledge(
    conn: psycopg.Connection, alert_id: int, *, user_id: int | None,
    store_ids: list[int] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Mark an alert acknowledged (active or cleared); AlertConflict if it already is."""
    alert = get_alert(conn, alert_id, store_ids=store_ids)
    if alert["acknowledged"]:
        raise AlertConflict(f"alert {alert_id} is already acknowledged")
    conn.execute(
        """UPDATE alerts SET acknowledged = true, acknowledged_at = now(), acknowledged_by = %s,
        last_change = 'acknowledged', updated_at = now() WHERE id = %s""",
        (user_id, alert_id),
    )
    _event(conn, alert, "acknowledged", user_id, None)
    return get_alert(conn, alert_id)


def clear(
    conn: psycopg.Connection, alert_id: int, *, user_id: int | None, reason: str | None = None,
    store_ids: list[int] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Clear an active alert by hand; AlertConflict if it is already cleared."""
    alert = get_alert(conn, alert_id, store_ids=store_ids)
    if alert["state"] != "active":
        raise AlertConflict(f"alert {alert_id} is already cleared; a new one opens if it recurs")
    conn.execute(
        """UPDATE alerts SET state = 'cleared', cleared_at = now(), cleared_by = %s,
        clear_reason = %s, last_change = 'cleared', updated_at = now() WHERE id = %s""",
        (user_id, reason, alert_id),
    )
    _event(conn, alert, "cleared", user_id, reason)
    return get_alert(conn, alert_id)


def _event(conn, alert: dict, kind: str, user_id: int | None, reason: str | None) -> None:
    conn.execute(
        """INSERT INTO alert_events (alert_id, vin, failure_mode, kind, severity, actor_user_id,
        detail) VALUES (%s, %s, %s, %s, %s, %s, %s)""",
        (alert["id"], alert["vin"], alert["failure_mode"], kind, alert["severity"], user_id,
         json.dumps({"reason": reason} if reason else {})),
    )  # fmt: skip


def events(conn: psycopg.Connection, alert_id: int) -> list[dict[str, Any]]:
    """An alert's events, oldest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT * FROM alert_events WHERE alert_id = %s ORDER BY id", (alert_id,)
        ).fetchall()
