"""Samples from a simulated car, as an edge agent would read them, but fast enough for tests.

A real agent reads every signal at its own period. Simulating days that way is slow, so this
feed steps the engine at RUN_STEP_S, parks in long steps (stopping exactly at each trip start so
that the cranking dip is seen), and reads the whole catalogue at each step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from simulators.car import Car

RUN_STEP_S = 5.0  # sampling step while the engine runs
PARKED_STEP_S = 900.0  # sampling step while parked
CRANK_STEP_S = 0.5
DTC_EVERY_S = 60.0  # how often the trouble codes are read while running


@dataclass
class SimSample:
    ts_ms: int
    values: dict[str, float]
    stored: list[str] | None = None  # set when the trouble codes were read at this sample
    pending: list[str] | None = None
    freeze_frame: dict[str, float] | None = None
    freeze_frame_dtc: str | None = None


def feed(
    car: Car,
    until_ms: int,
    *,
    run_step_s: float = RUN_STEP_S,
    parked_step_s: float = PARKED_STEP_S,
) -> Iterator[SimSample]:
    """Advance the car to until_ms, yielding a sample at each step (and the DTCs now and then)."""
    last_dtc_ms = -(10**15)
    while car.now_ms < until_ms:
        if car.state == "parked":
            start = car._next_trip().start_ms  # stop at the trip start to see the crank
            step = min(parked_step_s, max(0.001, (start - car.now_ms) / 1000))
        elif car.state == "cranking":
            step = CRANK_STEP_S
        else:
            step = run_step_s
        step = min(step, max(0.001, (until_ms - car.now_ms) / 1000))
        car.advance(step)
        sample = SimSample(car.now_ms, car.values())
        if car.running and car.now_ms - last_dtc_ms >= DTC_EVERY_S * 1000:
            last_dtc_ms = car.now_ms
            sample.stored = list(car.ecu.stored)
            sample.pending = car.ecu.pending
            sample.freeze_frame = dict(car.ecu.freeze_frame) if car.ecu.freeze_frame else None
            sample.freeze_frame_dtc = car.ecu.freeze_frame_dtc
        yield sample
