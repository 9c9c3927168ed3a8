"""A car cut off for 10 minutes comes back: its backlog is backfilled, exactly once, while the
other cars' live samples keep arriving with a bounded lag. The backfill rate is recorded.

The cut is simulated on the car's own clock: its agent samples 10 minutes of car time against
a broker that is not there (a free port), then restarts on the same outbox against the real
one, as a car does after a tunnel or a dead zone.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest

from core import wire
from core.broker import free_port
from core.db import connect
from edge_agent.agent import Agent
from tests.edge_support import FakeCar, make_vin
from tests.faults.processes import (
    assert_exactly_once,
    scalar,
    start_ingest,
    stopped_at_exit,
    wait_for,
)

CUT_MS = 10 * 60 * 1000
TICK_MS = 100
# 10 samples a second, as many as an ELM327 can honour, published in batches of 50.
CONFIG = wire.VehicleConfig(
    version=1,
    signals={"RPM": 0.1, "SPEED": 0.1, "COOLANT_TEMP": 0.1},
    batch=wire.BatchConfig(max_samples=50, max_age_s=1.0),
    status_period_s=5.0,
)
LIVE_CARS = 4
LIVE_LAG_BOUND_S = 5.0  # a batch waits at most 1 s in the car, 0.2 s in ingest
WARM_UP_S = 3.0


def _agent(vin: str, mqtt_url: str, outbox, clock=wire.now_ms) -> Agent:
    agent = Agent(link=FakeCar(vin), mqtt_url=mqtt_url, buffer_path=outbox, config=CONFIG,
                  clock=clock)  # fmt: skip
    agent.start()
    return agent


def _cut_off(vin: str, outbox) -> int:
    """Ten minutes of the car's time with no broker; the samples it buffered."""
    now = [wire.now_ms() - CUT_MS]
    agent = _agent(vin, f"mqtt://127.0.0.1:{free_port()}", outbox, clock=lambda: now[0])
    for _ in range(CUT_MS // TICK_MS):
        agent.tick()
        now[0] += TICK_MS
    backlog = agent.buffer.next_seq
    agent.uplink.close(None, 1)  # the car loses power: nothing more is sent
    agent.buffer.close()
    return backlog


@pytest.mark.timeout(180)
def test_backfill_completes_and_live_cars_are_not_starved(db_url, own_broker, tmp_path, record):
    tag = uuid.uuid4().hex[:5]  # + one character: each car its own VIN and client id
    cut_vin, live_vins = make_vin(f"{tag}F"), [make_vin(f"{tag}{i}") for i in range(LIVE_CARS)]
    backlog = _cut_off(cut_vin, tmp_path / "cut.sqlite")
    assert backlog >= CUT_MS // TICK_MS * 0.99, backlog
    ingest = start_ingest(db_url, own_broker.url, tag, tmp_path / "ingest.log", 5000)
    with stopped_at_exit(ingest, "ingest"):
        stop = threading.Event()
        agents = [_agent(v, own_broker.url, tmp_path / f"{v}.sqlite") for v in live_vins]
        threads = [threading.Thread(target=a.run, args=(stop,)) for a in agents]
        try:
            for thread in threads:
                thread.start()
            cars = "SELECT count(DISTINCT vin) FROM telemetry"
            wait_for(lambda: scalar(db_url, cars) == LIVE_CARS, 30, "every live car")
            time.sleep(WARM_UP_S)
            back = _agent(cut_vin, own_broker.url, tmp_path / "cut.sqlite")
            agents.append(back)
            threads.append(threading.Thread(target=back.run, args=(stop,)))
            began, began_db = time.monotonic(), scalar(db_url, "SELECT now()")
            threads[-1].start()
            done_sql = "SELECT count(*) FROM telemetry WHERE vin = %s AND seq < %s"
            wait_for(lambda: scalar(db_url, done_sql, cut_vin, backlog) == backlog, 120,
                       "the backfill", every=0.05)  # fmt: skip
            took = time.monotonic() - began
            live = _live_during(db_url, live_vins, began_db, scalar(db_url, "SELECT now()"))
        finally:
            stop.set()
            for thread in threads:
                thread.join(20)
            for agent in agents:
                agent.stop()
        assert_exactly_once(db_url, _produced(tmp_path, cut_vin, live_vins))
    rows, lag = live
    record("backfill", samples=backlog, seconds=round(took, 2), rate=round(backlog / took),
           live_rows_during=rows, live_lag_max_s=round(lag, 2))  # fmt: skip
    assert rows > 0, "no live sample arrived while the backfill ran"
    assert lag < LIVE_LAG_BOUND_S, f"live samples waited up to {lag:.1f} s during the backfill"


def _live_during(db_url: str, vins: list[str], since, until) -> tuple[int, float]:
    """Live rows committed in the window, and the longest a sample waited to be stored."""
    with connect(db_url) as conn:
        rows, lag = conn.execute(
            "SELECT count(*), coalesce(max(extract(epoch FROM received_at - ts)), 0)::float8"
            " FROM telemetry WHERE vin = ANY(%s) AND received_at BETWEEN %s AND %s",
            (vins, since, until),
        ).fetchone()
    return rows, lag


def _produced(tmp_path: Path, cut_vin: str, live_vins: list[str]) -> dict[str, int]:
    """Samples each car numbered, read from its outbox."""
    paths = {cut_vin: tmp_path / "cut.sqlite"} | {v: tmp_path / f"{v}.sqlite" for v in live_vins}
    counts = {}
    for vin, path in paths.items():
        with sqlite3.connect(path) as db:
            counts[vin] = db.execute("SELECT value FROM meta WHERE key = 'next_seq'").fetchone()[0]
    return counts
