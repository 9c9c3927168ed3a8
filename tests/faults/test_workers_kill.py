"""SIGKILL the diagnostics service and the proactive worker mid-step, then restart them: no
alert is lost or opened twice, and no visit is booked twice."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psutil
import pytest

from api.db import make_engine, make_session_factory
from api.models_base import load_all_models
from core import wire
from ingest.batch import Batch, Message
from ingest.store import Store
from tests.faults.processes import kill_9, pitstop, product_env, scalar, stop_gently, wait_for
from tests.ingest_support import make_vin
from tests.proactive_support import make_car, make_dealer, raise_alerts

DIAG_CARS = 1500
WAVE_CARS = 100  # cars whose DTC reports one ingest batch writes
WAVE_PAUSE_S = 0.1
CODES = {"P0301": "misfire", "P0562": "charging"}  # each stored code opens one alert
BOOKING_CARS = 30
KILLS = (0.3, 0.6)  # shares of the expected outcome reached when the process is killed
ORPHANS_GONE_S = 5.0


def _write_dtc_waves(db_url: str, vins: list[str]) -> None:
    """DTC reports for the cars, written wave by wave through ingest's own batch and store."""
    store = Store(db_url)
    try:
        for first in range(0, len(vins), WAVE_CARS):
            batch = Batch()
            for vin in vins[first : first + WAVE_CARS]:
                report = wire.DtcReport(ts=wire.now_ms() - 1000, stored=list(CODES), pending=[],
                                        mil=True)  # fmt: skip
                batch.add(Message(wire.topic(vin, "dtc"), wire.encode(report), 0, 0, 0))
            assert not batch.dead_letters, batch.dead_letters
            store.write(batch)
            time.sleep(WAVE_PAUSE_S)
    finally:
        store.close()


def _kill_and_restart(start, ready: str, count, expected: int, what: str) -> None:
    """start(i) runs the i-th process; each is killed with SIGKILL, with all its children,
    once it is running and the outcome has reached the next share in KILLS."""
    process = None
    try:
        for i, share in enumerate((*KILLS, None)):
            process, log = start(i)
            wait_for(lambda log=log: ready in log.read_text(), 60, f"{ready!r} in {log.name}")
            if share is None:
                break
            wait_for(lambda s=share: (count() or 0) >= s * expected, 120, f"{share:.0%} {what}")
            children = psutil.Process(process.pid).children(recursive=True)
            kill_9(process)
            # What the killed process started must not work on beside its successor.
            _, alive = psutil.wait_procs(children, timeout=ORPHANS_GONE_S)
            assert not alive, f"orphans of the killed {what} process live on: {alive}"
        wait_for(lambda: (count() or 0) >= expected, 180, f"every {what}", every=0.5)
        time.sleep(2)  # anything doubled by a late repeat would land now
    finally:
        if process is not None:
            assert stop_gently(process) == 0, f"the {what} process did not stop cleanly"


@pytest.mark.timeout(300)
def test_diagnostics_killed_mid_step_loses_and_doubles_no_alert(db_url, tmp_path):
    vins = [make_vin() for _ in range(DIAG_CARS)]
    env = product_env(db_url)
    writer = threading.Thread(target=_write_dtc_waves, args=(db_url, vins))
    writer.start()
    opened = "SELECT count(*) FROM alert_events WHERE kind = 'created' AND vin = ANY(%s)"
    args = ["diagnostics", "--workers", "1", "--poll-s", "0.1"]
    _kill_and_restart(
        lambda i: _start(args, env, tmp_path / f"diagnostics-{i}.log"),
        "loaded 0 model detector",
        lambda: scalar(db_url, opened, vins),
        len(vins) * len(CODES),
        "alert opened",
    )
    writer.join(60)
    per_alert = "SELECT vin, failure_mode, count(*) FROM {} WHERE vin = ANY(%s) GROUP BY 1, 2"
    alerts = {(v, m): n for v, m, n in _rows(db_url, per_alert.format("alerts"), vins)}
    created = {
        (v, m): n
        for v, m, n in _rows(
            db_url, per_alert.format("alert_events") + " , kind HAVING kind = 'created'", vins
        )
    }
    expected = {(v, m) for v in vins for m in CODES.values()}
    assert set(alerts) == expected, f"{len(expected - set(alerts))} alerts lost"
    assert set(alerts.values()) == {1}, "an alert was opened twice"
    assert created == dict.fromkeys(expected, 1), "an alert's 'created' event is missing or doubled"


def _start(args: list[str], env: dict[str, str], log: Path):
    return pitstop(args, env, log), log


def _rows(db_url: str, sql: str, *params) -> list[tuple]:
    from core.db import connect

    with connect(db_url) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.mark.timeout(300)
def test_proactive_worker_killed_mid_step_books_each_visit_once(fresh_db_url, tmp_path):
    db_url = fresh_db_url
    load_all_models()
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        dealer = make_dealer(session, stock=BOOKING_CARS, technicians=4, bays=4, within_days=30)
        vins = [make_car(session, dealer)[1].vin for _ in range(BOOKING_CARS)]
        session.commit()
    engine.dispose()
    raise_alerts(db_url, vins)
    handled = (
        "SELECT count(*) FROM proactive_handled_events h JOIN alert_events e"
        " ON e.id = h.alert_event_id WHERE e.vin = ANY(%s) AND h.outcome <> 'handling'"
    )
    env = product_env(db_url, jwt_secret="x" * 40)
    _kill_and_restart(
        lambda i: _start(["worker", "--threads", "2"], env, tmp_path / f"worker-{i}.log"),
        "proactive worker running",
        lambda: scalar(db_url, handled, vins),
        len(vins),
        "alert event handled",
    )
    per_event = _rows(
        db_url,
        "SELECT e.id, count(h.alert_event_id) FROM alert_events e LEFT JOIN"
        " proactive_handled_events h ON h.alert_event_id = e.id WHERE e.vin = ANY(%s) GROUP BY 1",
        vins,
    )
    assert [n for _, n in per_event] == [1] * len(vins), "an event handled twice or never"
    proposals = _rows(
        db_url,
        "SELECT alert_id, count(*), count(appointment_id) FROM proactive_proposals"
        " WHERE vin = ANY(%s) GROUP BY 1",
        vins,
    )
    assert len(proposals) == len(vins), f"{len(vins) - len(proposals)} alerts got no plan"
    assert all(n == 1 and booked <= 1 for _, n, booked in proposals), proposals
    visits = _rows(
        db_url,
        "SELECT a.vehicle_id, count(*) FROM service_appointments a JOIN vehicles v"
        " ON v.id = a.vehicle_id WHERE v.vin = ANY(%s) GROUP BY 1",
        vins,
    )
    assert visits and all(n == 1 for _, n in visits), f"a visit booked twice: {visits}"
    assert len(visits) == sum(booked for _, _, booked in proposals)
