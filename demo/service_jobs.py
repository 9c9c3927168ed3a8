"""The jobs of the long history as data: operations, the parts each takes, the outcome, and
how often it comes in; and the parts a job picks for a given car."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from api.parts.models import Part


@dataclass(frozen=True)
class Job:
    """A typical job: its operations, parts (category, English name fragment, quantity)."""

    operations: tuple[str, ...]
    parts: tuple[tuple[str, str, int], ...]
    outcome: str
    cause: str | None
    weight: int
    complaint: str


OIL = (("filter", "Oil filter", 1), ("fluid", "4L", 1))
JOBS = (
    Job(("OIL-SVC",), OIL, "maintenance", None, 38, "常规保养"),
    Job(("OIL-SVC", "TYRE-ROT"), OIL, "maintenance", None, 12, "保养并做轮胎换位"),
    Job(
        ("OIL-SVC", "PLUG-R"),
        OIL
        + (
            ("filter", "Air filter", 1),
            ("filter", "Cabin air filter", 1),
            ("ignition", "Spark plug", 4),
        ),
        "maintenance",
        None,
        9,
        "大保养",
    ),
    Job(
        ("BRK-PAD-F", "BRK-FLUID"),
        (("brake", "Front brake pads", 1), ("fluid", "DOT4", 1)),
        "maintenance",
        None,
        7,
        "刹车异响",
    ),
    Job(("BRK-PAD-R",), (("brake", "Rear brake pads", 1),), "maintenance", None, 3, "后刹车片磨损"),
    Job(
        ("AC-SVC",),
        (("filter", "Cabin air filter", 1), ("fluid", "refrigerant", 1)),
        "maintenance",
        None,
        4,
        "空调不凉",
    ),
    Job(("ALIGN",), (("tyre", "", 2),), "maintenance", None, 4, "跑偏,更换轮胎"),
    Job(
        ("BAT-TEST", "BAT-REPL"),
        (("battery", "", 1),),
        "confirmed_cause",
        "battery_aging",
        6,
        "早上启动困难",
    ),
    Job(
        ("COOL-PT", "THERMO-R"),
        (("cooling", "Thermostat", 1), ("fluid", "coolant", 1)),
        "confirmed_cause",
        "thermostat_stuck_open",
        2,
        "水温偏低,暖风不热",
    ),
    Job(
        ("DTC-SCAN", "PLUG-R", "COIL-R"),
        (("ignition", "Spark plug", 4), ("ignition", "Ignition coil", 1)),
        "confirmed_cause",
        "P0301",
        3,
        "发动机抖动,故障灯亮",
    ),
    Job(
        ("O2-DIAG", "O2-REPL"),
        (("electrical", "Upstream O2", 1),),
        "confirmed_cause",
        "P0420",
        2,
        "故障灯亮,油耗升高",
    ),
    Job(("DTC-SCAN", "SMOKE-T"), (), "no_fault_found", None, 3, "怠速不稳"),
    Job(
        ("COOL-PT",),
        (("cooling", "Water pump", 1), ("fluid", "coolant", 1)),
        "confirmed_cause",
        "water_pump_leak",
        1,
        "冷却液减少",
    ),
    Job(
        ("DTC-SCAN",),
        (("engine", "Timing belt", 1),),
        "confirmed_cause",
        "timing_belt_wear",
        1,
        "发动机异响",
    ),
)
# Jobs that telematics predicts (the proactive visits): the demo fleet's failure modes.
PREDICTED = tuple(
    j for j in JOBS if j.cause in ("battery_aging", "thermostat_stuck_open", "P0301", "P0420")
)


def pick_job(rng: random.Random, predicted: bool) -> Job:
    """A job for a visit; predicted visits are one of the failure modes telematics sees."""
    jobs = PREDICTED if predicted else JOBS
    return rng.choices(jobs, [j.weight for j in jobs])[0]


class PartPicker:
    """The parts a job takes for a car: per-model parts that fit it, or generic ones, chosen by
    how much each sells."""

    def __init__(self, parts: list[Part], weekly: dict[int, float]) -> None:
        self.parts, self.weekly = parts, weekly
        self.cache: dict[tuple[str, str, str, str], list[Part]] = {}

    def _candidates(self, category: str, fragment: str, make: str, model: str) -> list[Part]:
        key = (category, fragment, make, model)
        if key not in self.cache:
            fitting = [
                p
                for p in self.parts
                if p.category == category and fragment.lower() in p.name_en.lower()
            ]
            own = [p for p in fitting if p.fits and p.fits.startswith(f"{make} {model} ")]
            generic = [p for p in fitting if not p.fits]
            if category == "fluid" and fragment == "4L":
                generic = [p for p in generic if "机油" in p.name_zh]
            self.cache[key] = own or generic or fitting
        return self.cache[key]

    def pick(
        self, rng: random.Random, job: Job, make: str, model: str
    ) -> list[tuple[Part, Decimal]]:
        """(part, quantity) for each part of the job that the catalogue has."""
        chosen = []
        for category, fragment, quantity in job.parts:
            candidates = self._candidates(category, fragment, make, model)
            if candidates:
                weights = [self.weekly.get(p.id, 0.05) + 0.02 for p in candidates]
                chosen.append((rng.choices(candidates, weights)[0], Decimal(quantity)))
        return chosen
