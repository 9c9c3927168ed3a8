"""The learned layer as a scoring Detector (see diagnostics.scoring): per failure mode, the
probability, time to failure and the signals that drove it, plus the anomaly model's verdict.

It carries the persistence gate its bundle was tuned with, so the scoring service scores it
once per hour of car time and alerts only on findings that persist (diagnostics.persistence).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
from threadpoolctl import threadpool_limits

from diagnostics.learned.boosting import RowPredictor
from diagnostics.learned.calibration import calibrate
from diagnostics.learned.forest import row_score
from diagnostics.learned.inputs import (
    INPUT_NAMES,
    MODEL_LINE,
    baseline_key,
    fill_missing,
    judged,
    model_row,
)
from diagnostics.modes import FAULT_KIND_MODES
from diagnostics.persistence import Gate, raw_status
from diagnostics.scoring import Finding

MAX_SIGNALS = 4  # signals listed per finding, strongest first
Z_FLOOR_SHARE = 0.25  # a car's spread is at least this share of the fleet's, so z stays sane
URGENT_DAYS = 2.0  # a failure expected sooner than this makes the alert major, not minor


def explain(
    bundle: dict,
    snapshot: Mapping[str, float],
    baseline: Mapping[str, tuple[float, float]],
    kind: str | None,
) -> list[dict]:
    """The features behind a finding: value, the car's own baseline, and z against it.

    For a failure mode, features are ranked by |z| times the mode's weight for that feature
    (how much it moves the model); for the anomaly model (kind None), by |z| alone.
    """
    weights = bundle["weights"].get(kind) if kind else None
    out = []
    for i, name in enumerate(bundle["baselined"]):
        known = baseline.get(baseline_key(name))
        value = snapshot.get(name, math.nan)
        if not known or not math.isfinite(value) or not math.isfinite(known[0]):
            continue
        spread = max(known[1], Z_FLOOR_SHARE * float(bundle["delta_scale"][i]), 1e-6)
        z = (value - known[0]) / spread
        weight = 1.0
        if weights is not None:
            weight = float(weights[INPUT_NAMES.index(f"{name}_vs_baseline")])
            if name in INPUT_NAMES:
                weight += float(weights[INPUT_NAMES.index(name)])
        if weight <= 0:
            continue
        out.append(
            {
                "feature": name,
                "value": round(value, 4),
                "baseline_mean": round(known[0], 4),
                "baseline_std": round(known[1], 4),
                "z": round(z, 2),
                "weight": round(weight, 4),
                "_rank": abs(z) * weight,
            }
        )
    out.sort(key=lambda s: -s["_rank"])
    return [{k: v for k, v in s.items() if k != "_rank"} for s in out[:MAX_SIGNALS]]


class ModelDetector:
    """Scores one car snapshot with a registry bundle; one finding per alert mode."""

    def __init__(self, bundle: dict, *, model: str, version: int):
        if list(bundle["input_names"]) != list(INPUT_NAMES):
            raise ValueError(
                f"{model} version {version} was trained on other features than this code "
                "computes; run `pitstop diagnostics train` to train on the current ones"
            )
        # One row per call: threads only cost here, and scoring workers already run one per core.
        threadpool_limits(1)
        self.bundle = bundle
        self.classifiers = {k: RowPredictor(m) for k, m in bundle["classifiers"].items()}
        self.ttf = {k: RowPredictor(m) for k, m in bundle["ttf"].items()}
        self.calibration = bundle.get("calibration", {})  # bundles from before it: raw scores
        self.model = model
        self.version = version
        self.name = f"model:{model}"
        self.clear_ratio = float(bundle["clear_ratio"])
        k, n = bundle.get("gate", (1, 1))  # bundles from before persistence: none
        self.gate = Gate(int(k), int(n))

    def _status(self, value: float, threshold: float) -> str:
        return raw_status(value, threshold, self.clear_ratio)

    def detect(
        self,
        vin: str,
        features: Mapping[str, float],
        baseline: Mapping[str, tuple[float, float]],
    ) -> list[Finding]:
        """Findings for one car; none until the car has a baseline of its own."""
        if not baseline:
            return []
        x = model_row(features, baseline)[None, :]
        # NaN where the row holds no evidence for the kind: its status is then hold
        proba = {
            k: m.predict(x[0]) if judged(x, k)[0] else math.nan for k, m in self.classifiers.items()
        }
        thresholds = self.bundle["thresholds"]
        # Several fault kinds can name one alert mode (thermostat and leak: cooling).
        best: dict[str, str] = {}
        for kind in proba:
            mode = FAULT_KIND_MODES.get(kind, kind)
            ratio = np.nan_to_num(proba[kind] / thresholds[kind], nan=-1.0)
            if mode not in best or ratio > np.nan_to_num(
                proba[best[mode]] / thresholds[best[mode]], nan=-1.0
            ):
                best[mode] = kind
        findings = []
        for mode, kind in best.items():
            p = proba[kind]
            status = self._status(p, thresholds[kind])
            # Explained at every status: the gate may alert on earlier hours' scores, and a
            # repeat's reasons replace the stored ones.
            ttf = self.ttf.get(kind)
            days = max(0.0, ttf.predict(x[0])) if ttf is not None else None
            severity = "major" if days is not None and days <= URGENT_DAYS else "minor"
            shown = calibrate(self.calibration.get(kind), p)
            explanation = self._explanation(kind, p, shown, days, features, baseline)
            findings.append(
                Finding(mode, f"{self.name}:{mode}", status, severity, shown, explanation)
            )
        # a mode that could not judge the car (no evidence, NaN) explains nothing
        explained = any(
            f.status != "healthy" and f.probability is not None and math.isfinite(f.probability)
            for f in findings
        )
        anomaly = self._anomaly(x, features, baseline, explained)
        if anomaly.explanation and not self.bundle.get("anomaly_alerts", True):
            watch = {
                "score": anomaly.explanation["score"],
                "signals": anomaly.explanation["signals"],
            }
            findings = [replace(f, explanation=f.explanation | {"watch": watch}) for f in findings]
        return [*findings, anomaly]

    def _anomaly(self, x, features, baseline, explained: bool) -> Finding:
        """The anomaly model's finding: "abnormal, cause unknown" when no failure mode explains it.

        While a failure mode's score is at or near its threshold (active or hold), that mode
        speaks for the car, and the anomaly holds (neither raises nor clears). Bundles trained
        with the anomaly as a watch signal only (anomaly_alerts false) never alert on it.
        """
        forest = self.bundle["anomaly"][MODEL_LINE]
        filled = fill_missing(x, self.bundle["anomaly_medians"])
        score = row_score(forest, filled[0]) if judged(x, None)[0] else math.nan
        status = self._status(score, self.bundle["anomaly_threshold"][MODEL_LINE])
        unusual = status == "active"
        explanation = (
            self._explanation(None, None, None, None, features, baseline)
            | {"score": round(score, 4), "cause": "unknown"}
            if unusual
            else {}
        )
        if not self.bundle.get("anomaly_alerts", True):
            status = "healthy"  # so that anomaly alerts opened by earlier versions clear
        elif explained and status == "active":
            status = "hold"
        return Finding("anomaly", f"{self.name}:anomaly", status, "minor", None, explanation)

    def _explanation(self, kind, score, probability, days, features, baseline) -> dict:
        return {
            "kind": "model",
            "model": self.model,
            "version": self.version,
            "fault": kind,
            "probability": _rounded(probability),
            "score": _rounded(score),
            "time_to_failure_days": None if days is None else round(days, 2),
            "signals": explain(self.bundle, features, baseline, kind),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 4)
