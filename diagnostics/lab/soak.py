"""The healthy soak: healthy cars of every model line, each with physics of its own, driven for
weeks through every detector exactly as the scoring service runs them (diagnostics.detection),
counting the alerts they open. A healthy car should open none.

The cars are driven directly, with no broker and no database, so a soak of hundreds of cars
over a month takes minutes, not hours; `evaluate --replay` is the path that also goes through
ingest. Any alert a healthy car opens is a false alert, whatever its source: a rule, a trouble
code, or a learned model.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

from core.clock import DAY_MS
from diagnostics.detection import Detection, DtcReport
from diagnostics.features import CarFeatures
from diagnostics.lab.fleetdata import CarSpec, plan_fleet
from diagnostics.lab.simfeed import SimSample, feed
from diagnostics.rules import RuleDetector
from diagnostics.scoring import Clear, Detector, Raise
from simulators.physics import LINES

SOAK_SEED = 3  # neither the lab's training seed (1) nor its test seed (2)
SOAK_DAYS = 30.0
GOAL_PER_1000 = 1.0  # false alerts per 1,000 healthy car-days


@dataclass(frozen=True)
class Opened:
    """An alert a healthy car opened."""

    vin: str
    line: str
    mode: str
    source: str  # rule, dtc or model
    keys: tuple[str, ...]  # what raised it, e.g. rule:thermostat_running_cold
    ts_ms: int


def plan(
    cars: int,
    days: float = SOAK_DAYS,
    seed: int = SOAK_SEED,
    climate: tuple[float, float] | None = None,
) -> list[CarSpec]:
    """Healthy cars of every model line in turn, each driven for `days`.

    climate, (low, high) in °C, gives each car a mean outside temperature drawn from it,
    for example a northern winter that training never saw.
    """
    specs = plan_fleet(cars, seed, fault_share=0.0, lines=tuple(LINES), healthy_days=days)
    if climate is None:
        return specs
    rng = random.Random(seed)
    return [replace(s, climate_c=round(rng.uniform(*climate), 1)) for s in specs]


def drive(spec: CarSpec, detectors: list[Detector]) -> list[Opened]:
    """Drive one car through the detectors; the alerts it opened, in its time order."""
    car = spec.car()
    return opened_alerts(spec.vin, spec.line, feed(car, spec.end_ms), detectors)


def opened_alerts(
    vin: str, line: str, samples: Iterable[SimSample], detectors: list[Detector]
) -> list[Opened]:
    """The alerts a car's samples open, judged as the scoring service judges them."""
    detection = Detection(detectors)
    features = detection.cars[vin] = CarFeatures()
    opened: list[Opened] = []
    open_modes: set[str] = set()

    def collect() -> None:
        for change in detection.take_changes():
            if isinstance(change, Clear):
                open_modes.discard(change.mode)
            elif isinstance(change, Raise) and change.mode not in open_modes:
                open_modes.add(change.mode)
                keys = tuple(sorted(change.reasons))
                opened.append(Opened(vin, line, change.mode, change.source, keys, change.ts_ms))

    for sample in samples:
        if sample.stored is not None:
            frame = sample.freeze_frame
            frames = {sample.freeze_frame_dtc: frame} if frame and sample.freeze_frame_dtc else {}
            report = DtcReport(sample.ts_ms, sample.stored, sample.pending or [], frames)
            detection.queue(vin, [report])
        detection.fold(vin, features, sample.ts_ms, sample.values)
        collect()
    detection.catch_up(vin, features)
    collect()
    return opened


_bundle: dict | None = None
_model: tuple[str, int] = ("", 0)


def _start_worker(bundle: dict | None, model: tuple[str, int]) -> None:
    global _bundle, _model
    _bundle, _model = bundle, model


def _drive_in_worker(spec: CarSpec) -> list[Opened]:
    return drive(spec, detectors_for(_bundle, _model))


def detectors_for(bundle: dict | None, model: tuple[str, int] = ("", 0)) -> list[Detector]:
    """The rules, plus the learned model's detector when a bundle is given."""
    detectors: list[Detector] = [RuleDetector()]
    if bundle is not None:
        from diagnostics.learned.detector import ModelDetector

        detectors.append(ModelDetector(bundle, model=model[0], version=model[1]))
    return detectors


def soak(
    specs: list[CarSpec],
    bundle: dict | None,
    model: tuple[str, int] = ("", 0),
    *,
    workers: int = 2,
    on_car: Callable[[], None] | None = None,
) -> dict:
    """Drive every car (in worker processes) and report the alerts they opened."""
    opened: list[Opened] = []
    with ProcessPoolExecutor(
        max(1, workers), initializer=_start_worker, initargs=(bundle, model)
    ) as pool:
        for found in pool.map(_drive_in_worker, specs, chunksize=1):
            opened += found
            if on_car:
                on_car()
    return report(specs, opened, learned=bundle is not None)


def report(specs: list[CarSpec], opened: list[Opened], *, learned: bool) -> dict:
    """Alerts per 1,000 car-days, overall and by line, source, mode and cause."""
    days_by_line: Counter[str] = Counter()
    for s in specs:
        days_by_line[s.line] += (s.end_ms - s.start_ms) / DAY_MS
    days = sum(days_by_line.values())

    def per_1000(count: int, over: float) -> float:
        return 1000 * count / over if over else float("nan")

    lines = {
        line: {
            "cars": sum(s.line == line for s in specs),
            "alerts": (n := sum(o.line == line for o in opened)),
            "per_1000": per_1000(n, d),
        }
        for line, d in days_by_line.items()
    }
    climates = [s.climate_c for s in specs if s.climate_c is not None]
    return {
        "cars": len(specs),
        "car_days": days,
        "climate_c": [min(climates), max(climates)] if climates else None,
        "learned": learned,
        "alerts": len(opened),
        "per_1000": per_1000(len(opened), days),
        "cars_alerted": len({o.vin for o in opened}),
        "lines": lines,
        "by_source": dict(Counter(o.source for o in opened).most_common()),
        "by_mode": dict(Counter(o.mode for o in opened).most_common()),
        "by_cause": dict(Counter(k for o in opened for k in o.keys).most_common()),
    }


def format_report(r: dict) -> list[str]:
    """The soak as lines of text, its last line a one-line summary."""
    layers = (
        "rules, trouble codes and the learned model" if r["learned"] else "rules and trouble codes"
    )
    out = [
        f"healthy soak: {r['cars']} healthy cars, {r['car_days']:.0f} car-days, every model line"
        f" ({layers})" + _climate_text(r.get("climate_c")),
        f"{'line':<12}{'cars':>6}{'alerts':>8}{'per 1,000':>11}",
    ]
    for line, row in r["lines"].items():
        out.append(f"{line:<12}{row['cars']:>6}{row['alerts']:>8}{row['per_1000']:>11.2f}")
    for what in ("by_source", "by_mode", "by_cause"):
        if r[what]:
            named = ", ".join(f"{k} {v}" for k, v in r[what].items())
            out.append(f"alerts {what.replace('_', ' ')}: {named}")
    verdict = "within" if r["per_1000"] <= GOAL_PER_1000 else "over"
    out.append(
        f"soak_false_per_1000={r['per_1000']:.2f} cars_alerted={r['cars_alerted']} "
        f"({verdict} the goal of {GOAL_PER_1000:g})"
    )
    return out


def _climate_text(climate: list[float] | None) -> str:
    return f", mean outside temperature {climate[0]:g} to {climate[1]:g} °C" if climate else ""
