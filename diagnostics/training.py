"""Training the learned layer: fit on a training fleet, choose thresholds on held-out cars of
the same seed, evaluate on a fleet of another seed, and store the model in the registry.

The stored bundle holds only scikit-learn estimators, numpy arrays and plain values, so skops
can load it without trusting arbitrary code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from diagnostics import evaluation
from diagnostics.models import predictor
from diagnostics.models.fleetdata import MODEL_LINE, Windows
from diagnostics.models.inputs import BASELINED, DELTA_NAMES, INPUT_NAMES
from simulators.faults import KINDS

MODEL_NAME = "failure_predictor"
MODEL_KIND = "hgb-per-mode+isolation-forest"
BUNDLE_FORMAT = 1
CV_FOLDS = 3  # out-of-fold scores of the training cars choose the thresholds
ANOMALY_CALIBRATION_SHARE = 1 / 3  # healthy training cars kept out of the forest for its threshold

Progress = Callable[[str], None]


def train(w: Windows, *, seed: int = 0, progress: Progress | None = None) -> dict:
    """Fit classifiers, time-to-failure regressors and the anomaly model; returns the bundle."""
    say = progress or (lambda _: None)
    labels = w.labels(KINDS)
    modes = tuple(m for m in KINDS if labels[m].sum() >= predictor.MIN_POSITIVES)
    labels = {m: labels[m] for m in modes}
    oof = predictor.out_of_fold_proba(w.X, labels, w.car, folds=CV_FOLDS, seed=seed, progress=say)
    allowed = evaluation.allowed_false_alerts(w, len(modes))
    thresholds = {}
    for mode in modes:
        say(f"threshold {mode}")
        smoothed = evaluation.smooth(oof[mode], w.car)
        thresholds[mode] = evaluation.choose_threshold(w, smoothed, allowed)
    classifiers = predictor.fit_classifiers(w.X, labels, seed=seed, progress=say)
    say("time to failure")
    ttf = predictor.fit_time_to_failure(w.X, labels, w.ttf_days, seed=seed)
    say("anomaly model")
    anomaly, medians, anomaly_threshold = _fit_anomaly(w, seed, allowed)
    say("explanation weights")
    weights = predictor.feature_weights(classifiers, w.X, seed=seed)
    healthy = w.X[w.mode == ""]
    delta_idx = [INPUT_NAMES.index(n) for n in DELTA_NAMES]
    scale = np.nanstd(healthy[:, delta_idx], axis=0) if len(healthy) else np.ones(len(delta_idx))
    return {
        "format": BUNDLE_FORMAT,
        "input_names": list(INPUT_NAMES),
        "baselined": list(BASELINED),
        "modes": list(modes),
        "classifiers": classifiers,
        "ttf": ttf,
        "thresholds": thresholds,
        "anomaly": anomaly,
        "anomaly_medians": medians,
        "anomaly_threshold": anomaly_threshold,
        "weights": weights,
        "delta_scale": np.where(np.isfinite(scale) & (scale > 0), scale, 1.0),
        "persist_hours": evaluation.PERSIST_HOURS,
        "clear_ratio": evaluation.CLEAR_RATIO,
    }


def _fit_anomaly(w: Windows, seed: int, allowed: int) -> tuple[dict, np.ndarray, dict]:
    healthy_cars = sorted({s.index for s in w.cars if s.fault is None} & set(w.car.tolist()))
    rng = np.random.default_rng(seed)
    held = set(
        rng.choice(
            healthy_cars, size=max(1, int(len(healthy_cars) * ANOMALY_CALIBRATION_SHARE)),
            replace=False,
        ).tolist()
    ) if len(healthy_cars) > 1 else set()  # fmt: skip
    fit_rows = (w.mode == "") & ~np.isin(w.car, sorted(held))
    medians = np.nanmedian(w.X[fit_rows], axis=0)
    lines = np.full(int(fit_rows.sum()), MODEL_LINE)
    forests = predictor.fit_anomaly(w.X[fit_rows], lines, seed=seed)
    calibration = w.subset(held) if held else w
    thresholds = {}
    for line, forest in forests.items():
        scores = predictor.anomaly_scores(forest, calibration.X, medians)
        smoothed = evaluation.smooth(scores, calibration.car)
        thresholds[line] = evaluation.choose_threshold(calibration, smoothed, allowed)
    return forests, medians, thresholds


def predict(bundle: dict, X: np.ndarray) -> dict[str, np.ndarray]:
    """Per mode, each row's failure probability."""
    return predictor.predict_proba(bundle["classifiers"], X)


def evaluate(bundle: dict, w: Windows, *, seed: int) -> dict:
    """The per-mode report of a bundle on held-out windows (thresholds are the bundle's own)."""
    proba = predict(bundle, w.X)
    modes = {}
    for mode in bundle["modes"]:
        smoothed = evaluation.smooth(proba[mode], w.car)
        modes[mode] = evaluation.mode_report(w, mode, smoothed, bundle["thresholds"][mode])
    summary = evaluation.summarise(modes)
    forest = bundle["anomaly"][MODEL_LINE]
    scores = predictor.anomaly_scores(forest, w.X, bundle["anomaly_medians"])
    smoothed = evaluation.smooth(scores, w.car)
    anomaly = evaluation.mode_report(w, None, smoothed, bundle["anomaly_threshold"][MODEL_LINE])
    errors = []
    for mode, model in bundle["ttf"].items():
        rows = w.mode == mode
        if rows.any():
            errors.append(np.abs(model.predict(w.X[rows]) - w.ttf_days[rows]))
    report = {
        "seed": seed,
        "cars": len({int(c) for c in w.car}),
        "healthy_car_days": evaluation.healthy_car_days(w),
        "modes": {**modes, "anomaly (any)": anomaly},
        "summary": summary,
    }
    if errors:
        report["ttf_mae_days"] = float(np.median(np.concatenate(errors)))
    return report


def jsonable(report: dict) -> dict:
    """The report without per-car lists and with NaN as None, for a jsonb column."""

    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k != "leads"}
        if isinstance(value, float | np.floating):
            return float(value) if math.isfinite(value) else None
        return value

    return clean(report)


def concat(a: Windows, b: Windows) -> Windows:
    """Both sets of windows, with b's cars renumbered after a's."""
    offset = len(a.cars)
    cars = a.cars + [replace(s, index=s.index + offset) for s in b.cars]
    return Windows(
        np.vstack([a.X, b.X]), np.concatenate([a.car, b.car + offset]),
        np.concatenate([a.ts_ms, b.ts_ms]), np.concatenate([a.mode, b.mode]),
        np.concatenate([a.ttf_days, b.ttf_days]), cars,
    )  # fmt: skip
