"""A simulated car: drives to a profile, warms up, charges, burns fuel, ages and breaks.

Everything is driven by one random.Random seeded at construction, so a car is reproducible.
Signal values are those of the catalogue (core.signals), in python-OBD units.
"""

from __future__ import annotations

import math
import random
from collections import deque

from core.clock import DAY_MS
from core.vin import with_check_digit
from simulators.drive import Driver, gear_rpm
from simulators.ecu import DtcMemory
from simulators.faults import Fault
from simulators.physics import Physics
from simulators.profiles import PROFILES, Profile, Trip, local_midnight, plan_day

RUN_STEP_S = 1.0  # physics step while the engine runs
MONITOR_PERIOD_S = 10.0  # how often the engine computer runs its fault monitors
TANK_L = 50.0
REFUEL_BELOW_PCT = 15.0
PARKED_COOLING_TAU_S = 3000.0
SURFACE_CHARGE_TAU_S = 1200.0  # after the engine stops, the battery settles to rest
CLOSED_LOOP_ABOVE_C = 40.0  # below, the engine runs open loop (no trims, cold O2 sensor)
TRIM_LIMIT_PCT = 25.0  # the engine computer cannot correct further than this
MAX_COOLANT_C = 130.0
STALE_TRIP_MS = 30 * 60_000  # a trip this late is skipped rather than started late
# In the cold a healthy battery sags further while cranking (V per °C below 21 °C, and more
# per °C below freezing), and thick oil cranks longer below freezing (s at -20 °C and colder).
SAG_BELOW_21_V_PER_C = 0.022
SAG_BELOW_0_V_PER_C = 0.035
COLD_CRANK_EXTRA_S = 0.6
COLD_CRANK_FULL_C = -20.0

# Chinese makers' world manufacturer identifiers (first three VIN characters).
WMIS = ("LSV", "LFV", "LGB", "LVS", "LBV", "LSG", "LHG", "LVG")
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_MODEL_YEARS = "JKLMNPRS"  # 2018-2025


def random_vin(rng: random.Random) -> str:
    """A valid Chinese-style VIN (GB 16735, with check digit), starting with 'L'."""
    vds = "".join(rng.choice(_VIN_CHARS) for _ in range(5))
    plant = rng.choice("ABCDEFGH0123456789")
    serial = f"{rng.randrange(1_000_000):06d}"
    return with_check_digit(f"{rng.choice(WMIS)}{vds}0{rng.choice(_MODEL_YEARS)}{plant}{serial}")


