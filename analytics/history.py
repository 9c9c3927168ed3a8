"""Seeded synthetic dealer history for tests, the demo and the method write-up.

Each generator takes a seed and a setting, so a test can check a method on a setting it was
not tuned on. Series come as long DataFrames (unique_id, ds, y) like statsforecast's input.
  monthly_sales   new-car sales per model: trend, autumn peak, Spring Festival lull and rush
                  on the real New Year dates, quarter-end pushes, multiplicative noise
  weekly_parts    intermittent weekly demand per part number
  fleet_period    parts demand in which connected-car faults develop, with the alerts that
                  announce them (imperfect recall, calibrated alert probabilities)
  daily_metrics   a store's daily service volume, complaints, margin and response time
  customers       one row per service customer (analytics.churn's columns) and churned
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.calendar import festival_shares, holidays, quarter_end

# Monthly shape besides the festival: summer slack, the autumn peak (金九银十).
ANNUAL = np.array([1.0, 1.0, 1.0, 0.98, 0.98, 1.0, 0.93, 0.93, 1.06, 1.08, 1.0, 1.02])
WEEKDAY = np.array([0.9, 0.85, 0.85, 0.9, 1.0, 1.35, 1.15])  # Mon..Sun workshop visits


@dataclass(frozen=True)
class SalesSetting:
    level: float = 120.0  # units a month of a typical model at the start
    growth: float = 0.006  # mean monthly growth; each model draws its own around it
    noise: float = 0.07  # sigma of the multiplicative noise
    lull: float = 0.7  # share of a lull day's sales that is lost
    rush: float = 0.5  # extra sales on a rush day
    push: float = 0.12  # quarter-end push; December gets twice this


@dataclass(frozen=True)
class PartsSetting:
    occurrence: tuple[float, float] = (0.08, 0.5)  # range of the weekly chance of any demand
    size: tuple[float, float] = (0.3, 3.0)  # range of the mean extra units when there is demand


@dataclass(frozen=True)
class ChurnSetting:
    signal: float = 1.0  # scales every driver of churn; lower is a noisier world
    base: float = -0.6  # log-odds of churn of an average customer
    survey_missing: float = 0.3  # share of customers with no CSI/NPS answer


@dataclass
class FleetPeriod:
    """Weekly demand (parts x weeks) whose last eval_weeks contain developing faults."""

    parts: list[str]
    demand: np.ndarray
    fault_demand: np.ndarray
    alerts: list[tuple[str, float, float, int, int]] = field(default_factory=list)
    eval_weeks: int = 0
    covered_share: dict[str, float] = field(default_factory=dict)


def months_from(start: str, months: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=months, freq="MS")


def monthly_sales(
    models: int = 4,
    months: int = 48,
    *,
    start: str = "2023-01-01",
    seed: int = 0,
    setting: SalesSetting = SalesSetting(),
) -> pd.DataFrame:
    """Monthly sales volume per vehicle model."""
    rng = np.random.default_rng(seed)
    ds = months_from(start, months)
    t = np.arange(months)
    shares = festival_shares(ds)
    festival = 1 - setting.lull * shares[:, 0] + setting.rush * shares[:, 1]
    push = 1 + setting.push * quarter_end(ds) * np.where(ds.month == 12, 2.0, 1.0)
    frames = []
    for m in range(models):
        level = setting.level * rng.lognormal(0, 0.4)
        growth = setting.growth + rng.normal(0, 0.004)
        noise = rng.normal(0, setting.noise, months)
        mean = level * (1 + growth) ** t * ANNUAL[ds.month - 1] * festival * push
        y = np.round(mean * np.exp(noise))
        frames.append(pd.DataFrame({"unique_id": f"model-{m + 1}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


def weekly_parts(
    parts: int = 20,
    weeks: int = 104,
    *,
    start: str = "2024-01-01",
    seed: int = 0,
    setting: PartsSetting = PartsSetting(),
) -> pd.DataFrame:
    """Intermittent weekly demand per part: a Bernoulli occurrence, then 1 + Poisson units."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(start, periods=weeks, freq="W-MON")
    frames = []
    for p in range(parts):
        chance = rng.uniform(*setting.occurrence)
        size = rng.uniform(*setting.size)
        y = (rng.random(weeks) < chance) * (1 + rng.poisson(size, weeks))
        frames.append(pd.DataFrame({"unique_id": f"part-{p + 1}", "ds": ds, "y": y.astype(float)}))
    return pd.concat(frames, ignore_index=True)


