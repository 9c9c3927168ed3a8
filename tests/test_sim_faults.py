"""Each injected fault shows its signature before its failure time; a healthy car shows none."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import pytest

from core.clock import DAY_MS
from core.signals import out_of_range
from simulators.car import Car
from simulators.faults import KINDS, Fault, make_fault, normalise_kind
from simulators.fleet import parse_faults

START_MS = 1_767_225_600_000  # 2026-01-01 00:00 UTC
ONSET_MS = START_MS + DAY_MS
FAILURE_MS = START_MS + 6 * DAY_MS
STEP_S = 10.0
SEED = 21


@dataclass
class Run:
    """What a scan tool and a data logger would have seen, by simulated time."""

    samples: list[tuple[int, str, dict]] = field(default_factory=list)  # (ms, state, values)
    cranks: list[tuple[int, float]] = field(default_factory=list)  # (ms, lowest voltage)
    first_pending: dict[str, int] = field(default_factory=dict)
    first_stored: dict[str, int] = field(default_factory=dict)
    car: Car | None = None

    def window(self, begin_ms: int, end_ms: int, state: str = "running", min_run_s: int = 0):
        return [
            v
            for ms, s, v in self.samples
            if begin_ms <= ms < end_ms and s == state and v["RUN_TIME"] >= min_run_s
        ]


def simulate(faults: list[Fault], days: float = 6.0) -> Run:
    car = Car(start_ms=START_MS, seed=SEED, profile="taxi", faults=faults)
    run = Run(car=car)
    last_crank = None
    while car.now_ms < START_MS + days * DAY_MS:
        car.advance(STEP_S)
        run.samples.append((car.now_ms, car.state, car.values()))
        if car.last_crank_min_v is not None and car.last_crank_min_v != last_crank:
            last_crank = car.last_crank_min_v
            run.cranks.append((car.now_ms, last_crank))
        for code in car.ecu.pending:
            run.first_pending.setdefault(code, car.now_ms)
        for code in car.ecu.stored:
            run.first_stored.setdefault(code, car.now_ms)
    return run


@pytest.fixture(scope="module")
def healthy() -> Run:
    return simulate([])


def faulty(kind: str) -> Run:
    return simulate([Fault(kind, ONSET_MS, FAILURE_MS, cylinder=3)])


LATE = (ONSET_MS + int(0.6 * (FAILURE_MS - ONSET_MS)), FAILURE_MS)  # late in the development
BEFORE_ONSET = (START_MS, ONSET_MS)


def test_a_healthy_car_sets_no_codes_and_keeps_its_mil_off(healthy):
    assert healthy.first_pending == {} and healthy.first_stored == {}
    assert not healthy.car.ecu.mil and healthy.car.ecu.freeze_frame is None


def test_weak_battery_resting_voltage_falls_and_cranking_dips_deepen(healthy):
    run = faulty("battery")

    def resting(r: Run, window) -> float:
        return statistics.median(v["CONTROL_MODULE_VOLTAGE"] for v in r.window(*window, "parked"))

    assert resting(run, LATE) < resting(healthy, LATE) - 0.3
    assert resting(run, BEFORE_ONSET) == pytest.approx(resting(healthy, BEFORE_ONSET), abs=0.05)
    late_dips = [v for ms, v in run.cranks if LATE[0] <= ms < LATE[1]]
    healthy_dips = [v for ms, v in healthy.cranks if LATE[0] <= ms < LATE[1]]
    assert max(late_dips) < min(healthy_dips) - 0.5


def test_stuck_open_thermostat_warms_slowly_and_runs_cold_then_p0128(healthy):
    run = faulty("thermostat")

    def warm_temp(r: Run) -> float:
        return statistics.mean(v["COOLANT_TEMP"] for v in r.window(*LATE, min_run_s=900))

    assert warm_temp(run) < warm_temp(healthy) - 8
    assert_pending_then_stored(run, ["P0128"])


def test_coolant_leak_makes_the_engine_run_hotter_then_p0217(healthy):
    run = faulty("coolant_leak")
    hottest = max(v["COOLANT_TEMP"] for v in run.window(*LATE))
    assert hottest > max(v["COOLANT_TEMP"] for v in healthy.window(*LATE)) + 10
    assert_pending_then_stored(run, ["P0217"])


def test_misfire_roughens_idle_then_p0300_and_the_cylinder_code(healthy):
    run = faulty("misfire")

    def idle_roughness(r: Run, window) -> float:
        idle = [v["RPM"] for v in r.window(*window, min_run_s=600) if v["SPEED"] == 0]
        return statistics.pstdev(idle)

    early = (ONSET_MS + int(0.3 * (FAILURE_MS - ONSET_MS)), LATE[0])
    assert idle_roughness(run, early) > 2 * idle_roughness(healthy, early)
    assert idle_roughness(run, LATE) > 4 * idle_roughness(healthy, LATE)
    assert_pending_then_stored(run, ["P0300", "P0303"])


def test_vacuum_leak_drives_long_term_trim_lean_past_10_percent_then_p0171(healthy):
    run = faulty("vacuum_leak")
    lean_at = next(ms for ms, s, v in run.samples if v["LONG_FUEL_TRIM_1"] > 10)
    assert ONSET_MS < lean_at < run.first_pending["P0171"]
    assert max(v["LONG_FUEL_TRIM_1"] for v in healthy.window(*LATE)) < 10
    assert_pending_then_stored(run, ["P0171"])


def test_catalyst_downstream_o2_follows_upstream_then_p0420(healthy):
    run = faulty("catalyst")

    def downstream_swing(r: Run) -> float:
        return statistics.pstdev(v["O2_B1S2"] for v in r.window(*LATE, min_run_s=300))

    assert downstream_swing(run) > 5 * downstream_swing(healthy)
    assert_pending_then_stored(run, ["P0420"])


def assert_pending_then_stored(run: Run, codes: list[str]) -> None:
    """Each code is pending before it is stored, both before the failure; MIL and frame set."""
    for code in codes:
        assert code in run.first_pending and code in run.first_stored, (code, run.first_stored)
        assert run.first_pending[code] < run.first_stored[code] < FAILURE_MS
        assert run.first_pending[code] > ONSET_MS
    ecu = run.car.ecu
    assert ecu.mil and set(codes) <= set(ecu.stored)
    assert ecu.freeze_frame_dtc in codes
    assert ecu.freeze_frame["RPM"] > 0  # taken with the engine running, when the code was stored
    assert not [p for n, v in ecu.freeze_frame.items() if (p := out_of_range(n, v))]


def test_clearing_codes_forgets_them_until_the_fault_is_found_again():
    run = faulty("misfire")
    car = run.car
    assert car.ecu.stored
    car.clear_dtcs()
    assert car.ecu.stored == [] and car.ecu.pending == [] and car.ecu.freeze_frame is None
    assert car.values()["DISTANCE_SINCE_DTC_CLEAR"] == 0
    car.advance(2 * 86_400)
    assert "P0300" in car.ecu.stored


def test_fault_severity_labels_and_parsing():
    fault = Fault("battery", ONSET_MS, FAILURE_MS)
    assert fault.severity(ONSET_MS - 1) == 0 and fault.severity(FAILURE_MS) == 1
    assert 0 < fault.severity((ONSET_MS + FAILURE_MS) // 2) < 1
    assert fault.label.as_dict() == {
        "fault": "battery", "onset_ms": ONSET_MS, "failure_ms": FAILURE_MS, "detail": None,
    }  # fmt: skip
    assert normalise_kind("Cooling") == "thermostat"
    with pytest.raises(ValueError, match="unknown fault 'brakes'"):
        normalise_kind("brakes")
    import random

    made = make_fault("misfire", START_MS, random.Random(1))
    assert START_MS <= made.onset_ms < made.failure_ms and made.failure_ms - made.onset_ms >= DAY_MS
    assert sorted(filter(None, parse_faults("battery:2,misfire", 5, random.Random(0)))) == [
        "battery", "battery", "misfire",
    ]  # fmt: skip
    assert sum(k is not None for k in parse_faults("0.5", 12, random.Random(0))) == 6
    assert set(filter(None, parse_faults("1", 6, random.Random(0)))) == set(KINDS)
    with pytest.raises(ValueError, match="only 1 cars"):
        parse_faults("battery:2", 1, random.Random(0))
