"""Feedback labels as training windows: the stored telemetry of a car whose work order closed
with a confirmed cause (or with no fault found), replayed through CarFeatures.

The days before a confirmed cause carry that fault; a "no fault found" car's days are healthy,
which teaches the models that what they saw there was normal.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import numpy as np

from core.clock import DAY_MS
from core.signals import SIGNALS
from diagnostics.features import CarFeatures
from diagnostics.lab.fleetdata import SNAPSHOT_EVERY_MS, CarSpec, Windows, label
from diagnostics.learned.inputs import (
    INPUT_NAMES,
    MODEL_LINE,
    SCORE_AFTER_DAYS,
    car_baseline,
    model_row,
)
from diagnostics.modes import FAULT_KIND_MODES
from diagnostics.registry import OutcomeLabel, _run
from simulators.faults import KINDS, Fault

log = logging.getLogger(__name__)

HISTORY_DAYS = 10  # telemetry read before the confirmation: the car's baseline forms in it
LABEL_DAYS = 3  # rows this long before a confirmed cause carry the fault
MIN_ROWS = 6  # a car with fewer hourly rows than this adds nothing


def fault_kind(failure_mode: str) -> str | None:
    """The fault kind a work order's cause names (a kind, or an alert mode with one kind)."""
    if failure_mode in KINDS:
        return failure_mode
    kinds = [k for k, m in FAULT_KIND_MODES.items() if m == failure_mode]
    return kinds[0] if len(kinds) == 1 else None


def _samples(db: Any, vin: str, since: dt.datetime, until: dt.datetime):
    columns = ", ".join(s.column for s in SIGNALS)
    rows = _run(
        db,
        f"SELECT ts, {columns} FROM telemetry WHERE vin = :vin AND ts >= :since"
        " AND ts <= :until ORDER BY ts",
        {"vin": vin, "since": since, "until": until},
    )
    for ts, *values in rows:
        yield (
            int(ts.timestamp() * 1000),
            {s.name: v for s, v in zip(SIGNALS, values, strict=True) if v is not None},
        )


def feedback_windows(db: Any, labels: list[OutcomeLabel]) -> Windows | None:
    """Labelled hourly rows from each label's stored telemetry; None when there are none."""
    specs, results = [], []
    for lab in labels:
        kind = fault_kind(lab.failure_mode) if lab.failure_mode else None
        if lab.failure_mode and kind is None:
            log.warning("label %s: cause %r names no single fault kind; skipped",
                        lab.work_order_ref, lab.failure_mode)  # fmt: skip
            continue
        until = lab.confirmed_at
        until_ms = int(until.timestamp() * 1000)
        features = CarFeatures()
        rows, times = [], []
        first_ms = next_snap = None
        for ts_ms, values in _samples(db, lab.vin, until - dt.timedelta(days=HISTORY_DAYS), until):
            if first_ms is None:
                first_ms = ts_ms
                next_snap = ts_ms + int(SCORE_AFTER_DAYS * DAY_MS)
            while ts_ms >= next_snap:
                rows.append(model_row(features.snapshot(next_snap), car_baseline(features)))
                times.append(next_snap)
                next_snap += SNAPSHOT_EVERY_MS
            features.update(ts_ms, values)
        if len(rows) < MIN_ROWS:
            continue
        fault = Fault(kind, until_ms - LABEL_DAYS * DAY_MS, until_ms) if kind else None
        specs.append(
            CarSpec(len(specs), 0, lab.vin, "feedback", MODEL_LINE, first_ms, until_ms, fault)
        )
        results.append((np.vstack(rows).reshape(-1, len(INPUT_NAMES)), np.asarray(times)))
    return label(specs, results) if specs else None
