"""Every detector over each car's data in the car's own time, with no database behind it.

The scoring service (diagnostics.service) reads rows and feeds them here; the lab's soak
(diagnostics.lab.soak) feeds simulated samples straight in. Both so raise their alerts through
the same steps, in the same order:

- the ungated detectors (rules) at the end of every STRETCH_MS of a car's data, just before the
  first sample past it is folded in, and at its newest sample (catch_up);
- each DTC report at its own time, before the first sample after it;
- the gated detectors (the models) once per hour of the car's time, on the snapshot at the
  hour boundary, through their persistence gate.

Alert changes collect in `changes`, in each car's time order, for the caller to take.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from diagnostics import dtc
from diagnostics.features import BASELINE_READY_DAYS, FINE_MS, CarFeatures
from diagnostics.persistence import hours_crossed
from diagnostics.scoring import Clear, Detector, Finding, Judge, Raise, run_detectors

STRETCH_MS = FINE_MS  # rules judge every stretch of this much car time


@dataclass
class DtcReport:
    ts_ms: int
    stored: list[str]
    pending: list[str]
    frames: dict[str, dict]


class Detection:
    """Cars' features, gate histories and queued DTC reports, judged as their data comes."""

    def __init__(self, detectors: Iterable[Detector], judge: Judge | None = None):
        detectors = list(detectors)
        self.detectors = [d for d in detectors if getattr(d, "gate", None) is None]
        self.hourly = [d for d in detectors if getattr(d, "gate", None) is not None]
        self.keep_hours = max((d.gate.n for d in self.hourly), default=0)  # type: ignore[attr-defined]
        self.judge = judge or Judge()
        self.cars: dict[str, CarFeatures] = {}
        self.gates: dict[str, dict[str, str]] = {}  # vin -> finding key -> hourly marks
        self.changes: list[Raise | Clear] = []
        self.judged_at: dict[str, int] = {}  # vin -> car time of the rules' last judgement
        self.dtcs: dict[str, DtcReport] = {}  # vin -> its newest DTC report applied
        self.reports: dict[str, list[DtcReport]] = {}  # vin -> reports queued, not yet applied

    def restore(self, vin: str, car: CarFeatures, gates: dict[str, str]) -> None:
        """Take the car's features and gate histories as saved (a restart, or a rewind to a
        checkpoint before late samples): its newest trouble codes stay, and its rules are
        judged again from here."""
        self.cars[vin], self.gates[vin] = car, dict(gates)
        if (report := self.dtcs.get(vin)) is not None:
            car.update_dtcs(report.ts_ms, report.stored, report.pending)
        self.judged_at.pop(vin, None)

    def take_changes(self) -> list[Raise | Clear]:
        """The alert changes judged since the last call."""
        changes, self.changes = self.changes, []
        return changes

    def queue(self, vin: str, reports: Iterable[DtcReport]) -> None:
        """Queue DTC reports; each is judged before the first sample after it (or at catch_up)."""
        merged = {r.ts_ms: r for r in self.reports.get(vin, [])}
        merged.update((r.ts_ms, r) for r in reports)
        self.reports[vin] = sorted(merged.values(), key=lambda r: r.ts_ms)

    def fold(self, vin: str, car: CarFeatures, ts_ms: int, values: dict[str, float]) -> None:
        """Judge what the sample at ts_ms closes (a stretch, DTC reports, hours), then fold it."""
        last = car.last_ts
        ended = last is not None and ts_ms // STRETCH_MS > last // STRETCH_MS
        if ended and self.judged_at.get(vin) != last:
            self.judge_stretch(vin, car)
        self.apply_reports(vin, car, until_ms=ts_ms)
        if self.hourly:
            self.score_hours(vin, car, ts_ms)
        car.update(ts_ms, values)

    def catch_up(self, vin: str, car: CarFeatures) -> None:
        """Judge everything the car has sent so far: its queued reports and its newest sample."""
        self.apply_reports(vin, car)
        if car.last_ts is not None and self.judged_at.get(vin) != car.last_ts:
            self.judge_stretch(vin, car)

    def judge_stretch(self, vin: str, car: CarFeatures) -> None:
        """The ungated detectors on the car's data up to its newest sample, at that time."""
        assert car.last_ts is not None
        findings = run_detectors(self.detectors, vin, car.snapshot(car.last_ts), baseline(car))
        self.changes += self.judge.judge(vin, car.last_ts, findings)
        self.judged_at[vin] = car.last_ts

    def apply_reports(self, vin: str, car: CarFeatures, until_ms: int | None = None) -> None:
        """Judge the car's queued DTC reports up to until_ms (all without it), each at its time."""
        pending = self.reports.get(vin)
        while pending and (until_ms is None or pending[0].ts_ms <= until_ms):
            report = pending.pop(0)
            before = self.dtcs.get(vin)
            report.frames = {**(before.frames if before else {}), **report.frames}
            self.dtcs[vin] = report
            car.update_dtcs(report.ts_ms, report.stored, report.pending)
            open_keys = self.judge.open_keys(vin)
            found = dtc.findings(report.stored, report.pending, report.frames, open_keys)
            self.changes += self.judge.judge(vin, report.ts_ms, found)
        if not pending:
            self.reports.pop(vin, None)

    def score_hours(self, vin: str, car: CarFeatures, ts_ms: int) -> None:
        """Score the gated detectors at each hour boundary the next sample (ts_ms) crosses."""
        for hour_ms in hours_crossed(car.last_ts, ts_ms, self.keep_hours):
            snapshot, known = car.snapshot(hour_ms), baseline(car)
            marks = self.gates.setdefault(vin, {})
            gated: list[Finding] = []
            for detector in self.hourly:
                gate = detector.gate  # type: ignore[attr-defined]
                for f in run_detectors([detector], vin, snapshot, known):
                    marks[f.key] = history = gate.push(marks.get(f.key, ""), f.status)
                    gated.append(replace(f, status=gate.status(history)))
            self.changes += self.judge.judge(vin, hour_ms, gated)


def baseline(car: CarFeatures) -> dict[str, tuple[float, float]]:
    """The car's baseline as detectors take it: none (rules and DTCs only) until it is ready."""
    if car.baseline_days() < BASELINE_READY_DAYS:
        return {}
    return {name: b for name in car.baseline if (b := car.baseline_of(name)) is not None}
