"""A fleet of simulated cars, each read by its own edge agent, on an accelerated clock.

Simulated time starts in the past (start_days_ago) and runs speed times faster than the
wall clock, but never passes the present: timestamps must stay believable at ingest. Each
car answers its agent through a SimLink, and each agent publishes to the real broker.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from core import wire
from core.clock import DAY_MS
from edge_agent.agent import Agent
from simulators.car import Car, random_vin
from simulators.faults import DEFAULT_DEVELOP_DAYS, KINDS, Fault, make_fault, normalise_kind
from simulators.link import Flakiness, SimLink

log = logging.getLogger(__name__)

PROFILE_MIX = ("commuter", "commuter", "taxi", "weekend")  # a dealer's typical customers
LOOP_PAUSE_S = 0.01  # between rounds of ticks, so the broker and paho threads get the CPU
# At the end, wait at most this long in all for acknowledgements; under the 20 s that
# `pitstop demo` allows the fleet after SIGTERM. Tests that cut the broker may allow more.
FLUSH_TIMEOUT_S = 15.0


def parse_faults(spec: str | None, cars: int, rng: random.Random) -> list[str | None]:
    """Which fault each car gets: 'battery:2,misfire:1' (counts) or '0.3' (a share of cars)."""
    assignment: list[str | None] = [None] * cars
    if not spec:
        return assignment
    try:
        share = float(spec)
    except ValueError:
        share = None
    if share is not None:
        if not 0 <= share <= 1:
            raise ValueError(f"fault share {spec!r} must be between 0 and 1")
        kinds = [KINDS[i % len(KINDS)] for i in range(round(share * cars))]
    else:
        kinds = []
        for part in spec.split(","):
            name, _, count = part.partition(":")
            if count and not count.strip().isdigit():
                raise ValueError(f"fault count in {part!r} must be a whole number, as battery:2")
            kinds += [normalise_kind(name)] * int(count or 1)
    if len(kinds) > cars:
        raise ValueError(f"{len(kinds)} faults asked for but only {cars} cars; add --cars")
    for car_index, kind in zip(rng.sample(range(cars), len(kinds)), kinds, strict=True):
        assignment[car_index] = kind
    return assignment


@dataclass
class CarPlan:
    """Who a fleet's car will be, known before anything runs: the same seed, the same plan."""

    vin: str
    seed: int
    profile: str
    fault: str | None
    rng: random.Random = field(repr=False, compare=False)  # the car's own, past its VIN


def fleet_plan(cars: int, faults: str | None = None, seed: int = 0) -> list[CarPlan]:
    """The fleet's cars in order: VIN, profile and fault kind, as Fleet(...) will build them."""
    rng = random.Random(seed)
    plans = []
    for index, kind in enumerate(parse_faults(faults, cars, rng)):
        car_seed = rng.randrange(2**32)
        car_rng = random.Random(car_seed)
        vin = random_vin(car_rng)
        plans.append(CarPlan(vin, car_seed, PROFILE_MIX[index % len(PROFILE_MIX)], kind, car_rng))
    return plans


@dataclass
class Member:
    car: Car
    link: SimLink
    agent: Agent
    fault: Fault | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    first_seq: int = 0