class Car:
    """One simulated car. Call advance(dt_s) to move its clock; read values() or the fields."""

    def __init__(
        self,
        *,
        start_ms: int,
        seed: int = 0,
        vin: str | None = None,
        profile: str | Profile = "commuter",
        faults: tuple[Fault, ...] | list[Fault] = (),
        ambient_c: float | None = None,
        physics: Physics | None = None,
    ):
        self.physics = physics or Physics()
        self.rng = random.Random(seed)
        rng = self.rng
        self.vin = vin or random_vin(rng)
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile
        self.faults = list(faults)
        self.now_ms = start_ms
        self.ecu = DtcMemory()
        self.driver = Driver(rng)
        self.climate_c = ambient_c if ambient_c is not None else rng.uniform(5, 28)
        self.battery_rest_v = rng.uniform(12.55, 12.75)
        self.own_trim_pct = rng.uniform(-3, 3)  # injector and sensor tolerances of this car
        self.trim_drift_pct = 0.0
        self.odometer_km = rng.uniform(3_000, 60_000)
        self.distance_since_clear_km = rng.uniform(0, 2_000)
        self.fuel_pct = rng.uniform(30, 95)

        self.state = "parked"  # parked, cranking, running
        self.stopped_ms = start_ms - 6 * 3_600_000
        self.coolant_c = self.intake_c = self.ambient_c
        self.speed_kmh = self.rpm = self.load_pct = self.throttle_pct = self.maf_gs = 0.0
        self.stft_pct, self.ltft_pct = 0.0, self.own_trim_pct
        self.o2_up_v = self.o2_down_v = 0.1
        self.module_v = self._resting_voltage()
        self.run_time_s = 0.0
        self.crank_left_s = 0.0
        self.last_crank_min_v: float | None = None
        self.trips_started = 0
        self._o2_phase = 0.0
        self._monitor_s = 0.0
        self._segments: deque[tuple[str, float]] = deque()
        self._trips: deque[Trip] = deque()
        self._planned_until = local_midnight(start_ms)

    # ---- the clock -------------------------------------------------------------------------

    def advance(self, dt_s: float) -> None:
        """Move simulated time forward by dt_s seconds, driving whatever the profile plans."""
        target = self.now_ms + int(round(dt_s * 1000))
        while self.now_ms < target:
            left_s = (target - self.now_ms) / 1000
            if self.state == "parked":
                start = self._next_trip().start_ms
                if start <= self.now_ms:
                    self._begin_trip()
                    continue
                self._park_step(min(target, start) - self.now_ms)
            elif self.state == "cranking":
                dt = min(self.crank_left_s, left_s)
                self._crank_step(dt)
            else:
                dt = min(RUN_STEP_S, left_s, self._segments[0][1]) if self._segments else 0
                if dt <= 0:
                    self._end_trip()
                    continue
                self._run_step(dt)

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def ambient_c(self) -> float:
        """Outside air: the car's climate plus a day-night swing peaking mid-afternoon."""
        hour = ((self.now_ms + 8 * 3_600_000) % DAY_MS) / 3_600_000
        return self.climate_c + 5.0 * math.sin(2 * math.pi * (hour - 9) / 24)

    @property
    def total_trim_pct(self) -> float:
        return self.stft_pct + self.ltft_pct

    def severity(self, kind: str) -> float:
        """How far the injected faults of this kind have developed (0 healthy, 1 failed)."""
        return max((f.severity(self.now_ms) for f in self.faults if f.kind == kind), default=0.0)

    # ---- trips -----------------------------------------------------------------------------

    def _next_trip(self) -> Trip:
        while not self._trips:
            self._trips.extend(plan_day(self.profile, self._planned_until, self.rng))
            self._planned_until += DAY_MS
            while self._trips and self._trips[0].start_ms < self.now_ms - STALE_TRIP_MS:
                self._trips.popleft()  # planned for before the car existed
        return self._trips[0]

    def _begin_trip(self) -> None:
        trip = self._trips.popleft()
        self.trips_started += 1
        if self.fuel_pct < REFUEL_BELOW_PCT:
            self.fuel_pct = self.rng.uniform(90, 100)
        self._segments = deque(trip.segments)
        self.driver.set_mode(self._segments[0][0])
        battery = self.severity("battery")
        self.state = "cranking"
        frozen = min(1.0, max(0.0, self.ambient_c / COLD_CRANK_FULL_C))
        self.crank_left_s = 0.8 + 2.5 * battery + COLD_CRANK_EXTRA_S * frozen
        self.crank_left_s += self.rng.uniform(0, 0.4)
        self.last_crank_min_v = None

    def _crank_step(self, dt: float) -> None:
        battery = self.severity("battery")
        rest = self._resting_voltage()
        sag = 1.9 + 2.8 * battery + self._cold_sag()
        self.module_v = rest - sag - self.rng.uniform(0, 0.3)
        self.last_crank_min_v = min(self.last_crank_min_v or 99.0, self.module_v)
        self.rpm = self.rng.uniform(180, 260)
        self.now_ms += max(1, int(dt * 1000))
        self.crank_left_s -= dt
        if self.crank_left_s <= 1e-6:
            if battery >= 1.0 and self.rng.random() < 0.5:  # the failed battery cannot start it
                self._segments.clear()
                self._stop_engine()
                return
            self.state = "running"
            self.run_time_s = 0.0
            self.rpm, self.module_v = self._idle_rpm(), self._charging_v(moving=False)

    def _end_trip(self) -> None:
        self._stop_engine()
        self.ecu.end_drive_cycle()

    def _stop_engine(self) -> None:
        self.state = "parked"
        self.stopped_ms = self.now_ms
        self.speed_kmh = self.rpm = self.load_pct = self.throttle_pct = self.maf_gs = 0.0
        self.stft_pct = 0.0
        self.run_time_s = 0.0
        self.o2_up_v = self.o2_down_v = 0.1

    # ---- physics ---------------------------------------------------------------------------

    def _cold_sag(self) -> float:
        """The extra cranking sag of a healthy battery at today's outside temperature (V)."""
        amb = self.ambient_c
        return SAG_BELOW_21_V_PER_C * max(0.0, 21 - amb) + SAG_BELOW_0_V_PER_C * max(0.0, -amb)

    def _resting_voltage(self) -> float:
        return self.battery_rest_v - 0.8 * self.severity("battery")

    def _idle_rpm(self) -> float:
        return self.physics.idle_rpm + max(0.0, 60 - self.coolant_c) * 6

    def _charging_v(self, *, moving: bool) -> float:
        """The alternator's set point, a little lower at idle."""
        return self.physics.charge_v - (0.0 if moving else 0.15)

    def _park_step(self, dt_ms: int) -> None:
        self.now_ms += dt_ms
        dt = dt_ms / 1000
        amb = self.ambient_c
        self.coolant_c = amb + (self.coolant_c - amb) * math.exp(-dt / PARKED_COOLING_TAU_S)
        self.intake_c = amb + (self.intake_c - amb) * math.exp(-dt / (PARKED_COOLING_TAU_S / 2))
        since_stop = (self.now_ms - self.stopped_ms) / 1000
        surface = 0.45 * math.exp(-since_stop / SURFACE_CHARGE_TAU_S)
        noise = self.physics.noise
        self.module_v = self._resting_voltage() + surface + self.rng.gauss(0, 0.01 * noise)

    def _run_step(self, dt: float) -> None:
        rng = self.rng
        mode, left = self._segments[0]
        if left - dt <= 1e-9:
            self._segments.popleft()
            if self._segments:
                self.driver.set_mode(self._segments[0][0])
        else:
            self._segments[0] = (mode, left - dt)
        self.now_ms += int(round(dt * 1000))
        self.run_time_s += dt
        amb = self.ambient_c

        old_speed = self.speed_kmh
        self.speed_kmh = self.driver.step(old_speed, dt)
        accel = (self.speed_kmh - old_speed) / dt
        misfire = self.severity("misfire")
        idle_rpm = self._idle_rpm()
        rpm = max(idle_rpm + 80, gear_rpm(self.speed_kmh)) if self.speed_kmh > 3 else idle_rpm
        noise = self.physics.noise
        rpm += max(0.0, accel) * 25 + rng.gauss(0, 6 * noise + 90 * misfire)
        self.rpm = min(6500.0, max(500.0, rpm))

        load = 18 + 0.25 * self.speed_kmh + 5 * max(0.0, accel)
        load += rng.gauss(0, 1.5 * noise + 6 * misfire)
        if accel < -3:
            load = 12.0  # fuel cut on the overrun
        self.load_pct = min(98.0, max(8.0, load))
        self.throttle_pct = min(90.0, max(11.0, 12 + 0.6 * (self.load_pct - 18)))
        air = self.physics.displacement_l / 120 * self.rpm * 1.2 * self.load_pct / 100 * 1.05
        self.maf_gs = max(0.5, air + rng.gauss(0, 0.05 * air))

        self._fuel_and_trims(dt, misfire, fuel_cut=accel < -3)
        self._temperatures(dt, amb)
        self.module_v = self._charging_v(moving=self.speed_kmh >= 3) + rng.gauss(0, 0.05 * noise)

        km = self.speed_kmh * dt / 3600
        self.odometer_km += km
        self.distance_since_clear_km = min(65_535.0, self.distance_since_clear_km + km)
        self.fuel_pct = max(0.0, self.fuel_pct - self.maf_gs / 14.7 / 745 * dt / TANK_L * 100)

        self._monitor_s += dt
        if self._monitor_s >= MONITOR_PERIOD_S:
            self._monitor_s = 0.0
            for fault in self.faults:
                self.ecu.report(fault.detected_codes(self), self.values)

    def _fuel_and_trims(self, dt: float, misfire: float, fuel_cut: bool) -> None:
        rng = self.rng
        warm = self.coolant_c >= CLOSED_LOOP_ABOVE_C and self.run_time_s > 30
        # Injectors and sensors drift slowly around this car's own offset.
        self.trim_drift_pct += -self.trim_drift_pct * dt / 3600 + rng.gauss(0, 0.03) * dt**0.5
        leak_gs = 1.0 * self.severity("vacuum_leak")  # unmetered air: matters most at idle
        lean_pct = 100 * leak_gs / (self.maf_gs + leak_gs)
        if not warm:
            self.stft_pct = 0.0
            self.o2_up_v = 0.45 + rng.gauss(0, 0.01)  # the sensor is not hot yet
        elif fuel_cut:
            self.stft_pct = 0.0
            self.o2_up_v = 0.05 + rng.gauss(0, 0.01)  # only air flows past the sensor
        else:
            need = self.own_trim_pct + self.trim_drift_pct + lean_pct + rng.gauss(0, 0.3)
            self.ltft_pct += (need - self.ltft_pct) * min(1.0, dt / 90)
            self.ltft_pct = max(-TRIM_LIMIT_PCT, min(TRIM_LIMIT_PCT, self.ltft_pct))
            stft = need - self.ltft_pct + rng.gauss(0, 2.0)
            self.stft_pct = max(-TRIM_LIMIT_PCT, min(TRIM_LIMIT_PCT, stft))
            self._o2_phase += 2 * math.pi * (0.8 + self.speed_kmh / 100) * dt
            lean_bias = 0.15 * misfire + (0.2 if need - self.ltft_pct > TRIM_LIMIT_PCT else 0)
            up = 0.45 + 0.38 * math.tanh(2.5 * math.sin(self._o2_phase)) - lean_bias
            self.o2_up_v = min(1.0, max(0.02, up + rng.gauss(0, 0.02)))
        catalyst = self.severity("catalyst")
        steady = 0.68 + 0.03 * math.sin(self.now_ms / 60_000) + rng.gauss(0, 0.01)
        if not warm:
            steady = 0.45
        down = (1 - catalyst) * steady + catalyst * self.o2_up_v
        self.o2_down_v = min(1.0, max(0.02, down))

    def _temperatures(self, dt: float, amb: float) -> None:
        heat = 0.02 * self.maf_gs + 0.03
        opening = min(1.0, max(0.0, (self.coolant_c - self.physics.thermostat_opens_c) / 8))
        opening = max(opening, 0.6 * self.severity("thermostat"))
        # A leak leaves air where coolant was: the radiator loses its grip quickly.
        leak = self.severity("coolant_leak")
        radiator = 0.006 * (1 + self.speed_kmh / 60) * max(0.05, 1 - 1.3 * leak)
        loss = (0.0004 + radiator * opening) * (self.coolant_c - amb)
        self.coolant_c = min(MAX_COOLANT_C, self.coolant_c + (heat - loss) * dt)
        target = amb + 3 + (self.coolant_c - amb) * 0.25 / (1 + self.speed_kmh / 30)
        self.intake_c += (target - self.intake_c) * min(1.0, dt / 30)

    # ---- what the car reports --------------------------------------------------------------

    def values(self) -> dict[str, float]:
        """Every catalogue signal the car answers, at the present moment."""
        physics = self.physics
        read = self._true_values()
        read["COOLANT_TEMP"] = round(self.coolant_c + physics.coolant_offset_c)
        volt = self.module_v + physics.volt_offset_v
        read["CONTROL_MODULE_VOLTAGE"] = round(volt, 3)
        read["ELM_VOLTAGE"] = round(volt - 0.1, 1)
        for name in physics.missing:
            read.pop(name, None)
        return read

    def _true_values(self) -> dict[str, float]:
        return {
            "RPM": round(self.rpm, 2),
            "SPEED": round(self.speed_kmh),
            "ENGINE_LOAD": round(self.load_pct, 1),
            "COOLANT_TEMP": round(self.coolant_c),
            "SHORT_FUEL_TRIM_1": round(self.stft_pct, 1),
            "LONG_FUEL_TRIM_1": round(self.ltft_pct, 1),
            "INTAKE_TEMP": round(self.intake_c),
            "MAF": round(self.maf_gs, 2),
            "THROTTLE_POS": round(self.throttle_pct, 1),
            "O2_B1S1": round(self.o2_up_v, 3),
            "O2_B1S2": round(self.o2_down_v, 3),
            "RUN_TIME": min(65_535, int(self.run_time_s)),
            "FUEL_LEVEL": round(self.fuel_pct, 1),
            "DISTANCE_SINCE_DTC_CLEAR": int(self.distance_since_clear_km),
            "CONTROL_MODULE_VOLTAGE": round(self.module_v, 3),
            "AMBIANT_AIR_TEMP": round(self.ambient_c),
            "ODOMETER": round(self.odometer_km, 1),
            "ELM_VOLTAGE": round(self.module_v - 0.1, 1),
        }

    def clear_dtcs(self) -> None:
        """What a workshop scan tool's mode 04 does."""
        self.ecu.clear()
        self.distance_since_clear_km = 0.0