def fleet_period(
    parts: int = 12,
    history_weeks: int = 104,
    eval_weeks: int = 26,
    *,
    seed: int = 0,
    recall: float = 0.7,
    timing_error: float = 0.2,
    surge: float = 5.0,
    lead_weeks: tuple[int, int] = (1, 3),
) -> FleetPeriod:
    """Base intermittent demand plus fault-driven demand that alerts announce ahead.

    Each part has a walk-in demand and a low background fault rate; in the evaluation weeks the
    fault rate ramps up to `surge` times (an ageing batch, a cold winter). Each fault needs a kit
    of the part. A fault is announced with chance `recall`, 1 to 3 weeks ahead, as an alert with
    probability q; q is calibrated: false alerts are added so that P(fault | q) = q. With chance
    `timing_error` the car comes a week earlier or later than the alert expects.
    """
    rng = np.random.default_rng(seed)
    weeks = history_weeks + eval_weeks
    names = [f"part-{p + 1}" for p in range(parts)]
    base = np.zeros((parts, weeks))
    faults = np.zeros((parts, weeks))
    alerts: list[tuple[str, float, float, int, int]] = []
    covered: dict[str, float] = {}
    ramp = np.ones(weeks)
    ramp[history_weeks:] = np.linspace(1.5, surge, eval_weeks)
    for p, name in enumerate(names):
        chance, size = rng.uniform(0.1, 0.4), rng.uniform(0.3, 2.0)
        base[p] = (rng.random(weeks) < chance) * (1 + rng.poisson(size, weeks))
        kit = float(rng.choice([1, 1, 2, 4]))
        counts = rng.poisson(rng.uniform(0.05, 0.2) * ramp)
        faults[p] = counts * kit
        announced_hist = 0.0
        for week in np.flatnonzero(counts):
            for _ in range(counts[week]):
                if rng.random() >= recall:
                    continue
                lead = int(rng.integers(lead_weeks[0], lead_weeks[1] + 1))
                q = _calibrated_q(rng, real=True)
                off = rng.random() < timing_error
                expected = int(week + (rng.choice([-1, 1]) if off else 0))
                alerts.append((name, kit, q, expected, int(week) - lead))
                if week < history_weeks:
                    announced_hist += kit
        total_hist = base[p, :history_weeks].sum() + faults[p, :history_weeks].sum()
        covered[name] = announced_hist / total_hist if total_hist else 0.0
    real = len(alerts)
    for _ in range(rng.poisson(real * 0.38)):  # E[1-q]/E[q] for q uniform on (0.5, 0.95)
        p = int(rng.integers(parts))
        when = int(rng.integers(lead_weeks[1], weeks))
        kit = float(faults[p][faults[p] > 0].min()) if faults[p].any() else 1.0
        lead = int(rng.integers(lead_weeks[0], lead_weeks[1] + 1))
        alerts.append((names[p], kit, _calibrated_q(rng, real=False), when, when - lead))
    return FleetPeriod(names, base + faults, faults, alerts, eval_weeks, covered)


def _calibrated_q(rng: np.random.Generator, *, real: bool) -> float:
    """An alert probability on (0.5, 0.95): density q for real faults, 1 - q for false ones."""
    while True:
        q = float(rng.uniform(0.5, 0.95))
        if rng.random() < (q if real else 1 - q):
            return round(q, 2)


