"""Labelled windows from simulated fleets: cars driven directly (no broker, no database), each
sample folded into CarFeatures, and an hourly model row labelled with the injected fault.

Each faulty car first lives a healthy stretch, so that its own baseline is its healthy self;
then the fault starts at a known onset and reaches failure days later. A row between onset and
failure is labelled with the fault and its days to failure; every other row is healthy.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from core.clock import DAY_MS
from diagnostics.features import CarFeatures
from diagnostics.lab.simfeed import feed
from diagnostics.learned.inputs import (
    INPUT_NAMES,
    MODEL_LINE,
    SCORE_AFTER_DAYS,
    car_baseline,
    model_row,
)
from simulators.car import Car, random_vin
from simulators.faults import DEFAULT_DEVELOP_DAYS, KINDS, Fault
from simulators.physics import car_physics

HOUR_MS = 3_600_000
SNAPSHOT_EVERY_MS = HOUR_MS  # one labelled row per simulated hour
HEALTHY_DAYS_BEFORE_ONSET = (6.0, 10.0)  # the car's own baseline forms in this time
HEALTHY_CAR_DAYS = 14.0
FAULT_SHARE = 0.6  # of the cars in a fleet; the kinds take turns
PROFILE_MIX = ("commuter", "commuter", "taxi", "weekend")  # as simulators.fleet
FLEET_START_MS = 1_767_225_600_000  # 2026-01-01 UTC: fixed, so a seed is a whole fleet


@dataclass(frozen=True)
class CarSpec:
    index: int
    seed: int
    vin: str
    profile: str
    line: str
    start_ms: int
    end_ms: int
    fault: Fault | None = None
    climate_c: float | None = None  # the car's mean outside temperature; None: the car draws it

    def car(self) -> Car:
        """The simulated car this spec describes."""
        return Car(
            start_ms=self.start_ms, seed=self.seed, vin=self.vin, profile=self.profile,
            faults=[self.fault] if self.fault else [], physics=car_physics(self.line, self.seed),
            ambient_c=self.climate_c,
        )  # fmt: skip


@dataclass
class Windows:
    """Rows of one or more fleets, with each row's car, time and ground truth."""

    X: np.ndarray
    car: np.ndarray  # index into cars
    ts_ms: np.ndarray
    mode: np.ndarray  # fault kind in [onset, failure), else ""
    ttf_days: np.ndarray  # days to failure for labelled rows, NaN otherwise
    cars: list[CarSpec] = field(default_factory=list)

    def labels(self, modes: tuple[str, ...] = KINDS) -> dict[str, np.ndarray]:
        """Per mode, the boolean label of each row."""
        return {m: self.mode == m for m in modes}

    def subset(self, car_indices: set[int]) -> Windows:
        """The rows of these cars only (car numbering is kept)."""
        rows = np.isin(self.car, sorted(car_indices))
        return Windows(
            self.X[rows], self.car[rows], self.ts_ms[rows], self.mode[rows],
            self.ttf_days[rows], self.cars,
        )  # fmt: skip


def plan_fleet(
    cars: int,
    seed: int,
    *,
    fault_share: float = FAULT_SHARE,
    lines: tuple[str, ...] = (MODEL_LINE,),
    healthy_days: float = HEALTHY_CAR_DAYS,
) -> list[CarSpec]:
    """Which cars a seed makes: profiles, model lines (in turn), faults with onset and failure,
    and how long to run."""
    rng = random.Random(seed)
    faulty = round(cars * fault_share)
    kinds = [KINDS[i % len(KINDS)] for i in range(faulty)] + [None] * (cars - faulty)
    rng.shuffle(kinds)
    specs = []
    for index, kind in enumerate(kinds):
        car_seed = rng.randrange(2**32)
        car_rng = random.Random(car_seed)
        start = FLEET_START_MS + rng.randrange(0, 30) * DAY_MS
        fault = None
        end = start + int(healthy_days * DAY_MS)
        if kind:
            onset = start + int(rng.uniform(*HEALTHY_DAYS_BEFORE_ONSET) * DAY_MS)
            failure = onset + int(rng.uniform(*DEFAULT_DEVELOP_DAYS) * DAY_MS)
            fault = Fault(kind, onset, failure, cylinder=rng.randint(1, 4))
            end = failure
        specs.append(
            CarSpec(
                index, car_seed, random_vin(car_rng), PROFILE_MIX[index % len(PROFILE_MIX)],
                lines[index % len(lines)], start, end, fault,
            )
        )  # fmt: skip
    return specs


def simulate_car(spec: CarSpec) -> tuple[np.ndarray, np.ndarray]:
    """The car's hourly model rows and their times, from SCORE_AFTER_DAYS until its end."""
    car = spec.car()
    features = CarFeatures()
    next_snap = spec.start_ms + int(SCORE_AFTER_DAYS * DAY_MS)
    rows, times = [], []
    for sample in feed(car, spec.end_ms):
        while sample.ts_ms >= next_snap:
            rows.append(model_row(features.snapshot(next_snap), car_baseline(features)))
            times.append(next_snap)
            next_snap += SNAPSHOT_EVERY_MS
        features.update(sample.ts_ms, sample.values)
        if sample.stored is not None:
            features.update_dtcs(sample.ts_ms, sample.stored, sample.pending or [])
    X = np.vstack(rows) if rows else np.empty((0, len(INPUT_NAMES)))
    return X, np.asarray(times, dtype=np.int64)


def generate(
    specs: list[CarSpec], *, workers: int = 2, on_car: Callable[[], None] | None = None
) -> Windows:
    """Simulate every car (in worker processes) and label the rows with the ground truth."""
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = []
            for result in pool.map(simulate_car, specs, chunksize=1):
                results.append(result)
                if on_car:
                    on_car()
    else:
        results = []
        for spec in specs:
            results.append(simulate_car(spec))
            if on_car:
                on_car()
    return label(specs, results)


def label(specs: list[CarSpec], results: list[tuple[np.ndarray, np.ndarray]]) -> Windows:
    """Windows from per-car rows: each row's mode and days to failure from the car's fault."""
    Xs, cars, times, modes, ttfs = [], [], [], [], []
    for spec, (X, ts) in zip(specs, results, strict=True):
        mode = np.full(len(ts), "", dtype=object)
        ttf = np.full(len(ts), np.nan)
        if spec.fault:
            inside = (ts >= spec.fault.onset_ms) & (ts < spec.fault.failure_ms)
            mode[inside] = spec.fault.kind
            ttf[inside] = (spec.fault.failure_ms - ts[inside]) / DAY_MS
        Xs.append(X)
        cars.append(np.full(len(ts), spec.index))
        times.append(ts)
        modes.append(mode)
        ttfs.append(ttf)
    return Windows(
        np.vstack(Xs), np.concatenate(cars), np.concatenate(times),
        np.concatenate(modes).astype(str), np.concatenate(ttfs), list(specs),
    )  # fmt: skip
