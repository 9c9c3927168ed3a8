"""Detectors turn a car's features into findings; the judge turns findings into alert changes.

The Detector interface (rules, DTCs and learned models all plug in through it):

    class Detector(Protocol):
        name: str
        def detect(self, vin: str, features: Mapping[str, float],
                   baseline: Mapping[str, tuple[float, float]]) -> Iterable[Finding]: ...

`features` is a CarFeatures.snapshot() (diagnostics.features.FEATURE_NAMES, NaN where
unknown); `baseline` maps a daily feature name to the car's own long-run (mean, std). A
detector returns zero or more Findings, each about one failure mode (diagnostics.modes):

    Finding(mode="battery", key="model:battery_gbm", status="active", severity="major",
            probability=0.91, explanation={"kind": "model", "model": "battery_gbm",
            "version": 3, "time_to_failure_days": 4.2, "signals": [{"feature":
            "crank_v_min_1d", "value": 9.1, "baseline_mean": 10.4, "baseline_std": 0.1,
            "z": -13.0}, ...]})

status is "active" (raise or repeat the alert), "hold" (borderline: keep an open alert as it
is) or "healthy" (this key judged the mode normal). An open alert clears only when every key
that raised it has been healthy for CLEAR_HOLD_MS of the car's time, so a model detector that
never says "healthy" never clears anything on its own. key names the source ("rule:<name>",
"dtc:<code>", "model:<name>") and must be stable between calls.

A detector may carry a `gate` (diagnostics.persistence.Gate): the scoring service then scores
it once per hour of the car's time and passes on the gated status, so its finding alerts only
when it persists (k of the last n hours). Rules and trouble codes have none: rules judge every
few minutes of the car's data and its newest sample, trouble codes every DTC report.

diagnostics.detectors.load_detectors gives the service its detectors: the rules, plus the
active learned model's when the registry has one; otherwise rules and trouble codes alone.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from diagnostics.modes import FAILURE_MODES, SEVERITY_RANK, higher

log = logging.getLogger(__name__)

CLEAR_HOLD_MS = 30 * 60_000  # healthy this long (car time) before an alert auto-clears
STATUSES = ("active", "hold", "healthy")


@dataclass(frozen=True)
class Finding:
    mode: str
    key: str
    status: str
    severity: str = "warning"
    probability: float | None = None
    explanation: dict[str, Any] = field(default_factory=dict)


class Detector(Protocol):
    name: str

    def detect(
        self,
        vin: str,
        features: Mapping[str, float],
        baseline: Mapping[str, tuple[float, float]],
    ) -> Iterable[Finding]: ...


@dataclass
class Raise:
    """Open an alert, or repeat the open one (count, last seen, maybe a higher severity)."""

    vin: str
    mode: str
    severity: str
    probability: float | None
    source: str
    reasons: dict[str, dict]
    ts_ms: int


@dataclass
class Clear:
    vin: str
    mode: str
    reason: str
    ts_ms: int


def run_detectors(
    detectors: Iterable[Detector],
    vin: str,
    features: Mapping[str, float],
    baseline: Mapping[str, tuple[float, float]],
) -> list[Finding]:
    """Every detector's findings; one that raises is logged and skipped, never fatal."""
    findings: list[Finding] = []
    for detector in detectors:
        try:
            findings.extend(detector.detect(vin, features, baseline))
        except Exception:
            log.exception("detector %s failed on %s; skipped", detector.name, vin)
    return findings


class Judge:
    """Decides, per car and mode, when findings open, repeat or clear an alert (hysteresis)."""

    def __init__(self, clear_hold_ms: int = CLEAR_HOLD_MS):
        self.clear_hold_ms = clear_hold_ms
        self.open: dict[tuple[str, str], set[str]] = {}  # (vin, mode) -> keys that raised it
        self.healthy_since: dict[tuple[str, str, str], int] = {}

    def load_open(self, rows: Iterable[tuple[str, str, Iterable[str]]]) -> None:
        """Remember alerts already open in the database: (vin, mode, reason keys)."""
        for vin, mode, keys in rows:
            self.open[(vin, mode)] = set(keys)

    def open_keys(self, vin: str) -> set[str]:
        """The reason keys of the car's open alerts."""
        return {k for mode in FAILURE_MODES for k in self.open.get((vin, mode), ())}

    def forget(self, vin: str, mode: str) -> None:
        """An alert closed elsewhere (e.g. by an advisor): stop tracking it."""
        self.open.pop((vin, mode), None)

    def judge(self, vin: str, ts_ms: int, findings: Iterable[Finding]) -> list[Raise | Clear]:
        """Alert changes for one car's findings at car time ts_ms."""
        by_mode: dict[str, list[Finding]] = {}
        for f in findings:
            if f.status in STATUSES and f.severity in SEVERITY_RANK:
                by_mode.setdefault(f.mode, []).append(f)
        changes: list[Raise | Clear] = []
        for mode, found in by_mode.items():
            active = [f for f in found if f.status == "active"]
            status = {f.key: f.status for f in found}
            for key, st in status.items():
                mark = (vin, mode, key)
                if st == "healthy":
                    self.healthy_since.setdefault(mark, ts_ms)
                else:
                    self.healthy_since.pop(mark, None)
            if active:
                changes.append(self._raise(vin, mode, ts_ms, active))
                continue
            keys = self.open.get((vin, mode))
            if keys and all(self._healthy_long(vin, mode, k, ts_ms) for k in keys):
                del self.open[(vin, mode)]
                for k in keys:
                    self.healthy_since.pop((vin, mode, k), None)
                changes.append(Clear(vin, mode, "resolved: " + ", ".join(sorted(keys)), ts_ms))
        return changes

    def _healthy_long(self, vin: str, mode: str, key: str, ts_ms: int) -> bool:
        since = self.healthy_since.get((vin, mode, key))
        return since is not None and ts_ms - since >= self.clear_hold_ms

    def _raise(self, vin: str, mode: str, ts_ms: int, active: list[Finding]) -> Raise:
        severity = "warning"
        for f in active:
            severity = higher(f.severity, severity)
        probs = [f.probability for f in active if f.probability is not None]
        prob = max(probs) if probs and all(math.isfinite(p) for p in probs) else None
        reasons = {f.key: {**f.explanation, "severity": f.severity} for f in active}
        self.open.setdefault((vin, mode), set()).update(reasons)
        source = active[0].key.split(":", 1)[0]
        return Raise(vin, mode, severity, prob, source, reasons, ts_ms)