def daily_metrics(
    days: int = 730,
    *,
    start: str = "2024-01-01",
    seed: int = 0,
    visits: float = 60.0,
    noise: float = 1.0,
) -> pd.DataFrame:
    """A store's daily service volume, complaints, gross margin and response time (minutes).

    Weekday pattern, autumn peak, a slow trend, and the holidays of analytics.calendar (visits
    fall to a quarter in the Spring Festival lull, to a half in Golden Week). `noise` scales
    the noise of margin and response time.
    """
    rng = np.random.default_rng(seed)
    ds = pd.date_range(start, periods=days, freq="D")
    quiet = holidays(range(ds[0].year, ds[-1].year + 1))
    is_quiet = np.array([d.date() in quiet for d in ds])
    festival = np.where(is_quiet, np.where(ds.month == 10, 0.5, 0.25), 1.0)
    trend = 1 + 0.1 * np.arange(days) / 365
    mean = visits * WEEKDAY[ds.dayofweek] * ANNUAL[ds.month - 1] * festival * trend
    volume = rng.poisson(mean).astype(float)
    load = mean / mean.mean()
    return pd.DataFrame(
        {
            "service_volume": volume,
            "complaints": rng.poisson(0.03 * mean).astype(float),
            "margin": 0.32 - 0.01 * (ds.dayofweek >= 5) + rng.normal(0, 0.012 * noise, days),
            "response_time": 20 * load**0.5 * rng.lognormal(0, 0.12 * noise, days),
        },
        index=ds,
    )


def inject_event(
    metrics: pd.DataFrame, metric: str, start: str, *, seed: int = 0, days: int | None = None
) -> pd.DataFrame:
    """A copy with one business event from `start` on (for `days`, or to the end).

    service_volume falls 30 %; complaints triple; margin drops 4 points; response time rises
    50 %.
    """
    rng = np.random.default_rng(seed)
    out = metrics.copy()
    window = out.index >= pd.Timestamp(start)
    if days is not None:
        window &= out.index < pd.Timestamp(start) + pd.Timedelta(days=days)
    col = out[metric].to_numpy(copy=True)
    if metric == "service_volume":
        col[window] = rng.binomial(col[window].astype(int), 0.7)
    elif metric == "complaints":
        col[window] += rng.poisson(2 * np.maximum(col[window].mean(), 1.0), window.sum())
    elif metric == "margin":
        col[window] -= 0.04
    elif metric == "response_time":
        col[window] *= 1.5
    else:
        raise ValueError(f"unknown metric {metric!r}")
    out[metric] = col
    return out


def customers(
    n: int = 3000, *, seed: int = 0, setting: ChurnSetting = ChurnSetting()
) -> pd.DataFrame:
    """Service customers with analytics.churn's columns and a churned label.

    Churn rises with recency (sharply after a year away), leaving warranty, older cars, low
    satisfaction and open complaints; regular visits and connected cars with alerts (the
    proactive loop calls them in) hold customers. Some effects are non-linear, so the
    logistic model is not the true one.
    """
    rng = np.random.default_rng(seed)
    age = rng.uniform(0.3, 10, n)
    warranty = age < rng.choice([3.0, 4.0, 6.0], n, p=[0.5, 0.3, 0.2])
    visits = rng.poisson(4.0 * np.exp(-0.1 * age))
    recency = np.minimum(rng.exponential(900 / (visits + 1.5)), 1500).round()
    spend = np.round(visits * rng.lognormal(6.6, 0.5, n) * (1 + 0.08 * age), -1)
    csi = np.clip(rng.normal(84, 9, n), 30, 100).round()
    complaints = rng.poisson(0.15 + 0.02 * np.maximum(75 - csi, 0))
    nps = np.clip(np.round((csi - 40) / 6 + rng.normal(0, 1.2, n)), 0, 10)
    silent = rng.random(n) < setting.survey_missing
    connected = rng.random(n) < 0.4
    alerts = np.where(connected, rng.poisson(0.6, n), 0)
    logit = (
        1.3 * (np.log1p(recency) - 5.0)
        + 1.0 * (recency > 365)
        - 0.25 * np.sqrt(visits)
        - 0.9 * warranty
        + 0.05 * age
        - 0.04 * (csi - 84)
        + 0.7 * np.minimum(complaints, 2)
        - 0.5 * connected
        - 0.35 * np.minimum(alerts, 2)
    )
    churned = rng.random(n) < 1 / (1 + np.exp(-(setting.base + setting.signal * logit)))
    return pd.DataFrame(
        {
            "customer_id": [f"c{seed}-{i:05d}" for i in range(n)],
            "recency_days": recency,
            "visits_24m": visits,
            "spend_24m": spend,
            "vehicle_age_years": age.round(1),
            "in_warranty": warranty,
            "csi_last": np.where(silent, np.nan, csi),
            "nps_last": np.where(silent, np.nan, nps),
            "open_complaints": complaints,
            "connected": connected,
            "open_alerts": alerts,
            "churned": churned,
        }
    )
