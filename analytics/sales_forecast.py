"""Monthly new-car sales forecasts per model, with prediction intervals, chosen by back-test.

Methods (statsforecast, season length 12):
  seasonal_naive  this month last year: the baseline every method must beat
  ets             AutoETS: error, trend and seasonal forms chosen by AICc
  theta           AutoTheta: the M3 winner, robust on short series
  ets_festival    AutoETS on sales with the Spring Festival effect taken out, put back after
The festival effect moves between January and February with the lunar calendar, so monthly
seasonality alone smears it. ets_festival regresses log sales on each month's share of lull and
rush days (analytics.calendar), pooled over the store's models, with per-model level, trend
and month dummies; it divides the effect out, forecasts with AutoETS, and multiplies the future
months' effect back into the forecast and its intervals.

Errors: MASE, the mean absolute error over the scale of the in-sample seasonal naive MAE
(Hyndman and Koehler 2006), the scale taken on each series' history before the first back-test
origin. Pooled MASE is the mean over all series' scaled errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analytics.calendar import festival_shares

SEASON = 12
LEVELS = (80, 95)
METHODS = ("seasonal_naive", "ets", "theta", "ets_festival")
BASELINE = "seasonal_naive"
MIN_MONTHS = 2 * SEASON + 6  # below this, seasonal fits are guesswork


@dataclass
class Backtest:
    """Rolling-origin results: every forecast, and MASE per series (rows) and method."""

    forecasts: pd.DataFrame  # unique_id, cutoff, ds, horizon, y, and one column per method
    mase: pd.DataFrame  # index: unique_id and "pooled"; columns: methods

    def best(self) -> str:
        """The method with the lowest pooled MASE."""
        return str(self.mase.loc["pooled"].idxmin())

    def relative(self, method: str | None = None) -> float:
        """Pooled MASE of a method (default: the best) over that of the seasonal naive."""
        row = self.mase.loc["pooled"]
        return float(row[method or self.best()] / row[BASELINE])


def _series(history: pd.DataFrame) -> dict[str, tuple[pd.DatetimeIndex, np.ndarray]]:
    out = {}
    for uid, part in history.sort_values("ds").groupby("unique_id", sort=True):
        out[str(uid)] = (pd.DatetimeIndex(part["ds"]), part["y"].to_numpy(dtype=float))
    return out


def _model(method: str) -> Any:
    from statsforecast.models import AutoETS, AutoTheta, SeasonalNaive  # 1 s import: lazy

    if method == BASELINE:
        return SeasonalNaive(season_length=SEASON)
    if method == "theta":
        return AutoTheta(season_length=SEASON)
    if method in ("ets", "ets_festival"):
        return AutoETS(season_length=SEASON)
    raise ValueError(f"unknown method {method!r}; choose from {METHODS}")


def festival_effect(series: dict[str, tuple[pd.DatetimeIndex, np.ndarray]]) -> np.ndarray:
    """Pooled log-effect of a month's share of lull days and of rush days."""
    blocks, targets, shared = [], [], []
    for i, (ds, y) in enumerate(series.values()):
        n = len(y)
        local = np.zeros((n, len(series) * (SEASON + 1)))
        base = i * (SEASON + 1)
        local[:, base] = np.arange(n) / SEASON
        local[np.arange(n), base + ds.month.to_numpy()] = 1.0  # month dummies carry the level
        blocks.append(local)
        shared.append(festival_shares(ds))
        targets.append(np.log(np.maximum(y, 1.0)))
    design = np.hstack([np.vstack(blocks), np.vstack(shared)])
    coef, *_ = np.linalg.lstsq(design, np.concatenate(targets), rcond=None)
    return np.asarray(coef[-2:])


def _future(ds: pd.DatetimeIndex, h: int) -> pd.DatetimeIndex:
    return pd.date_range(ds[-1] + pd.offsets.MonthBegin(1), periods=h, freq="MS")


def _fit(
    method: str,
    ds: pd.DatetimeIndex,
    y: np.ndarray,
    h: int,
    levels: Sequence[int],
    effect: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """One series' forecast: 'mean' and 'lo-80', 'hi-80', ... for each level."""
    if len(y) < SEASON + 1:
        raise ValueError(f"{len(y)} months of history; need at least {SEASON + 1}")
    factor = np.ones(len(y))
    future = np.ones(h)
    if method == "ets_festival" and effect is not None:
        factor = np.exp(festival_shares(ds) @ effect)
        future = np.exp(festival_shares(_future(ds, h)) @ effect)
    raw = _model(method).forecast(y=y / factor, h=h, level=list(levels))
    return {k: np.maximum(np.asarray(v, dtype=float) * future, 0.0) for k, v in raw.items()}


def forecast(
    history: pd.DataFrame,
    h: int = 6,
    *,
    method: str | None = None,
    levels: Sequence[int] = LEVELS,
    windows: int = 12,
) -> pd.DataFrame:
    """Forecast h months per model, with intervals; method None picks the back-test's best.

    history: unique_id, ds (month starts), y (units sold). Returns unique_id, ds, method, mean,
    and lo_<level>, hi_<level> per level.
    """
    if method is None:
        method = backtest(history, windows=windows).best()
    series = _series(history)
    effect = festival_effect(series) if method == "ets_festival" else None
    frames = []
    for uid, (ds, y) in series.items():
        out = _fit(method, ds, y, h, levels, effect)
        frame = pd.DataFrame({"unique_id": uid, "ds": _future(ds, h), "method": method})
        frame["mean"] = out["mean"]
        for level in levels:
            frame[f"lo_{level}"] = out[f"lo-{level}"]
            frame[f"hi_{level}"] = out[f"hi-{level}"]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def seasonal_naive_scale(y: np.ndarray, season: int = SEASON) -> float:
    """In-sample MAE of the seasonal naive forecast: the MASE denominator."""
    if len(y) <= season:
        raise ValueError("need more than one season of history to scale MASE")
    return float(np.mean(np.abs(y[season:] - y[:-season])))


def backtest(
    history: pd.DataFrame,
    *,
    h: int = 3,
    windows: int = 12,
    methods: Sequence[str] = METHODS,
    min_months: int = MIN_MONTHS,
) -> Backtest:
    """Rolling-origin evaluation: `windows` origins one month apart, each forecasting h months;
    the first origin has at least min_months of history (a shop with two years of history
    lowers it, and says so)."""
    series = _series(history)
    n = min(len(y) for _, y in series.values())
    first = n - h - windows + 1
    if first < min_months:
        raise ValueError(f"back-test needs {min_months + h + windows - 1} months, have {n}")
    rows = []
    for cutoff in range(first, n - h + 1):
        train = {uid: (ds[:cutoff], y[:cutoff]) for uid, (ds, y) in series.items()}
        effect = festival_effect(train) if "ets_festival" in methods else None
        for uid, (ds, y) in series.items():
            scale = seasonal_naive_scale(y[:first])
            preds = {m: _fit(m, ds[:cutoff], y[:cutoff], h, (), effect)["mean"] for m in methods}
            for step in range(h):
                row = {"unique_id": uid, "cutoff": ds[cutoff - 1], "ds": ds[cutoff + step]}
                row.update(horizon=step + 1, y=y[cutoff + step], scale=scale)
                row.update({m: preds[m][step] for m in methods})
                rows.append(row)
    frame = pd.DataFrame(rows)
    scaled = frame[list(methods)].sub(frame["y"], axis=0).abs().div(frame["scale"], axis=0)
    mase = scaled.groupby(frame["unique_id"]).mean()
    mase.loc["pooled"] = scaled.mean()
    return Backtest(frame, mase)
