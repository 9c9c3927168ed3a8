"""The learned layer end to end on small simulated fleets: train on one seed, evaluate on
another, store in the registry, and score cars online through the model detector."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.clock import DAY_MS
from core.db import connect
from diagnostics import persistence, registry
from diagnostics.explain import render_reason
from diagnostics.features import FEATURE_NAMES, CarFeatures
from diagnostics.lab import evaluation, fleetdata, training
from diagnostics.lab.simfeed import feed
from diagnostics.learned.calibration import calibrate
from diagnostics.learned.inputs import MODEL_NAME, car_baseline
from diagnostics.scoring import STATUSES
from simulators.car import Car
from simulators.faults import Fault

TRAIN_SEED, TEST_SEED = 21, 22
HOUR_MS = DAY_MS // 24


@pytest.fixture(scope="module")
def trained():
    train = fleetdata.generate(fleetdata.plan_fleet(36, TRAIN_SEED), workers=2)
    bundle = training.train(train, seed=TRAIN_SEED)
    held_out = fleetdata.generate(fleetdata.plan_fleet(12, TEST_SEED), workers=2)
    return bundle, held_out


def test_labels_follow_the_injected_faults():
    specs = fleetdata.plan_fleet(10, 3)
    assert len({s.vin for s in specs}) == 10
    faulty = [s for s in specs if s.fault]
    assert len(faulty) == 6 and len({s.fault.kind for s in faulty}) == 6
    for s in faulty:
        assert s.start_ms + 6 * DAY_MS <= s.fault.onset_ms < s.fault.failure_ms == s.end_ms
    assert fleetdata.plan_fleet(10, 3) == specs  # a seed is a whole fleet


def test_held_out_fleet_is_caught_before_failure(trained):
    bundle, held_out = trained
    report = training.evaluate(bundle, held_out, seed=TEST_SEED)
    summary = report["summary"]
    table = "\n".join(evaluation.format_report(report))
    assert summary["recall"] >= 0.5, table
    assert summary["precision"] >= 0.5, table
    assert summary["lead_days"] >= 1.5, table
    # Few false alerts: most cars that stay healthy never raise a failure alert.
    proba = training.predict(bundle, held_out.X)
    gate = training.bundle_gate(bundle)
    assert gate in training.GATES, "the persistence gate is one of those tried out of fold"
    falsely_alerted = set()
    for mode in bundle["modes"]:
        status = evaluation.statuses(held_out, proba[mode], bundle["thresholds"][mode], gate)
        starts = persistence.alert_starts(status, held_out.car)
        falsely_alerted |= {int(held_out.car[i]) for i in starts if held_out.mode[i] == ""}
    healthy_cars = {s.index for s in held_out.cars if s.fault is None}
    assert len(healthy_cars) == 5
    assert len(falsely_alerted) <= 2, table
    lines = evaluation.format_report(report)
    assert lines[-1].startswith("recall=") and "false_per_1000=" in lines[-1]
    assert set(training.jsonable(report)["modes"]) == {*bundle["modes"], training.ANOMALY_ROW}
    unknown = report["modes"][training.ANOMALY_ROW]
    assert summary["false_per_1000"] >= unknown["false_per_1000"], "its false alerts count"


def test_calibrated_probabilities_match_how_often_the_fault_is_there(trained):
    bundle, held_out = trained
    report = training.evaluate(bundle, held_out, seed=TEST_SEED)
    for mode in bundle["modes"]:
        knots = bundle["calibration"][mode]
        assert (np.diff(knots[0]) >= 0).all() and (np.diff(knots[1]) >= 0).all(), mode
        assert knots[1].min() >= 0 and knots[1].max() <= 1, mode
    table = "\n".join(evaluation.calibration_lines(report["calibration"]))
    pooled = {}
    for which in ("raw", "calibrated"):
        judged = [(r[which]["ece"], r["rows"]) for r in report["calibration"].values() if r["rows"]]
        pooled[which] = sum(e * n for e, n in judged) / sum(n for _, n in judged)
    # On cars it never saw, calibrated probabilities are near the fault frequency, and no
    # further from it than the raw scores (which boosting already keeps close on this fleet).
    assert pooled["calibrated"] <= 0.1, table
    assert pooled["calibrated"] <= pooled["raw"] + 0.01, table
    assert training.jsonable(report)["calibration"].keys() == set(bundle["modes"])


def _car_features(car: Car, until_ms: int) -> CarFeatures:
    features = CarFeatures()
    for sample in feed(car, until_ms):
        features.update(sample.ts_ms, sample.values)
    return features


def test_detector_from_the_registry_explains_a_failing_battery(trained, db_url):
    bundle, _ = trained
    with connect(db_url) as conn:
        registry.save_model(
            conn, name=MODEL_NAME, kind=training.MODEL_KIND, bundle=bundle,
            params={}, metrics={}, training_data={"test": True},
        )  # fmt: skip
        conn.commit()
        (detector,) = registry.load_detectors(conn)
    start = fleetdata.FLEET_START_MS
    onset, failure = start + 8 * DAY_MS, start + 13 * DAY_MS
    at = failure - DAY_MS // 2
    failing = _car_features(
        Car(start_ms=start, seed=77, faults=[Fault("battery", onset, failure)]), at
    )
    findings = detector.detect("LFAIL", failing.snapshot(at), car_baseline(failing))
    assert all(f.status in STATUSES for f in findings)
    battery = next(f for f in findings if f.mode == "battery")
    assert battery.status == "active", findings
    assert battery.key == "model:failure_predictor:battery"
    why = battery.explanation
    assert why["kind"] == "model" and why["version"] == 1 and why["fault"] == "battery"
    # The alert opens on the raw score; it shows the calibrated probability.
    assert why["score"] >= bundle["thresholds"]["battery"]
    calibrated = calibrate(bundle["calibration"]["battery"], why["score"])
    assert battery.probability == pytest.approx(calibrated, abs=1e-3)
    assert why["probability"] == pytest.approx(calibrated, abs=1e-3)
    assert 0 <= why["time_to_failure_days"] < 4
    assert why["signals"] and all(math.isfinite(s["z"]) for s in why["signals"])
    # The strongest signal is a voltage, well below this car's own baseline.
    top = why["signals"][0]
    assert "_v_" in top["feature"] and top["z"] < -2, why["signals"]

    healthy = _car_features(Car(start_ms=start, seed=77), at)
    found = detector.detect("LHEALTHY", healthy.snapshot(at), car_baseline(healthy))
    assert [f for f in found if f.status == "active" and f.mode != "anomaly"] == []


def test_detector_survives_unknown_and_missing_values(trained):
    bundle, _ = trained
    from diagnostics.learned.detector import ModelDetector

    detector = ModelDetector(bundle, model="m", version=1)
    nan = dict.fromkeys(FEATURE_NAMES, math.nan)
    assert detector.detect("LNEW", nan, {}) == []  # no baseline yet: not scored
    findings = detector.detect("LODD", {"rest_v_mean_1d": 3.0}, {"rest_v_mean_1d": (12.6, 0.0)})
    assert findings and all(f.status in STATUSES for f in findings)
    # A car that has not run in the day window shows nothing of its engine: no verdict either way
    engine = {f.mode: f.status for f in findings if f.mode not in ("battery", "anomaly")}
    assert engine and set(engine.values()) == {"hold"}, engine
    # the battery's finding speaks for this car, so the anomaly does not alert on its own
    assert next(f for f in findings if f.mode == "anomaly").status != "active"


def test_the_anomaly_alerts_cause_unknown_only_when_no_failure_mode_explains_it(trained):
    bundle, _ = trained
    from diagnostics.learned.detector import ModelDetector

    start = fleetdata.FLEET_START_MS
    at = start + 11 * DAY_MS + 12 * HOUR_MS  # a Monday evening, after the drive home
    car = _car_features(Car(start_ms=start, seed=78, profile="commuter"), at)
    snapshot, baseline = car.snapshot(at), car_baseline(car)
    # every hour is unusual to the anomaly model, and no failure mode is anywhere near its own
    unusual = bundle | {"anomaly_threshold": dict.fromkeys(bundle["anomaly_threshold"], -1.0)}
    quiet = unusual | {"thresholds": dict.fromkeys(bundle["thresholds"], 1e9)}
    found = {
        f.mode: f
        for f in ModelDetector(quiet, model="m", version=1).detect("V", snapshot, baseline)
    }
    judged = {
        f.status for f in found.values() if f.mode != "anomaly" and not math.isnan(f.probability)
    }
    assert judged == {"healthy"}, found
    anomaly = found["anomaly"]
    assert anomaly.status == "active" and anomaly.explanation["cause"] == "unknown"
    assert anomaly.explanation["signals"], "it names the signals that are off this car's normal"
    text = render_reason(anomaly.key, anomaly.explanation, "en")
    assert text.startswith("abnormal, cause unknown, a diagnosis is needed"), text
    assert "原因未明" in render_reason(anomaly.key, anomaly.explanation, "zh-CN")

    # one failure mode's finding is not healthy: that mode speaks, the anomaly holds
    battery = quiet | {"thresholds": quiet["thresholds"] | {"battery": 1e-9}}
    found = {
        f.mode: f
        for f in ModelDetector(battery, model="m", version=1).detect("V", snapshot, baseline)
    }
    assert found["battery"].status == "active" and found["anomaly"].status == "hold"

    # a bundle that keeps the anomaly as a watch signal never alerts on it
    watch = quiet | {"anomaly_alerts": False}
    found = {
        f.mode: f
        for f in ModelDetector(watch, model="m", version=1).detect("V", snapshot, baseline)
    }
    assert found["anomaly"].status == "healthy"


def test_the_anomaly_watch_signal_is_told_in_the_explanation():
    reason = {
        "kind": "model", "model": "failure_predictor", "probability": 0.9, "signals": [],
        "watch": {"score": 0.61, "signals": [{"feature": "ltft_mean_1d", "value": 9.0, "z": 4.2}]},
    }  # fmt: skip
    assert "anomaly model also finds unusual: ltft_mean_1d=9.00 (+4.2σ)" in render_reason(
        "model:failure_predictor:fuel_air", reason, "en"
    )
    assert "异常模型亦提示" in render_reason("model:failure_predictor:fuel_air", reason, "zh-CN")
