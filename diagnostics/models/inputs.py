"""What a model sees of a car: its window features and how far each is from its own baseline.

Training and online scoring both build the model's row here from the same CarFeatures, so a
model is scored on exactly the inputs it was fitted on.
"""

from __future__ import annotations

import math

import numpy as np

from diagnostics.features import FEATURE_NAMES, CarFeatures

# Counts that depend on how often the car is sampled, not on its health.
_USAGE_PREFIXES = ("samples_", "running_")
WINDOW_FEATURES: tuple[str, ...] = tuple(
    f for f in FEATURE_NAMES if not f.startswith(_USAGE_PREFIXES)
)
# Features with a daily counterpart that the car's baseline tracks: compared with it.
BASELINED: tuple[str, ...] = tuple(
    f for f in WINDOW_FEATURES if f.endswith(("_1h", "_1d")) and f[:-3] + "_1d" in FEATURE_NAMES
)
DELTA_NAMES: tuple[str, ...] = tuple(f"{f}_vs_baseline" for f in BASELINED)
INPUT_NAMES: tuple[str, ...] = WINDOW_FEATURES + DELTA_NAMES
SCORE_AFTER_DAYS = 2.0  # a car with less history than this has no baseline yet: not scored


def baseline_of(features: CarFeatures, name: str) -> tuple[float, float]:
    """The car's own (mean, sd) for a window feature (its daily baseline); NaN if unknown."""
    known = features.baseline_of(name[:-3] + "_1d")
    return known if known else (math.nan, math.nan)


def model_row(features: CarFeatures, ts_ms: int) -> tuple[np.ndarray, dict[str, float]]:
    """The model's input row at ts_ms (INPUT_NAMES order) and the raw snapshot behind it."""
    snap = features.snapshot(ts_ms)
    row = [snap[f] for f in WINDOW_FEATURES]
    for f in BASELINED:
        mean, _ = baseline_of(features, f)
        row.append(snap[f] - mean)
    return np.asarray(row, dtype=float), snap


def baselines(features: CarFeatures) -> np.ndarray:
    """(mean, sd) of the car's baseline per BASELINED feature, as an array (n x 2)."""
    return np.asarray([baseline_of(features, f) for f in BASELINED], dtype=float)