class Fleet:
    """N cars with their agents. build(), then run(seconds); labels() gives the ground truth."""

    def __init__(
        self,
        *,
        cars: int,
        mqtt_url: str,
        workdir: Path,
        speed: float = 1440.0,
        start_days_ago: float = 7.0,
        faults: str | None = None,
        seed: int = 0,
        flakiness: Flakiness | None = None,
        config: wire.VehicleConfig | None = None,
        start_ms: int | None = None,
        flush_timeout_s: float = FLUSH_TIMEOUT_S,
        car_urls: dict[str, str] | None = None,
    ):
        if cars < 1:
            raise ValueError(f"a fleet needs at least one car, got {cars}")
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.mqtt_url = mqtt_url
        self.workdir = Path(workdir)
        self.speed = speed
        self.flush_timeout_s = flush_timeout_s
        self.start_ms = (
            start_ms if start_ms is not None else wire.now_ms() - int(start_days_ago * DAY_MS)
        )
        self.members: list[Member] = []
        onset_within, develop = _fault_timing(start_days_ago)
        for plan in fleet_plan(cars, faults, seed):
            fault = plan.fault and make_fault(
                plan.fault, self.start_ms, plan.rng, onset_within, develop
            )
            car = Car(
                start_ms=self.start_ms,
                seed=plan.seed,
                vin=plan.vin,
                profile=plan.profile,
                faults=[fault] if fault else [],
            )
            link_flakiness = flakiness and Flakiness(
                flakiness.no_answer, flakiness.drop, flakiness.connect_failure, plan.seed
            )
            lock = threading.Lock()
            link = SimLink(car, flakiness=link_flakiness, lock=lock)
            if car_urls is not None and plan.vin not in car_urls:
                raise ValueError(f"no broker account for {plan.vin}: provision it first")
            agent = Agent(
                link=link,
                mqtt_url=car_urls[plan.vin] if car_urls is not None else mqtt_url,
                buffer_path=self.workdir / f"{plan.vin}.sqlite",
                config=config,
                clock=_clock_of(car),
                client_id=f"pitstop-sim-{plan.vin}",
            )
            self.members.append(Member(car, link, agent, fault, lock))

    def labels(self) -> list[dict]:
        """Ground truth per car: VIN, profile and the injected fault (or none)."""
        return [
            {
                "vin": m.car.vin,
                "profile": m.car.profile.name,
                "fault": m.fault.label.as_dict() if m.fault else None,
            }
            for m in self.members
        ]

    def write_labels(self, path: Path) -> None:
        """Write labels() as JSON, for training and for scoring predictions."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"start_ms": self.start_ms, "cars": self.labels()}, indent=2))

    def start(self) -> None:
        """Start every agent (link, VIN, broker connection)."""
        for m in self.members:
            m.agent.start()
            m.first_seq = m.agent.buffer.next_seq

    def sim_target_ms(self, elapsed_s: float) -> int:
        """Simulated time after elapsed_s real seconds, held back so it never passes now."""
        return min(self.start_ms + int(elapsed_s * self.speed * 1000), wire.now_ms())

    def step(self, target_ms: int) -> None:
        """Bring every car to target_ms and let its agent take one step."""
        for m in self.members:
            with m.lock:
                if target_ms > m.car.now_ms:
                    m.car.advance((target_ms - m.car.now_ms) / 1000)
            m.agent.recover_link()  # a dropped link comes back after the agent's backoff
            m.agent.tick()

    def run(self, seconds: float | None, stop: threading.Event | None = None) -> dict:
        """Drive the fleet for seconds of real time (or until stop is set); returns summary()."""
        stop = stop or threading.Event()
        self.start()
        began = time.monotonic()
        try:
            while not stop.is_set():
                elapsed = time.monotonic() - began
                if seconds is not None and elapsed >= seconds:
                    break
                self.step(self.sim_target_ms(elapsed))
                stop.wait(LOOP_PAUSE_S)
        finally:
            summary = self.finish()
        return summary

    def finish(self) -> dict:
        """Flush and stop every agent; returns summary()."""
        unsent = {}
        deadline = time.monotonic() + self.flush_timeout_s
        for m in self.members:
            if not m.agent.flush(max(0.1, deadline - time.monotonic())):
                log.warning("%s: messages left unsent in %s", m.car.vin, m.agent.buffer_path)
            unsent[m.car.vin] = m.agent.buffer.depth if m.agent.buffer else 0
        summary = self.summary(unsent)
        for m in self.members:
            m.agent.stop()
        return summary

    def summary(self, unsent: dict[str, int] | None = None) -> dict:
        """Samples produced per car, so a test can compare them with rows in the database."""
        cars = []
        for m in self.members:
            buffer = m.agent.buffer
            info = buffer.info() if buffer else None
            cars.append(
                {
                    "vin": m.car.vin,
                    "profile": m.car.profile.name,
                    "fault": m.fault.kind if m.fault else None,
                    "samples": (buffer.next_seq - m.first_seq) if buffer else None,
                    "dropped": info.dropped_telemetry if info else None,
                    "unsent": (unsent or {}).get(m.car.vin),
                    "trips": m.car.trips_started,
                    "sim_end_ms": m.car.now_ms,
                    "stored_dtcs": list(m.car.ecu.stored),
                }
            )
        return {
            "start_ms": self.start_ms,
            "cars": cars,
            "samples": sum(c["samples"] or 0 for c in cars),
        }


def _fault_timing(span_days: float) -> tuple[float, tuple[float, float]]:
    # Fit onset and failure into the simulated past where there is room, so that a run
    # from a week ago shows whole fault histories; otherwise the faults' own defaults.
    if span_days < 2:
        return 1.0, DEFAULT_DEVELOP_DAYS
    develop = (min(3.0, 0.4 * span_days), min(8.0, 0.7 * span_days))
    return min(1.0, 0.2 * span_days), develop


def _clock_of(car: Car):
    return lambda: car.now_ms
