"""A failure mode's raw classifier score turned into a probability that means what it says.

Training fits an isotonic map per mode on out-of-fold scores (diagnostics.lab.predictor) and
stores its knots: raw scores in the first row, observed fault frequencies in the second.
Alerts still open on the raw score against the mode's threshold; the calibrated value is the
probability the alert shows.
"""

from __future__ import annotations

import numpy as np


def calibrate(knots: np.ndarray | None, score: float | np.ndarray) -> float | np.ndarray:
    """The calibrated probability of a raw score (unchanged without knots; NaN stays NaN)."""
    if knots is None:
        return score
    out = np.interp(score, knots[0], knots[1])
    return np.where(np.isnan(score), np.nan, out) if np.ndim(out) else float(out)
