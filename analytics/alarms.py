"""Business alarms on a store's daily metrics: robust, seasonal, persistent, with a direction.

Each week the detector fits a robust STL (statsmodels, period 7) to the last reference_days of
the metric, with public holidays replaced by their weekday's median. A coming day's expected
value is a level (a trimmed mean of the seasonally adjusted reference, ending a week before
its end, so a fresh change is judged against the old normal) plus that weekday's seasonal
term. Its scale is 1.4826 x the MAD of the detector's own past misses (a standard deviation
that outliers do not inflate). The z-scores in the metric's bad direction (a drop in volume or
margin, a rise in complaints or response time) feed a one-sided CUSUM; an alarm opens when it
crosses THRESHOLD. Each day's z is capped, so one wild day never raises an alarm: it takes
persistence. The slow annual pattern is followed by the weekly refits; holidays
(analytics.calendar) are skipped. After an alarm the metric is quiet for reference_days,
while the references fill with the new normal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from analytics.calendar import holidays as calendar_holidays


@dataclass(frozen=True)
class Metric:
    bad: str  # "drop" or "rise": the direction that is a problem
    en: str
    zh: str
    scale: str = "linear"  # "sqrt" steadies the variance of counts, "log" that of durations


METRICS = {
    "service_volume": Metric("drop", "service volume", "进厂台次", "sqrt"),
    "complaints": Metric("rise", "complaints", "投诉量"),  # sqrt does not steady counts near 1
    "margin": Metric("drop", "gross margin", "毛利率"),
    "response_time": Metric("rise", "response time", "响应时长", "log"),
}
MAD_TO_SD = 1.4826
PERIOD = 7
SEASONAL_SPAN = 35  # STL seasonal smoother, in cycles: wider than the reference (fixed profile)
TREND_SPAN = 29  # STL's trend smoother, in days
LEVEL_DAYS = 28  # the level: a trimmed mean of four weeks of the reference, seasonally adjusted,
GUARD_DAYS = 7  # ending this long before its end, so a fresh change is judged against the old
TRIM = 0.2  # share cut from each end before the level's mean
MIN_MISSES = 21  # working days of past misses needed before a day can be flagged
# One-sided CUSUM of z-scores in the metric's bad direction: S = max(0, S + min(z, CAP) - DRIFT),
# alarm at S >= THRESHOLD. A clean Gaussian series would alarm far less than once in 10^6
# days (ARL0 by Siegmund's formula); a 2-sigma shift is found in about 9 days, a 4-sigma one
# in about 4. CAP makes it need persistence: no single day adds more than CAP - DRIFT.
# Chosen on seeds 0-9 of history.daily_metrics (no false alarm; 0.85/9 and 0.75/10 gave some).
DRIFT = 1.0
THRESHOLD = 8.0
CAP = 3.0


@dataclass(frozen=True)
class Alarm:
    metric: str
    direction: str  # "drop" or "rise"
    start: date  # the first day of the CUSUM's climb: the estimated change point
    detected: date  # the day the CUSUM crossed its threshold
    expected: float  # median expected value from start to detection
    observed: float  # median observed value from start to detection
    size: float  # observed / expected - 1 (e.g. -0.3 for a 30 % drop)
    reason: str
    reason_zh: str


def _to_scale(kind: str, x: np.ndarray) -> np.ndarray:
    if kind == "linear":
        return x
    with np.errstate(divide="ignore", invalid="ignore"):
        positive = np.where(x < 0, np.nan, x)
        return np.asarray(np.sqrt(positive) if kind == "sqrt" else np.log(positive))


def _from_scale(kind: str, x: np.ndarray) -> np.ndarray:
    return x if kind == "linear" else np.asarray(np.square(x) if kind == "sqrt" else np.exp(x))


def _reference(values: np.ndarray, quiet: np.ndarray, first_weekday: int) -> np.ndarray:
    """The reference with quiet or missing days replaced by their weekday's median."""
    out = values.copy()
    bad = quiet | ~np.isfinite(values)
    weekday = (np.arange(len(values)) + first_weekday) % PERIOD
    for d in range(PERIOD):
        good = (weekday == d) & ~bad
        fill = np.median(values[good]) if good.any() else np.nanmedian(values[~bad])
        out[(weekday == d) & bad] = fill
    return out


def _trimmed_mean(x: np.ndarray) -> float:
    cut = int(len(x) * TRIM)
    return float(np.mean(np.sort(x)[cut : len(x) - cut]))


