"""Persistence: a gated finding alerts only once it holds for k of the car's last n hours, and
the service's alert path opens its alert at the hour the evaluation's replay says it would."""

from __future__ import annotations

import numpy as np

from core.clock import DAY_MS
from core.db import connect
from core.wire import now_ms
from diagnostics.lab import evaluation
from diagnostics.lab.fleetdata import Windows
from diagnostics.persistence import HOUR_MS, Gate, alert_starts, hours_crossed, raw_status
from diagnostics.scoring import Finding
from ingest.store import Store
from simulators.car import Car
from tests.diag_support import CarWriter, drive, scorer

GATE = Gate(2, 3)
THRESHOLD = 0.5


def test_gate_needs_k_of_the_last_n_hours():
    history = ""
    seen = []
    for status in ("active", "healthy", "healthy", "active", "hold", "active", "healthy"):
        history = GATE.push(history, status)
        seen.append(GATE.status(history))
    assert len(history) == GATE.n
    # one active hour alone never alerts; two within three hours do, until they age out
    assert seen == ["hold", "healthy", "healthy", "hold", "hold", "active", "healthy"]
    assert raw_status(0.5, THRESHOLD, 0.7) == "active"
    assert raw_status(0.4, THRESHOLD, 0.7) == "hold"
    assert raw_status(0.3, THRESHOLD, 0.7) == "healthy"


def test_hours_crossed_are_the_newest_boundaries_only():
    assert hours_crossed(None, 5 * HOUR_MS, 3) == []
    assert hours_crossed(HOUR_MS + 1, 2 * HOUR_MS - 1, 3) == []
    assert hours_crossed(HOUR_MS + 1, 2 * HOUR_MS, 3) == [2 * HOUR_MS]
    # a car silent for days: only the hours the gate can still see are scored
    assert hours_crossed(0, 10 * HOUR_MS + 5, 3) == [8 * HOUR_MS, 9 * HOUR_MS, 10 * HOUR_MS]


class ScheduledDetector:
    """A stand-in model whose score at its n-th hourly call is scores[n] (no fitting needed)."""

    name = "model:scheduled"
    gate = GATE

    def __init__(self, scores: list[float]):
        self.scores = scores
        self.calls = 0

    def detect(self, vin, features, baseline) -> list[Finding]:
        """One finding per hour of car time, its status from the schedule."""
        score = self.scores[self.calls] if self.calls < len(self.scores) else 0.0
        self.calls += 1
        status = raw_status(score, THRESHOLD, evaluation.CLEAR_RATIO)
        why = {"kind": "model", "model": "scheduled", "probability": score}
        return [Finding("powertrain", "model:scheduled", status, "minor", score, why)]


def test_service_alerts_at_the_hour_the_evaluation_replay_does(db_url):
    # one lone spike (hour 3), then two active hours within three (hours 10 and 12)
    scores = [0.0] * 30
    scores[3] = scores[10] = scores[12] = 0.9
    scores[11] = 0.4
    w = Windows(np.zeros((30, 1)), np.zeros(30, dtype=int), np.arange(30), np.full(30, ""),
                np.full(30, np.nan))  # fmt: skip
    expected = alert_starts(evaluation.statuses(w, np.asarray(scores), THRESHOLD, GATE), w.car)
    assert expected.tolist() == [12]

    # A fixed weekday and time of day (a Monday, 08:30 in Shanghai): the car's trips, and so
    # the hours that get scored, depend on both.
    day = now_ms() // DAY_MS - 14
    day -= (day + 3) % 7  # epoch day 0 was a Thursday
    start = day * DAY_MS + 30 * 60_000
    car = Car(start_ms=start, seed=3, profile="commuter")
    store, score = Store(db_url), scorer(db_url)
    detector = ScheduledDetector(scores)
    score.detection.hourly, score.detection.keep_hours = [detector], GATE.n
    try:
        drive(store, score, [CarWriter(car)], start + DAY_MS + 7 * HOUR_MS)
    finally:
        score.close()
        store.close()
    with connect(db_url) as conn:
        rows = conn.execute(
            "SELECT state, (extract(epoch FROM first_seen) * 1000)::bigint, explanation"
            " FROM alerts WHERE vin = %s AND failure_mode = 'powertrain'",
            (car.vin,),
        ).fetchall()
    assert detector.calls >= len(scores), "every hour of the car's time was scored"
    first_hour = (start // HOUR_MS + 1) * HOUR_MS
    assert [(r[0], r[1]) for r in rows] == [("cleared", first_hour + 12 * HOUR_MS)], rows
    assert rows[0][2]["reasons"]["model:scheduled"]["probability"] == 0.9
