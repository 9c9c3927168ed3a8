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

from core.clock import DAY_MS
from diagnostics.lab import evaluation, predictor
from diagnostics.lab.fleetdata import Windows
from diagnostics.learned.inputs import (
    BASELINED,
    DELTA_NAMES,
    INPUT_NAMES,
    MODEL_LINE,
    judged,
)
from diagnostics.persistence import IMMEDIATE, Gate
from simulators.faults import KINDS

MODEL_KIND = "hgb-per-mode+isolation-forest"
BUNDLE_FORMAT = 1
CV_FOLDS = 3  # out-of-fold scores of the training cars choose the thresholds
ANOMALY_CALIBRATION_SHARE = 1 / 3  # healthy training cars kept out of the forest for its threshold
# The anomaly model alerts only as "abnormal, cause unknown": when it finds a car unusual and
# no failure mode explains it (none scores near its threshold), which books a diagnosis visit, not
# a guessed repair kit. Its threshold keeps to the false-alert budget on calibration cars.
# Bundles with anomaly_alerts false use it only as a watch signal in the other explanations.
ANOMALY_ALERTS = True
ANOMALY_ROW = evaluation.UNKNOWN_ROW
WATCH_ROW = evaluation.WATCH_ROW
# A fault's first stretch after onset looks healthy: rows before it has developed this far are
# left out of fitting (neither fault nor healthy), so they do not teach the classifier that
# normal-looking rows may be faulty. The evaluation still counts from the onset.
UNLABELLED_SEVERITY = 0.2
# Persistence gates tried on the out-of-fold scores: (k active hours of the last n).
GATES = (Gate(1, 1), Gate(2, 2), Gate(2, 3), Gate(3, 4), Gate(3, 6), Gate(4, 6))

Progress = Callable[[str], None]


def train(w: Windows, *, seed: int = 0, progress: Progress | None = None) -> dict:
    """Fit classifiers, time-to-failure regressors and the anomaly model; returns the bundle."""
    say = progress or (lambda _: None)
    labels = w.labels(KINDS)
    modes = tuple(m for m in KINDS if labels[m].sum() >= predictor.MIN_POSITIVES)
    labels = {m: labels[m] for m in modes}
    early = _undeveloped(w, UNLABELLED_SEVERITY)
    rows = {m: judged(w.X, m) & ~early for m in modes}
    oof = predictor.out_of_fold_proba(
        w.X, labels, w.car, folds=CV_FOLDS, seed=seed, rows=rows, progress=say
    )
    oof = {m: np.where(rows[m], p, np.nan) for m, p in oof.items()}
    calibration = {m: predictor.fit_calibration(oof[m], labels[m]) for m in modes}
    allowed = evaluation.allowed_false_alerts(w, len(modes))
    gate, tuned_by, thresholds, gate_search = choose_gate(w, oof, modes, allowed, say)
    classifiers = predictor.fit_classifiers(w.X, labels, seed=seed, rows=rows, progress=say)
    say("time to failure")
    ttf = predictor.fit_time_to_failure(w.X, labels, w.ttf_days, seed=seed, judged=rows)
    say("anomaly model")
    anomaly, medians, anomaly_threshold = _fit_anomaly(w, seed, allowed, tuned_by)
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
        "calibration": {m: k for m, k in calibration.items() if k is not None},
        "anomaly": anomaly,
        "anomaly_medians": medians,
        "anomaly_threshold": anomaly_threshold,
        "anomaly_alerts": ANOMALY_ALERTS,
        "weights": weights,
        "delta_scale": np.where(np.isfinite(scale) & (scale > 0), scale, 1.0),
        "gate": [gate.k, gate.n],
        "thresholds_gate": [tuned_by.k, tuned_by.n],
        "gate_search": gate_search,
        "clear_ratio": evaluation.CLEAR_RATIO,
    }


def _undeveloped(w: Windows, severity: float) -> np.ndarray:
    """Rows of a fault's first stretch, before it reaches this severity (0 at onset, 1 failed)."""
    develop = np.array([s.fault.failure_ms - s.fault.onset_ms if s.fault else 1 for s in w.cars])
    with np.errstate(invalid="ignore"):
        reached = 1 - w.ttf_days * DAY_MS / develop[w.car]
    return (w.mode != "") & (reached < severity)


def choose_gate(
    w: Windows, oof: dict[str, np.ndarray], modes: tuple[str, ...], allowed: int, say: Progress
) -> tuple[Gate, Gate, dict[str, float], list[dict]]:
    """The persistence gate, the gate its thresholds are set under, and those thresholds.

    A threshold is the lowest whose alerts stay within the false-alert budget on the
    out-of-fold scores, either one hour at a time (IMMEDIATE: above every healthy hour, a
    margin the alert gate then adds to) or under the alert gate itself (lower, so earlier,
    but right at the edge of the healthy cars seen). Each pair is cross-checked: thresholds
    chosen on two thirds of the training cars are applied to the other third. A missed faulty
    car and a false alert count the same; ties go to the longer median lead. Only the
    training fleet is used.
    """
    best, search = None, []
    fold = w.car % CV_FOLDS
    for gate in GATES:
        for tuned_by in dict.fromkeys((IMMEDIATE, gate)):
            say(f"persistence {gate.k} of {gate.n} hours, thresholds by {tuned_by.k}/{tuned_by.n}")
            caught = false = 0
            leads: list[float] = []
            for f in range(CV_FOLDS):
                tune, check = fold != f, fold == f
                tw, cw = _rows(w, tune), _rows(w, check)
                for m in modes:
                    t = evaluation.choose_threshold(tw, oof[m][tune], allowed, tuned_by)
                    r = evaluation.mode_report(cw, m, oof[m][check], t, gate)
                    caught, false = caught + r["caught"], false + r["false_alerts"]
                    leads += r["leads"]
            lead = float(np.median(leads)) if leads else 0.0
            search.append(
                {"k": gate.k, "n": gate.n, "thresholds_k": tuned_by.k, "thresholds_n": tuned_by.n,
                 "caught": caught, "false": false, "lead_days": lead}
            )  # fmt: skip
            rank = (caught - false, lead)
            if best is None or rank > best[0]:
                best = (rank, gate, tuned_by)
    _, gate, tuned_by = best
    thresholds = {m: evaluation.choose_threshold(w, oof[m], allowed, tuned_by) for m in modes}
    return gate, tuned_by, thresholds, search


