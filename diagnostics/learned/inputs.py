"""What a model sees of a car: how far each of its features is from the car's own baseline,
and the few features that mean the same on every engine.

A level (the coolant's warm temperature, the charging voltage) differs from one model line to
another: a small engine whose thermostat opens at 82 °C looked to a model that read levels
like a thermostat stuck open. So levels enter only as the car's distance from its own
normal. Training and online scoring both build the row here from the same CarFeatures, so a
model is scored on exactly the inputs it was fitted on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from diagnostics.features import BASELINE_READY_DAYS, FEATURE_NAMES, CarFeatures

MODEL_NAME = "failure_predictor"  # the learned bundle, by its name in the registry
MODEL_LINE = "sim-1.6L"  # the one engine and body the training fleets have; a key of the bundle

# Counts that depend on how often the car is sampled, not on its health.
_USAGE_PREFIXES = ("samples_", "running_")
WINDOW_FEATURES: tuple[str, ...] = tuple(
    f for f in FEATURE_NAMES if not f.startswith(_USAGE_PREFIXES)
)


def baseline_key(feature: str) -> str:
    """The name under which the car's baseline tracks a feature (its daily counterpart)."""
    return feature if feature.endswith("_trips") else feature[:-3] + "_1d"


# Features with a daily (or trips) counterpart that the car's baseline tracks: compared with it.
BASELINED: tuple[str, ...] = tuple(
    f
    for f in WINDOW_FEATURES
    if f.endswith("_trips") or (f.endswith(("_1h", "_1d")) and f[:-3] + "_1d" in FEATURE_NAMES)
)
DELTA_NAMES: tuple[str, ...] = tuple(f"{f}_vs_baseline" for f in BASELINED)
# Ratios, correlations, trends and counts of codes: the same scale on every engine.
LINE_FREE: tuple[str, ...] = (
    "rest_v_trend", "dtc_stored", "dtc_pending",
    *(f"{stem}_{w}" for stem in ("o2_corr", "o2_switch") for w in ("1h", "1d")),
)  # fmt: skip
INPUT_NAMES: tuple[str, ...] = LINE_FREE + DELTA_NAMES
SCORE_AFTER_DAYS = float(BASELINE_READY_DAYS)  # before, a car has no baseline: not scored
# A model judges an engine fault only when the car ran within the day window: a parked car's
# row shows nothing of its engine, and a model asked anyway answers from car-specific
# constants (it alerted on weekend cars that had not moved for days). The battery's resting
# voltage is evidence while parked, so it is judged always.
DRIVING_EVIDENCE = "coolant_max_1d_vs_baseline"  # known when the engine ran in the last day
JUDGED_PARKED = ("battery",)
# A fault judged only where its own evidence was read: a car without a downstream O2 sensor
# shows nothing of its catalyst, and a model asked anyway guesses from the rest.
NEEDS_INPUT = {"catalyst": "o2_corr_1d"}


def judged(X: np.ndarray, kind: str | None) -> np.ndarray:
    """Which model rows (INPUT_NAMES order) hold evidence for a fault kind (None: anomaly)."""
    if kind in JUDGED_PARKED:
        return np.ones(len(X), dtype=bool)
    rows = np.isfinite(X[:, INPUT_NAMES.index(DRIVING_EVIDENCE)])
    if kind in NEEDS_INPUT:
        rows &= np.isfinite(X[:, INPUT_NAMES.index(NEEDS_INPUT[kind])])
    return rows


def model_row(
    snapshot: Mapping[str, float], baseline: Mapping[str, tuple[float, float]]
) -> np.ndarray:
    """The model's input row (INPUT_NAMES order) from a CarFeatures snapshot and baseline.

    baseline maps a daily feature name to the car's own (mean, sd), as the scoring service
    passes it to detectors.
    """
    row = [snapshot.get(f, math.nan) for f in LINE_FREE]
    for f in BASELINED:
        known = baseline.get(baseline_key(f))
        row.append(snapshot.get(f, math.nan) - known[0] if known else math.nan)
    return np.asarray(row, dtype=float)


def fill_missing(X: np.ndarray, medians: np.ndarray) -> np.ndarray:
    """X with NaN replaced by the column's median (0 where the median is unknown too)."""
    fill = np.where(np.isfinite(medians), medians, 0.0)
    return np.where(np.isfinite(X), X, fill)


def car_baseline(features: CarFeatures) -> dict[str, tuple[float, float]]:
    """A CarFeatures' baseline as the mapping detectors receive."""
    return {n: b for n in features.baseline if (b := features.baseline_of(n)) is not None}
