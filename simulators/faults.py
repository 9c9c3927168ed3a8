"""Injected faults: each grows from its onset to its failure time, with a ground-truth label.

A fault only has a severity (0 before onset, rising to 1 at failure). The car model reads the
severity where the fault acts (battery, thermostat, ...) and the fault's monitor says which
trouble codes the engine computer would detect right now.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from core.clock import DAY_MS

if TYPE_CHECKING:
    from simulators.car import Car

DEFAULT_DEVELOP_DAYS = (3.0, 8.0)  # from onset to failure

KINDS = ("battery", "thermostat", "coolant_leak", "misfire", "vacuum_leak", "catalyst")
ALIASES = {"cooling": "thermostat", "vacuum": "vacuum_leak", "cat": "catalyst"}

# Monitor thresholds: what the engine computer treats as a failed test.
MISFIRE_SEVERITY_DETECTED = 0.5
CATALYST_SEVERITY_DETECTED = 0.7
LEAN_TRIM_DETECTED_PCT = 20.0  # long + short trim above this sets P0171 ...
LEAN_LONG_TRIM_DETECTED_PCT = 14.0  # ... when the long-term trim has learned most of it
THERMOSTAT_LOW_TEMP_C = 75.0  # warm engine still below this sets P0128
OVERHEAT_TEMP_C = 110.0  # P0217
WARM_RUN_S = 600  # monitors that need a warm engine wait this long after start


@dataclass(frozen=True)
class FaultLabel:
    """Ground truth for one injected fault, as written to the labels file."""

    fault: str
    onset_ms: int
    failure_ms: int
    detail: str | None = None  # e.g. the misfiring cylinder

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Fault:
    kind: str
    onset_ms: int
    failure_ms: int
    cylinder: int = 1  # misfire only

    def severity(self, ms: int) -> float:
        """0 before onset, rising steadily to 1 at the failure time, 1 afterwards."""
        if ms <= self.onset_ms:
            return 0.0
        if ms >= self.failure_ms:
            return 1.0
        return (ms - self.onset_ms) / (self.failure_ms - self.onset_ms)

    @property
    def label(self) -> FaultLabel:
        detail = f"cylinder {self.cylinder}" if self.kind == "misfire" else None
        return FaultLabel(self.kind, self.onset_ms, self.failure_ms, detail)

    def detected_codes(self, car: Car) -> list[str]:
        """Trouble codes this fault makes the engine computer detect at the car's present state."""
        sev = self.severity(car.now_ms)
        warm = car.running and car.run_time_s >= WARM_RUN_S
        if not warm or sev <= 0:
            return []
        if self.kind == "misfire" and sev >= MISFIRE_SEVERITY_DETECTED:
            return ["P0300", f"P030{self.cylinder}"]
        if self.kind == "catalyst" and sev >= CATALYST_SEVERITY_DETECTED:
            return ["P0420"]
        if (
            self.kind == "vacuum_leak"
            and car.total_trim_pct > LEAN_TRIM_DETECTED_PCT
            and car.ltft_pct > LEAN_LONG_TRIM_DETECTED_PCT
        ):
            return ["P0171"]
        if self.kind == "thermostat" and car.coolant_c < THERMOSTAT_LOW_TEMP_C:
            return ["P0128"]
        if self.kind == "coolant_leak" and car.coolant_c > OVERHEAT_TEMP_C:
            return ["P0217"]
        return []


def normalise_kind(name: str) -> str:
    """The canonical fault kind for a name or alias; ValueError lists the known kinds."""
    kind = ALIASES.get(name.strip().lower(), name.strip().lower())
    if kind not in KINDS:
        raise ValueError(
            f"unknown fault {name!r}; known: {', '.join(KINDS)} (aliases: {', '.join(ALIASES)})"
        )
    return kind


def make_fault(
    kind: str,
    start_ms: int,
    rng: random.Random,
    onset_within_days: float = 1.0,
    develop_days: tuple[float, float] = DEFAULT_DEVELOP_DAYS,
) -> Fault:
    """A fault of this kind with onset soon after start_ms and failure days after onset."""
    kind = normalise_kind(kind)
    onset = start_ms + int(rng.uniform(0, onset_within_days) * DAY_MS)
    failure = onset + int(rng.uniform(*develop_days) * DAY_MS)
    return Fault(kind, onset, failure, cylinder=rng.randint(1, 4))