def _rows(w: Windows, rows: np.ndarray) -> Windows:
    return Windows(w.X[rows], w.car[rows], w.ts_ms[rows], w.mode[rows], w.ttf_days[rows], w.cars)


def _fit_anomaly(w: Windows, seed: int, allowed: int, gate: Gate) -> tuple[dict, np.ndarray, dict]:
    healthy_cars = sorted({s.index for s in w.cars if s.fault is None} & set(w.car.tolist()))
    rng = np.random.default_rng(seed)
    held = set(
        rng.choice(
            healthy_cars, size=max(1, int(len(healthy_cars) * ANOMALY_CALIBRATION_SHARE)),
            replace=False,
        ).tolist()
    ) if len(healthy_cars) > 1 else set()  # fmt: skip
    fit_rows = (w.mode == "") & ~np.isin(w.car, sorted(held)) & judged(w.X, None)
    medians = np.nanmedian(w.X[fit_rows], axis=0)
    lines = np.full(int(fit_rows.sum()), MODEL_LINE)
    forests = predictor.fit_anomaly(w.X[fit_rows], lines, seed=seed)
    calibration = w.subset(held) if held else w
    thresholds = {}
    for line, forest in forests.items():
        scores = anomaly_scores(forest, calibration.X, medians)
        thresholds[line] = evaluation.choose_threshold(calibration, scores, allowed, gate)
    return forests, medians, thresholds


def bundle_gate(bundle: dict) -> Gate:
    """The persistence gate a bundle was tuned with (bundles from before gates: none)."""
    k, n = bundle.get("gate", (1, 1))
    return Gate(int(k), int(n))


def predict(bundle: dict, X: np.ndarray) -> dict[str, np.ndarray]:
    """Per mode, each row's failure probability (NaN where the row holds no evidence for it)."""
    proba = predictor.predict_proba(bundle["classifiers"], X)
    return {m: np.where(judged(X, m), p, np.nan) for m, p in proba.items()}


def anomaly_scores(forest, X: np.ndarray, medians: np.ndarray) -> np.ndarray:
    """The anomaly score of each row (NaN where the car did not run in the day window)."""
    return np.where(judged(X, None), predictor.anomaly_scores(forest, X, medians), np.nan)


def evaluate(bundle: dict, w: Windows, *, seed: int) -> dict:
    """The per-mode report of a bundle on held-out windows (thresholds are the bundle's own)."""
    proba = predict(bundle, w.X)
    gate = bundle_gate(bundle)
    modes = {}
    opened = {}
    for mode in bundle["modes"]:
        threshold = bundle["thresholds"][mode]
        modes[mode] = evaluation.mode_report(w, mode, proba[mode], threshold, gate)
        opened[mode] = evaluation.starts(w, proba[mode], threshold, gate)
    forest = bundle["anomaly"][MODEL_LINE]
    scores = anomaly_scores(forest, w.X, bundle["anomaly_medians"])
    threshold = bundle["anomaly_threshold"][MODEL_LINE]
    alerts = bundle.get("anomaly_alerts", True)
    if alerts:  # as the detector: it holds while a failure mode's score is near its threshold
        ratio = float(bundle["clear_ratio"])
        explained = np.zeros(len(scores), dtype=bool)
        for mode in bundle["modes"]:
            with np.errstate(invalid="ignore"):
                explained |= proba[mode] >= ratio * bundle["thresholds"][mode]  # NaN: no
        scores = np.where(explained, np.nan, scores)
        unknown = evaluation.mode_report(w, None, scores, threshold, gate)
    else:  # a watch signal flags single hours, ungated
        unknown = evaluation.mode_report(w, None, scores, threshold, IMMEDIATE)
    summary = evaluation.summarise(modes, also_false=unknown if alerts else None)
    errors = []
    for mode, model in bundle["ttf"].items():
        rows = w.mode == mode
        if rows.any():
            errors.append(np.abs(model.predict(w.X[rows]) - w.ttf_days[rows]))
    report = {
        "seed": seed,
        "cars": len({int(c) for c in w.car}),
        "healthy_car_days": evaluation.healthy_car_days(w),
        "modes": {**modes, ANOMALY_ROW if alerts else WATCH_ROW: unknown},
        "summary": summary,
        "confusion": evaluation.confusion(w, opened),
        "calibration": {
            mode: evaluation.calibration_report(
                w, mode, proba[mode], bundle.get("calibration", {}).get(mode)
            )
            for mode in bundle["modes"]
        },
    }
    report["notes"] = [f"persistence: an alert needs {gate.k} of the car's last {gate.n} hours"]
    report["notes"].append(
        f"{ANOMALY_ROW}: abnormal with no failure mode to explain it; caught counts an alert "
        "opened in any fault window, and its false alerts are in the summary"
        if alerts
        else f"{WATCH_ROW}: raises no alert; it adds to the failure modes' explanations"
    )
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
