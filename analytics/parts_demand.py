"""Weekly parts demand: intermittent forecasts, fleet-aware demand, and reorder quantities.

Methods (statsforecast), all of which forecast a flat weekly rate:
  croston  CrostonOptimized: smoothed sizes over smoothed intervals, smoothing fitted
  sba      CrostonSBA: Croston with the Syntetos-Boylan bias correction
  tsb      TSB (alpha_d = alpha_p = 0.1): smooths the chance of demand, so obsolescence shows
  adida    ADIDA: forecast the demand summed over the mean interval, then spread it back
  imapa    IMAPA: ADIDA averaged over several aggregation levels
  naive    last week's demand: the benchmark (RMSSE near 1 by construction)
Error: RMSSE (as in the M5 competition), the RMSE over the in-sample RMS of week-to-week
changes. A squared error targets the mean, which the reorder maths needs; MAE-based MASE would
reward forecasting zero for parts that sell in fewer than half the weeks.

Fleet-aware demand adds, to the history-only forecast, the parts implied by the open
predictive-maintenance alerts (quantity times the alert's calibrated probability, in the week
the fault is expected). The share of past demand that such alerts already announced is taken
out of the history-only rate, so those faults are not counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from analytics.history import FleetPeriod

METHODS = ("croston", "sba", "tsb", "adida", "imapa")
BASELINE = "naive"
WEEK = pd.Timedelta(days=7)


class Alert(NamedTuple):
    """An open predictive-maintenance alert, as the parts it will need."""

    part_id: str
    quantity: float
    probability: float  # calibrated: the chance that the fault is real
    week: pd.Timestamp  # any day of the week the car is expected in the workshop


@dataclass
class PartsBacktest:
    """Rolling-origin results: RMSSE and RMSE (units a week) per part (rows) and method."""

    rmsse: pd.DataFrame  # index: unique_id and "pooled"
    rmse: pd.DataFrame

    def best(self) -> str:
        """The forecasting method with the lowest pooled RMSSE."""
        return str(self.rmsse.loc["pooled"].drop(BASELINE, errors="ignore").idxmin())

    def best_per_part(self) -> dict[str, str]:
        """Each part's forecasting method with the lowest RMSSE."""
        table = self.rmsse.drop("pooled").drop(columns=BASELINE, errors="ignore")
        return {str(k): str(v) for k, v in table.idxmin(axis=1).items()}


@dataclass
class Reorder:
    """A suggested order and how it was reached (all in units)."""

    demand: float  # forecast over lead time plus review period
    safety_stock: float
    order_up_to: float
    position: float  # on hand + on order - reserved
    quantity: int


def _model(method: str) -> Any:
    from statsforecast import models  # 1 s import: lazy

    if method == "croston":
        return models.CrostonOptimized()
    if method == "sba":
        return models.CrostonSBA()
    if method == "tsb":
        return models.TSB(alpha_d=0.1, alpha_p=0.1)
    if method == "adida":
        return models.ADIDA()
    if method == "imapa":
        return models.IMAPA()
    raise ValueError(f"unknown method {method!r}; choose from {METHODS}")


def rate(method: str, y: np.ndarray) -> float:
    """The weekly demand rate a method forecasts from a history (0 for an all-zero history)."""
    if not np.any(y > 0):
        return 0.0
    if method == BASELINE:
        return float(y[-1])
    return float(_model(method).forecast(y=np.asarray(y, dtype=float), h=1)["mean"][0])


def rmsse_scale(y: np.ndarray) -> float:
    """In-sample RMS of one-step naive errors: the RMSSE denominator (floored at a small value)."""
    return float(max(np.sqrt(np.mean(np.diff(y) ** 2)), 1e-6))


def _series(history: pd.DataFrame) -> dict[str, tuple[pd.DatetimeIndex, np.ndarray]]:
    out = {}
    for uid, part in history.sort_values("ds").groupby("unique_id", sort=True):
        out[str(uid)] = (pd.DatetimeIndex(part["ds"]), part["y"].to_numpy(dtype=float))
    return out


def backtest(
    history: pd.DataFrame,
    *,
    h: int = 4,
    windows: int = 26,
    methods: Sequence[str] = (*METHODS, BASELINE),
) -> PartsBacktest:
    """Rolling-origin evaluation over the last weeks: origins a week apart, h weeks each."""
    squared: dict[str, dict[str, list[float]]] = {}
    scales = {}
    for uid, (_, y) in _series(history).items():
        first = len(y) - h - windows + 1
        if first < 26:
            raise ValueError(f"{uid}: back-test needs {25 + h + windows} weeks, have {len(y)}")
        scales[uid] = rmsse_scale(y[:first])
        squared[uid] = {m: [] for m in methods}
        for cutoff in range(first, len(y) - h + 1):
            actual = y[cutoff : cutoff + h]
            for m in methods:
                squared[uid][m].extend((actual - rate(m, y[:cutoff])) ** 2)
    rmse = pd.DataFrame(
        {uid: {m: np.sqrt(np.mean(e)) for m, e in d.items()} for uid, d in squared.items()}
    ).T
    rmsse = rmse.div(pd.Series(scales), axis=0)
    rmsse.loc["pooled"] = rmsse.mean()
    rmse.loc["pooled"] = rmse.mean()
    return PartsBacktest(rmsse[list(methods)], rmse[list(methods)])


