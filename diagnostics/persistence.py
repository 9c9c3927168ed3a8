"""Persistence: a finding that must hold for k of a car's last n hourly snapshots to alert.

A model sees one snapshot at a time, so a single odd hour (a weekend car's one short trip) can
push a score over its threshold. A gated detector is scored once per hour of the car's own
time; each hour's raw status goes into a short history, and the Gate turns that history into
the status the Judge sees:

    active   at least k of the last n hours were active
    healthy  the newest hour was healthy, and the alert condition above does not hold
    hold     anything else (an open alert stays as it is)

The lab's evaluation replays the same Gate over a fleet's hourly rows (alert_starts), so the figures
it reports are those of the service's alert path.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

HOUR_MS = 3_600_000
MARK = {"active": "a", "hold": "h", "healthy": "o"}  # one character per hour in a history
STATUS = {v: k for k, v in MARK.items()}


@dataclass(frozen=True)
class Gate:
    k: int  # hours that must be active ...
    n: int  # ... among the last n hours of the car's time

    def statuses(self, marks: np.ndarray, first: np.ndarray | None = None) -> np.ndarray:
        """The gated status after each hour of a run of hourly marks (one character each).

        first marks where a car's hours begin (default: only at 0), so that one call can
        replay a whole fleet's rows; the service replays one car's short history.
        """
        marks = np.asarray(marks)
        idx = np.arange(len(marks))
        starts = np.zeros(len(marks), dtype=bool) if first is None else first.copy()
        if len(marks):
            starts[0] = True
        car_start = np.maximum.accumulate(np.where(starts, idx, 0))
        active = np.concatenate([[0], np.cumsum(marks == MARK["active"])])
        lo = np.maximum(idx - self.n + 1, car_start)
        recent = active[idx + 1] - active[lo]
        out = np.full(len(marks), "hold", dtype=object)
        out[marks == MARK["healthy"]] = "healthy"
        out[recent >= self.k] = "active"
        return out

    def status(self, history: str) -> str:
        """The gated status of a car's history of hourly marks (oldest first)."""
        if not history:
            return "hold"
        return str(self.statuses(np.array(list(history[-self.n :])))[-1])

    def push(self, history: str, status: str) -> str:
        """The history with one more hour's raw status (only the last n hours are kept)."""
        return (history + MARK[status])[-self.n :]


IMMEDIATE = Gate(1, 1)  # no persistence: each hour stands alone


def raw_status(score: float, threshold: float, clear_ratio: float) -> str:
    """One hour's status from a score: active at the threshold, healthy below clear_ratio of it.

    A NaN score (the model had no evidence to judge) is hold: it neither alerts nor clears.
    """
    if math.isnan(score):
        return "hold"
    if score >= threshold:
        return "active"
    return "hold" if score >= threshold * clear_ratio else "healthy"


def hours_crossed(last_ts: int | None, ts_ms: int, keep: int) -> list[int]:
    """The hour boundaries (ms) in (last_ts, ts_ms], at most the newest `keep` of them."""
    if last_ts is None or ts_ms // HOUR_MS <= last_ts // HOUR_MS:
        return []
    first, last = last_ts // HOUR_MS + 1, ts_ms // HOUR_MS
    return [h * HOUR_MS for h in range(max(first, last - keep + 1), last + 1)]


def raw_marks(scores: np.ndarray, threshold: float, clear_ratio: float) -> np.ndarray:
    """raw_status of every score, as marks (NaN: hold)."""
    marks = np.full(len(scores), MARK["hold"])
    with np.errstate(invalid="ignore"):
        marks[scores < threshold * clear_ratio] = MARK["healthy"]
        marks[scores >= threshold] = MARK["active"]
    return marks


def gated_statuses(
    scores: np.ndarray, car: np.ndarray, threshold: float, clear_ratio: float, gate: Gate
) -> np.ndarray:
    """Each hourly row's gated status (rows grouped by car, each car's in time order)."""
    first = np.ones(len(car), dtype=bool)
    first[1:] = car[1:] != car[:-1]
    return gate.statuses(raw_marks(np.asarray(scores, dtype=float), threshold, clear_ratio), first)


def alert_starts(statuses: np.ndarray, car: np.ndarray) -> np.ndarray:
    """Row indices where an alert opens: active while none is open; it closes when healthy.

    Rows are grouped by car, each car's in time order.
    """
    statuses = np.asarray(statuses)
    idx = np.arange(len(statuses))
    active, healthy = statuses == "active", statuses == "healthy"
    first = np.ones(len(car), dtype=bool)
    first[1:] = car[1:] != car[:-1]
    # An alert is open after a row when the car's last active-or-healthy row was active.
    last_event = np.maximum.accumulate(np.where(active | healthy | first, idx, 0))
    open_after = active[last_event]
    was_open = np.concatenate([[False], open_after[:-1]]) & ~first
    return np.flatnonzero(active & ~was_open)


def to_marks(statuses: Iterable[str]) -> str:
    """Statuses as a history string."""
    return "".join(MARK[s] for s in statuses)