def _scan(
    values: np.ndarray,
    quiet: np.ndarray,
    weekdays: np.ndarray,
    *,
    bad: str,
    drift: float,
    threshold: float,
    cap: float,
    reference_days: int,
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Expected values, and each alarm as (the first day of its climb, the day it opened).

    The scale is that of the detector's own past misses on the working days of the reference,
    so it measures forecast error, not how closely STL fits its own window. (Keeping flagged
    days out of the reference was tried: it biases the scale low and feeds on itself.)
    """
    from statsmodels.tsa.seasonal import STL  # 1 s import: lazy

    n = len(values)
    expected = np.full(n, np.nan)
    alarms: list[tuple[int, int]] = []
    total, run = 0.0, -1  # the CUSUM, and the first day of its current climb
    cooldown_until = -1
    for block in range(reference_days, n, PERIOD):
        lo, end = block - reference_days, min(block + PERIOD, n)
        skip = quiet[lo:block]
        if (~skip).sum() < MIN_MISSES:
            continue
        ref = _reference(values[lo:block], skip, int(weekdays[lo]))
        fit = STL(
            ref,
            period=PERIOD,
            seasonal=SEASONAL_SPAN,
            trend=TREND_SPAN,
            seasonal_deg=0,  # local-linear extrapolates noise at the end of the window
            robust=True,
        ).fit()
        adjusted = ref - np.asarray(fit.seasonal)
        span = slice(-(GUARD_DAYS + LEVEL_DAYS), -GUARD_DAYS)
        usable = adjusted[span][~skip[span]]
        level = _trimmed_mean(usable if len(usable) else adjusted)
        expected[block:end] = level + np.asarray(fit.seasonal)[-PERIOD:][: end - block]
        misses = (values[lo:block] - expected[lo:block])[~skip]
        misses = misses[np.isfinite(misses)]
        if len(misses) < MIN_MISSES:
            continue
        scale = max(MAD_TO_SD * np.median(np.abs(misses - np.median(misses))), 1e-9)
        for i in range(block, end):
            if quiet[i]:
                continue
            z = (values[i] - expected[i]) / scale
            bad_z = float(np.clip(-z if bad == "drop" else z, -cap, cap))
            total = max(0.0, total + bad_z - drift)
            run = run if total > 0 and run >= 0 else (i if total > 0 else -1)
            if total >= threshold and i > cooldown_until:
                alarms.append((run, i))
                cooldown_until, total, run = i + reference_days, 0.0, -1
    return expected, alarms


def detect(
    series: pd.Series,
    *,
    metric: str,
    drift: float = DRIFT,
    threshold: float = THRESHOLD,
    cap: float = CAP,
    reference_days: int = 84,
    holidays: Iterable[date] | None = None,
) -> list[Alarm]:
    """Alarms on one daily metric (a Series indexed by day; gaps count as holidays)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
    spec = METRICS[metric]
    days = pd.date_range(series.index.min(), series.index.max(), freq="D")
    if len(days) <= reference_days:
        raise ValueError(f"need more than {reference_days} days of {metric}, have {len(days)}")
    values = series.reindex(days).to_numpy(dtype=float)
    if holidays is None:
        holidays = calendar_holidays(range(days[0].year, days[-1].year + 1))
    off = set(holidays)
    quiet = np.array([d.date() in off for d in days]) | ~np.isfinite(values)
    scaled = _to_scale(spec.scale, values)
    quiet |= ~np.isfinite(scaled)
    expected, found = _scan(
        scaled,
        quiet,
        days.dayofweek.to_numpy(),
        bad=spec.bad,
        drift=drift,
        threshold=threshold,
        cap=cap,
        reference_days=reference_days,
    )
    expected = _from_scale(spec.scale, expected)
    return [
        _alarm(
            metric,
            spec,
            days,
            [j for j in range(start, at + 1) if not quiet[j]],
            values,
            expected,
            at,
        )
        for start, at in found
    ]


def _alarm(
    metric: str,
    spec: Metric,
    days: pd.DatetimeIndex,
    hits: list[int],
    values: np.ndarray,
    expected: np.ndarray,
    at: int,
) -> Alarm:
    observed = float(np.median(values[hits]))
    wanted = float(np.median(expected[hits]))
    size = observed / wanted - 1 if wanted else float("nan")
    start = days[hits[0]].date()
    word, word_zh = ("below", "低于") if spec.bad == "drop" else ("above", "高于")
    reason = (
        f"{spec.en} {abs(size):.0%} {word} expected since {start} "
        f"({observed:.3g} against {wanted:.3g}, median of {len(hits)} working days)"
    )
    reason_zh = (
        f"{spec.zh}自{start}起{word_zh}预期{abs(size):.0%}（实际{observed:.3g}，预期{wanted:.3g}）"
    )
    return Alarm(
        metric, spec.bad, start, days[at].date(), wanted, observed, size, reason, reason_zh
    )


def detect_all(metrics: pd.DataFrame, **options: object) -> list[Alarm]:
    """Alarms on every known metric column of a daily table, in detection order."""
    found = [
        a
        for col in metrics.columns
        if col in METRICS
        for a in detect(metrics[col], metric=col, **options)  # type: ignore[arg-type]
    ]
    return sorted(found, key=lambda a: (a.detected, a.metric))


def detection_delay(
    alarms: Iterable[Alarm], *, metric: str, event_start: date, tolerance_days: int = 7
) -> int | None:
    """Days from an event's start to the first alarm of its metric (None when never raised).

    Alarms that start more than tolerance_days before the event are not counted as catching it.
    """
    caught = [
        (a.detected - event_start).days
        for a in alarms
        if a.metric == metric and (a.start - event_start).days >= -tolerance_days
    ]
    return min(caught) if caught else None