def forecast(
    history: pd.DataFrame, h: int = 8, *, method: str | Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Weekly forecast per part: unique_id, ds (week starts), method, mean.

    method: one name for every part, a mapping part -> name, or None for the back-test's best
    pooled method.
    """
    if method is None:
        method = backtest(history).best()
    frames = []
    for uid, (ds, y) in _series(history).items():
        chosen = method if isinstance(method, str) else method.get(uid, "sba")
        weeks = pd.date_range(ds[-1] + WEEK, periods=h, freq=WEEK)
        frames.append(
            pd.DataFrame({"unique_id": uid, "ds": weeks, "method": chosen, "mean": rate(chosen, y)})
        )
    return pd.concat(frames, ignore_index=True)


def fleet_aware(
    base: pd.DataFrame, alerts: Iterable[Alert], *, covered_share: float | Mapping[str, float] = 0.0
) -> pd.DataFrame:
    """The history-only forecast plus the demand the open alerts imply.

    base: unique_id, ds (week starts), mean. covered_share: the share of a part's past demand
    that alerts had announced (one figure, or per part), taken out of the history-only rate.
    Adds columns from_alerts and fleet_mean.
    """
    out = base.copy()
    share = out["unique_id"].map(
        covered_share if isinstance(covered_share, Mapping) else lambda _: covered_share
    )
    out["from_alerts"] = 0.0
    index = {(u, d): i for i, (u, d) in enumerate(zip(out["unique_id"], out["ds"], strict=True))}
    for alert in alerts:
        start = pd.Timestamp(alert.week).normalize()
        start -= pd.Timedelta(days=(start.dayofweek - out["ds"].iloc[0].dayofweek) % 7)
        row = index.get((alert.part_id, start))
        if row is not None:
            out.iloc[row, out.columns.get_loc("from_alerts")] += alert.quantity * alert.probability
    out["fleet_mean"] = out["mean"] * (1 - share.fillna(0.0)) + out["from_alerts"]
    return out


def evaluate_fleet_aware(
    period: FleetPeriod, *, method: str = "sba", h: int = 2, start: str = "2024-01-01"
) -> dict[str, float]:
    """History-only versus fleet-aware error over a simulated period in which faults develop.

    Each week of the evaluation span is an origin: both forecasts cover the next h weeks, the
    fleet-aware one with the alerts announced by then. Returns the RMSE of each, pooled over
    parts, weeks and horizons, their ratio (fleet-aware / history-only) and the same for MAE.
    """
    weeks = period.demand.shape[1]
    dates = pd.date_range(start, periods=weeks, freq="W-MON")
    errors: dict[str, list[float]] = {"history_only": [], "fleet_aware": []}
    for t in range(weeks - period.eval_weeks, weeks - h + 1):
        base = pd.DataFrame(
            [
                {"unique_id": part, "ds": dates[t + k], "mean": rate(method, period.demand[p, :t])}
                for p, part in enumerate(period.parts)
                for k in range(h)
            ]
        )
        known = [
            Alert(part, qty, prob, dates[week])
            for part, qty, prob, week, announced in period.alerts
            if announced < t and t <= week < t + h
        ]
        aware = fleet_aware(base, known, covered_share=period.covered_share)
        rows = {part: p for p, part in enumerate(period.parts)}
        actual = np.array(
            [
                period.demand[rows[u], dates.get_loc(d)]
                for u, d in zip(aware["unique_id"], aware["ds"], strict=True)
            ]
        )
        errors["history_only"].extend(aware["mean"].to_numpy() - actual)
        errors["fleet_aware"].extend(aware["fleet_mean"].to_numpy() - actual)
    hist, fleet = (np.asarray(errors[k]) for k in ("history_only", "fleet_aware"))
    rmse_h, rmse_f = float(np.sqrt(np.mean(hist**2))), float(np.sqrt(np.mean(fleet**2)))
    mae_h, mae_f = float(np.mean(np.abs(hist))), float(np.mean(np.abs(fleet)))
    return {
        "rmse_history_only": rmse_h,
        "rmse_fleet_aware": rmse_f,
        "ratio": rmse_f / rmse_h,
        "mae_history_only": mae_h,
        "mae_fleet_aware": mae_f,
        "mae_ratio": mae_f / mae_h,
    }


def reorder_quantity(
    *,
    weekly_demand: float | Sequence[float],
    weekly_error: float,
    lead_time_weeks: float,
    review_weeks: float = 1.0,
    service_level: float = 0.95,
    on_hand: float = 0.0,
    on_order: float = 0.0,
    reserved: float = 0.0,
    pack_size: int = 1,
) -> Reorder:
    """Order-up-to policy over lead time plus review period, with a safety stock.

    weekly_demand: a flat rate, or the forecast week by week (e.g. fleet_mean). weekly_error:
    the forecast's RMSE per week (PartsBacktest.rmse), assumed independent week to week, so the
    safety stock is z(service_level) x weekly_error x sqrt(lead time + review).
    """
    if not 0.5 <= service_level < 1:
        raise ValueError("service_level must be in [0.5, 1)")
    cover = lead_time_weeks + review_weeks
    if isinstance(weekly_demand, int | float):
        demand = float(weekly_demand) * cover
    else:
        weekly = np.asarray(weekly_demand, dtype=float)
        whole = int(cover)
        if len(weekly) < np.ceil(cover):
            raise ValueError(f"forecast covers {len(weekly)} weeks; need {cover}")
        demand = float(
            weekly[:whole].sum() + (weekly[whole] * (cover - whole) if cover > whole else 0)
        )
    safety = NormalDist().inv_cdf(service_level) * weekly_error * np.sqrt(cover)
    position = on_hand + on_order - reserved
    up_to = demand + safety
    short = max(up_to - position, 0.0)
    quantity = int(np.ceil(short / pack_size - 1e-9) * pack_size)
    return Reorder(demand, float(safety), float(up_to), float(position), quantity)
