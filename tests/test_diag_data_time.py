"""Scoring in the car's own time on real PostgreSQL: backlogs, late samples, a DTC report read
before the telemetry it follows, warming engines, and the floor under a learned threshold."""

from __future__ import annotations

import random

import numpy as np

from core.clock import DAY_MS
from core.db import connect
from core.signals import SIGNAL_NAMES
from core.wire import now_ms
from diagnostics.detection import STRETCH_MS
from diagnostics.lab import evaluation
from diagnostics.lab.fleetdata import Windows
from diagnostics.service import REWIND_MS
from ingest.batch import Batch
from ingest.store import Store
from simulators.car import random_vin
from tests.diag_support import scorer

STEP_MS = 5_000
MINUTE_MS = 60_000


def _vin(seed: int) -> str:
    return random_vin(random.Random(seed))


def _sample(vin: str, ts_ms: int, seq: int, **values: float) -> tuple:
    return (vin, ts_ms, seq, *[values.get(n) for n in SIGNAL_NAMES])


def _running(vin: str, first_ms: int, minutes: float, coolant=lambda s: 90.0) -> list[tuple]:
    """An engine running at cruise, one sample every 5 s; coolant(s) gives °C at s seconds."""
    stamps = range(first_ms, first_ms + int(minutes * MINUTE_MS), STEP_MS)
    cruise = {"RPM": 1800.0, "SPEED": 60.0}
    return [
        _sample(vin, ts, ts // 1000, **cruise, COOLANT_TEMP=coolant((ts - first_ms) / 1000))
        for ts in stamps
    ]


def _write(db_url: str, vin: str, rows: list[tuple], dtc: tuple[int, list[str]] | None = None):
    """Store what ingest would for one car: samples, and a DTC report (time, stored codes)."""
    batch = Batch(rows=rows)
    latest: dict = {"vin": vin, "online": True}
    if rows:
        latest.update(sample_ts=rows[-1][1], seq=rows[-1][2], values={}, status_ts=rows[-1][1])
    if dtc is not None:
        ts, codes = dtc
        batch.dtc_rows += [{"vin": vin, "ts": ts, "code": c, "kind": "stored", "mil": True,
                            "freeze_frame": None} for c in codes]  # fmt: skip
        latest.update(dtc_ts=ts, stored=codes, pending=[], status_ts=latest.get("status_ts", ts))
    batch.latest[vin] = latest
    store = Store(db_url)
    try:
        store.write(batch)
    finally:
        store.close()


def _alerts(db_url: str, vin: str) -> dict[str, tuple[int, set[str]]]:
    """mode -> (first_seen ms, reason keys) of the car's alerts."""
    with connect(db_url) as conn:
        rows = conn.execute(
            "SELECT failure_mode, (extract(epoch FROM first_seen) * 1000)::bigint, explanation"
            " FROM alerts WHERE vin = %s",
            (vin,),
        ).fetchall()
    return {mode: (first, set(why["reasons"])) for mode, first, why in rows}


def test_a_backlog_alerts_at_the_data_time_of_onset(db_url):
    vin = _vin(1)
    start = (now_ms() - DAY_MS) // DAY_MS * DAY_MS
    overheat_s = 3 * 3600 + 17 * 60 + 30  # the coolant passes 110 °C here ...
    misfire_ms = start + 4 * 3_600_000 + 7 * MINUTE_MS  # ... and a misfire code is stored here
    rows = _running(vin, start, 360, lambda s: 118.0 if overheat_s <= s < overheat_s + 60 else 90.0)
    score = scorer(db_url)
    try:
        _write(db_url, vin, rows, dtc=(misfire_ms, ["P0301"]))  # six hours, delivered at once
        score.step()
    finally:
        score.close()
    found = _alerts(db_url, vin)
    onset = start + overheat_s * 1000
    assert onset <= found["cooling"][0] < onset + STRETCH_MS, (found, onset)
    assert found["misfire"] == (misfire_ms, {"dtc:P0301"})


def test_telemetry_older_than_a_dtc_report_read_first_is_still_used(db_url):
    vin = _vin(2)
    start = now_ms() - 2 * 3_600_000
    rows = _running(vin, start, 60, lambda s: 115.0 if 1800 <= s < 1860 else 90.0)
    score = scorer(db_url)
    try:
        _write(db_url, vin, [], dtc=(start + 70 * MINUTE_MS, []))  # the DTC report comes first
        score.step()
        _write(db_url, vin, rows)
        stats = score.step()
        assert stats.rows == len(rows) and stats.late == 0
        assert score.cars[vin].snapshot(score.cars[vin].last_ts)["samples_1d"] == len(rows)
    finally:
        score.close()
    assert _alerts(db_url, vin)["cooling"][0] >= start + 1800 * 1000


def test_a_late_sample_is_folded_in_where_it_belongs(db_url):
    vin = _vin(3)
    hour = 3_600_000
    start = now_ms() - 9 * hour
    spike_s = 6 * 3600 + 100
    rows = _running(vin, start, 450, lambda s: 116.0 if spike_s <= s < spike_s + 30 else 90.0)
    late = [r for r in rows if spike_s - 10 <= (r[1] - start) / 1000 < spike_s + 100]
    score = scorer(db_url)
    try:
        for first_h, last_h in ((0, 2.5), (2.5, 5), (5, 7.5)):  # three rounds, as it is driven
            part = [r for r in rows if first_h * hour <= r[1] - start < last_h * hour]
            _write(db_url, vin, [r for r in part if r not in late])
            score.step()
        assert "cooling" not in _alerts(db_url, vin)
        _write(db_url, vin, late)  # arrives after newer samples
        stats = score.step()
        assert (stats.replayed, stats.late) == (1, 0)
        car = score.cars[vin]
        assert car.snapshot(car.last_ts)["samples_1d"] == len(rows)
        first = _alerts(db_url, vin)["cooling"][0]
        assert start + spike_s * 1000 <= first < start + spike_s * 1000 + STRETCH_MS
        too_late = _sample(vin, car.last_ts - 3 * REWIND_MS - 2500, 1, RPM=800.0)
        _write(db_url, vin, [too_late])
        assert score.step().late == 1, "beyond the horizon a late sample is counted"
        assert score.late_total == 1
    finally:
        score.close()


def _warming(peak: float, climb_s: float):
    """Coolant climbing from 20 °C to peak over climb_s, then holding there."""
    return lambda s: 20.0 + (peak - 20.0) * min(1.0, s / climb_s)


def test_a_warming_engine_is_not_a_thermostat_stuck_open(db_url):
    healthy, stuck = _vin(4), _vin(5)
    day = (now_ms() - DAY_MS) // DAY_MS * DAY_MS
    # Short winter commutes: 15 minutes, still warming (75 °C at the end) when the car stops.
    commutes = _running(healthy, day + 8 * 3_600_000, 15, _warming(75.0, 900))
    commutes += _running(healthy, day + 18 * 3_600_000, 15, _warming(75.0, 900))
    # A thermostat stuck open: the coolant levels off at 70 °C and stays there.
    plateau = _running(stuck, day + 8 * 3_600_000, 25, _warming(70.0, 900))
    score = scorer(db_url)
    try:
        _write(db_url, healthy, commutes)
        _write(db_url, stuck, plateau)
        score.step()
    finally:
        score.close()
    assert "cooling" not in _alerts(db_url, healthy)
    assert "rule:thermostat_running_cold" in _alerts(db_url, stuck)["cooling"][1]


def test_a_threshold_is_never_below_the_floor():
    # healthy hours scored a few in ten thousand, faulty ones a few in a thousand
    rng = np.random.default_rng(0)
    car = np.repeat(np.arange(20), 48)
    mode = np.where(car < 5, "battery", "")
    scores = np.where(mode == "", rng.uniform(0, 5e-4, len(car)), rng.uniform(1e-3, 5e-3, len(car)))
    w = Windows(np.zeros((len(car), 1)), car, np.tile(np.arange(48), 20), mode,
                np.full(len(car), np.nan))  # fmt: skip
    threshold = evaluation.choose_threshold(w, scores, allowed_false=0)
    assert threshold > 0.01, "above every healthy score is not enough when all are tiny"
    assert threshold >= evaluation.MIN_THRESHOLD
    assert evaluation.choose_threshold(w, scores + 0.5, allowed_false=0) > 0.5


def test_the_models_wait_for_a_baseline_of_days_and_the_count_is_kept(db_url):
    from diagnostics.detection import baseline as _base
    from diagnostics.features import BASELINE_READY_DAYS

    vin = _vin(6)
    start = (now_ms() - 3 * DAY_MS) // DAY_MS * DAY_MS
    score = scorer(db_url)
    days = []
    try:
        for day in range(BASELINE_READY_DAYS + 1):  # an hour's drive each day
            _write(db_url, vin, _running(vin, start + day * DAY_MS, 60))
            score.step()
            score.persist()
            with connect(db_url) as conn:
                kept = conn.execute(
                    "SELECT baseline_days FROM diagnostics_car_state WHERE vin = %s", (vin,)
                ).fetchone()
            days.append((kept[0], bool(_base(score.cars[vin]))))
    finally:
        score.close()
    assert days == [(0, False), (1, False), (2, True)]
