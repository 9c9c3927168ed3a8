"""How the fleet evaluation counts alerts: only an alert's opening counts, so an alert opened
before a fault's onset is a false alert and, while it stays open, hides the fault (a miss)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.clock import DAY_MS
from diagnostics.lab import evaluation
from diagnostics.lab.fleetdata import CarSpec, Windows
from simulators.faults import Fault

ON, OFF = 0.9, 0.0  # active and healthy at THRESHOLD
THRESHOLD = 0.5
HOUR_MS = DAY_MS // 24
DAYS = 15  # each car runs 15 days, hourly rows
ONSET_DAY, FAILURE_DAY = 10, 15


def _fleet(kinds: list[str | None]) -> Windows:
    """One car per kind (None: healthy), faults from day 10 to failure at day 15."""
    hours = DAYS * 24
    cars, rows_car, rows_ts, rows_mode = [], [], [], []
    for i, kind in enumerate(kinds):
        fault = Fault(kind, ONSET_DAY * DAY_MS, FAILURE_DAY * DAY_MS) if kind else None
        cars.append(CarSpec(i, i, f"V{i}", "p", "l", 0, DAYS * DAY_MS, fault))
        for h in range(hours):
            ts = h * HOUR_MS
            rows_car.append(i)
            rows_ts.append(ts)
            rows_mode.append(kind if kind and ts >= fault.onset_ms else "")
    n = len(rows_car)
    return Windows(
        np.zeros((n, 1)), np.array(rows_car), np.array(rows_ts, dtype=np.int64),
        np.array(rows_mode), np.full(n, math.nan), cars,
    )  # fmt: skip


def _scores(w: Windows, active: dict[int, list[tuple[float, float]]]) -> np.ndarray:
    """OFF everywhere but ON for each car in its [from_day, to_day) spans."""
    s = np.full(len(w.car), OFF)
    for car, spans in active.items():
        for a, b in spans:
            s[(w.car == car) & (w.ts_ms >= a * DAY_MS) & (w.ts_ms < b * DAY_MS)] = ON
    return s


def _report(w, mode, active):
    return evaluation.mode_report(w, mode, _scores(w, active), THRESHOLD)


def test_alert_opened_before_onset_is_false_and_masks_the_fault():
    w = _fleet(["battery"])
    r = _report(w, "battery", {0: [(ONSET_DAY - 2, DAYS)]})  # open through the whole window
    assert r["false_alerts"] == 1
    assert r["caught"] == 0 and r["recall"] == 0.0 and r["leads"] == []
    assert r["precision"] == 0.0 and math.isnan(r["lead_days"])
    assert r["false_per_1000"] == pytest.approx(1000 / ONSET_DAY)


def test_alert_opening_after_onset_is_a_catch_with_lead_to_failure():
    w = _fleet(["battery"])
    r = _report(w, "battery", {0: [(ONSET_DAY + 1, DAYS)]})
    assert r["caught"] == 1 and r["recall"] == 1.0 and r["precision"] == 1.0
    assert r["false_alerts"] == 0
    assert r["leads"] == [pytest.approx(FAILURE_DAY - (ONSET_DAY + 1))]


def test_a_false_alert_that_closes_lets_a_new_one_catch_the_fault():
    w = _fleet(["battery"])
    r = _report(w, "battery", {0: [(ONSET_DAY - 2, ONSET_DAY + 1), (ONSET_DAY + 2, DAYS)]})
    assert r["false_alerts"] == 1 and r["caught"] == 1
    assert r["lead_days"] == pytest.approx(FAILURE_DAY - (ONSET_DAY + 2))


def test_wrong_mode_alert_in_the_window_is_not_a_catch():
    w = _fleet(["battery", "thermostat"])
    # The battery model alerts on the thermostat car inside its fault window.
    r = _report(w, "battery", {1: [(ONSET_DAY + 1, DAYS)]})
    assert r["cars"] == 1 and r["caught"] == 0 and r["recall"] == 0.0
    assert r["wrong_mode_alerts"] == 1 and r["false_alerts"] == 0
    assert r["alerted_cars"] == 1 and r["precision"] == 0.0  # it counts against precision


def test_figures_are_computed_per_mode():
    w = _fleet(["battery", "thermostat", None, None])
    per_mode = {
        # battery: caught with a 3-day lead, plus one false alert on a healthy car
        "battery": _report(w, "battery", {0: [(12, DAYS)], 2: [(3, 4)]}),
        # thermostat: only an alert opened before onset, still open: a false alert and a miss
        "thermostat": _report(w, "thermostat", {1: [(9, DAYS)]}),
    }
    days = 2 * DAYS + 2 * ONSET_DAY  # healthy car-days: two healthy cars, two pre-onset
    b, t = per_mode["battery"], per_mode["thermostat"]
    assert b["healthy_car_days"] == pytest.approx(days)
    assert (b["recall"], b["precision"], b["lead_days"]) == (1.0, 0.5, pytest.approx(3.0))
    assert b["false_per_1000"] == pytest.approx(1000 / days)
    assert (t["recall"], t["precision"], t["caught"], t["false_alerts"]) == (0.0, 0.0, 0, 1)
    assert math.isnan(t["lead_days"]) and t["false_per_1000"] == pytest.approx(1000 / days)
    summary = evaluation.summarise(per_mode)
    assert summary["recall"] == 0.5 and summary["precision"] == pytest.approx(1 / 3)
    assert summary["lead_days"] == pytest.approx(3.0)
    assert summary["false_per_1000"] == pytest.approx(2000 / days)
    report = {"cars": 4, "seed": 0, "healthy_car_days": days, "modes": per_mode}
    lines = evaluation.format_report({**report, "summary": summary})
    assert lines[-1] == evaluation.summary_line(summary)
    assert lines[-1].startswith("recall=0.50 precision=0.33 lead_days=3.0 false_per_1000=")
    battery = next(x for x in lines if x.startswith("battery"))
    assert battery.split()[1:5] == ["1", "1", "1.00", "0.50"]


def _opened(w, active):
    return evaluation.starts(w, _scores(w, active), THRESHOLD)


def test_the_confusion_names_each_true_mode_with_the_modes_alerted_in_its_window():
    w = _fleet(["thermostat", "coolant_leak", "battery", None])
    opened = {
        # both cooling kinds raise one cooling alert; the battery model errs on the thermostat car
        "thermostat": _opened(w, {0: [(11, DAYS)], 1: [(12, DAYS)]}),
        "coolant_leak": _opened(w, {1: [(11, DAYS)]}),
        "battery": _opened(w, {0: [(13, DAYS)], 2: [(11, DAYS)], 3: [(2, 3)]}),
    }
    matrix = evaluation.confusion(w, opened)
    # one cooling alert per car (car 1's two kinds are one alert); healthy time is not counted
    assert matrix == {"battery": {"battery": 1}, "cooling": {"cooling": 2, "battery": 1}}
    text = evaluation.confusion_lines(matrix)
    assert "  cooling    right mode 2; wrong mode: battery 1" in text


def test_folds_pool_by_summing_counts_not_averaging_rates():
    a = _fleet(["battery", None])
    b = _fleet(["battery", "battery", None, None])
    seen = {"battery": {"battery": 1}}
    fold_a = {
        "seed": 2,
        "cars": 2,
        "healthy_car_days": 25.0,
        "confusion": seen,
        "modes": {"battery": _report(a, "battery", {0: [(12, DAYS)], 1: [(1, 2)]})},
    }
    fold_b = {"seed": 2, "cars": 4, "healthy_car_days": 50.0, "confusion": seen,
              "modes": {"battery": _report(b, "battery", {1: [(14, DAYS)]})}}  # fmt: skip
    pooled = evaluation.pool([fold_a, fold_b])
    r = pooled["modes"]["battery"]
    assert (r["cars"], r["caught"], r["false_alerts"]) == (3, 2, 1)
    assert r["recall"] == pytest.approx(2 / 3) and r["precision"] == pytest.approx(2 / 3)
    assert r["lead_days"] == pytest.approx(2.0)  # the median of leads 3 and 1
    assert r["false_per_1000"] == pytest.approx(1000 / (3 * DAYS + 3 * ONSET_DAY))
    assert pooled["summary"]["recall"] == pytest.approx(2 / 3)
    assert pooled["confusion"] == {"battery": {"battery": 2}}
    assert pooled["cars"] == 6
    assert (
        evaluation.format_report(pooled)[0] == "held-out fleet: 6 cars, seed 2, 75 healthy car-days"
    )
