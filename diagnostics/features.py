"""Incremental per-car window features: one sample at a time, never a rescan of history.

Each car keeps small running aggregates (diagnostics.buckets) in time buckets: 5-minute
buckets for the last hour and hourly buckets for the last day. A snapshot merges the buckets of
a window, so its cost does not grow with history. This module decides what each sample means
(running, cranking, parked; warm idle; a trip's start and end). Events that happen once per
trip (the cranking dip, the warm-up time) go into the same buckets as observations.

What each feature means physically (units are those of the signal catalogue):

    rest_v_*        battery voltage with the engine off, at least an hour after it stopped (V)
    rest_v_trend    slope of the daily resting voltage over the last days (V/day)
    crank_v_*       lowest voltage seen while the starter turns the engine, referred to
                    21 °C with the load-test allowance for the cold (diagnostics.battery) (V)
    charge_v_*      voltage while running, i.e. the alternator's regulation (V)
    coolant_max_*   hottest coolant while running (°C)
    coolant_warm_*  mean coolant once the engine has run 10 minutes and its coolant has held
                    within 4 °C for 3 minutes, i.e. has stopped warming (°C): low = stuck open
    warmup_s_*      seconds from a cold start to 80 °C (censored at 30 min)
    climb_s_trips   seconds from 60 to 80 °C (censored at 20 min), mean of the last trips that
                    started below 60 °C: a thermostat stuck slightly open slows this first
    *_trips         means over the last TRIP_MEMORY trips, however old: a car driven once a
                    week keeps its evidence between trips, when its day window is empty
    ltft_*          long-term fuel trim at warm running; ltft_idle_* at warm idle (%)
    rpm_idle_std_*  spread of RPM at warm idle: roughness, as from a misfire (rpm)
    load_idle_std_* spread of engine load at warm idle (%)
    o2_corr_*       correlation of the downstream O2 sensor with the upstream one
    o2_switch_*     downstream / upstream crossings of 0.45 V: a healthy catalyst is near 0
    dtc_*           stored and pending trouble codes at the last DTC report
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from core.clock import DAY_MS
from core.signals import SIGNALS
from diagnostics import buckets
from diagnostics.battery import referred_crank_v
from diagnostics.buckets import NAN, Bucket, aggregate, bucket_at, from_json, to_json

HOUR_MS = 3_600_000
FINE_MS = 300_000  # buckets of the hour window
COARSE_MS = HOUR_MS  # buckets of the day window
REST_SETTLE_MS = HOUR_MS  # surface charge has faded to a few mV an hour after the engine stops
REST_DAYS = 8  # daily resting means kept for the trend
TREND_MIN_DAYS = 3  # fewer days give no trend
RUNNING_RPM = 450.0  # above this the engine runs; between CRANKING_RPM and this it cranks
CRANKING_RPM = 50.0
WARM_C = 70.0  # coolant at which trims, O2 and idle are judged (closed loop, warm idle)
WARM_RUN_S = 120.0  # seconds after start before warm judgements
SETTLED_RUN_S = 600.0  # coolant_warm counts after the engine has run this long ...
STEADY_MS = 180_000  # ... and its coolant has stayed within STEADY_C for this long
STEADY_C = 4.0  # an engine still warming climbs more than this in STEADY_MS
COLD_START_C = 50.0  # a start below this times the warm-up
WARMUP_TARGET_C = 80.0
WARMUP_CENSOR_S = 1800.0  # a warm-up not done by then is recorded as this long
COOLED_MS = 3 * 3_600_000  # parked this long, the intake air is at the outside temperature
COOLED_INTAKE = "cooled_intake"  # kept with the last values: the last such reading
STALE_VALUE_MS = 30_000  # a slow signal's last value stands in for this long
TRIP_GAP_MS = 600_000  # no running sample for this long ends the trip
O2_SWITCH_V = 0.45
BASELINE_ALPHA = 1 / 14  # weight of a new day in the car's baseline after the first days
BASELINE_WARM_DAYS = 7  # plain mean over the first days, then exponential
BASELINE_READY_DAYS = 2  # the learned models judge a car once its baseline has this many days
VOLT_RANGE = (5.0, 20.0)  # readings outside are adapter glitches, not the battery
CLIMB_FROM_C = 60.0  # the climb is timed from here to WARMUP_TARGET_C ...
CLIMB_CENSOR_S = 1200.0  # ... and recorded as this long when not done by then
TRIP_MEMORY = 3  # trips remembered for the *_trips features
TRIP_STATS = ("climb_s", "warmup_s", "coolant_warm")

# (feature stem, statistic, aggregate) per window; the order is the model's column order.
_WINDOWED = (
    ("rest_v_mean", "rest_v", "mean"), ("rest_v_min", "rest_v", "min"),
    ("crank_v_min", "crank_v", "min"), ("crank_v_mean", "crank_v", "mean"),
    ("charge_v_mean", "charge_v", "mean"), ("charge_v_min", "charge_v", "min"),
    ("charge_v_max", "charge_v", "max"),
    ("coolant_max", "coolant", "max"), ("coolant_warm_mean", "coolant_warm", "mean"),
    ("warmup_s_mean", "warmup_s", "mean"), ("warmup_s_max", "warmup_s", "max"),
    ("ltft_mean", "ltft", "mean"), ("ltft_idle_mean", "ltft_idle", "mean"),
    ("rpm_idle_std", "rpm_idle", "std"), ("load_idle_std", "load_idle", "std"),
)  # fmt: skip
WINDOWS = ("1h", "1d")
FEATURE_NAMES: tuple[str, ...] = (
    *(f"{stem}_{w}" for w in WINDOWS for stem, _, _ in _WINDOWED),
    *(f"{stem}_{w}" for w in WINDOWS for stem in ("o2_corr", "o2_switch", "samples", "running")),
    "rest_v_trend", "dtc_stored", "dtc_pending",
    *(f"{stat}_trips" for stat in TRIP_STATS),
)  # fmt: skip
_RANGES = {s.name: (s.minimum, s.maximum) for s in SIGNALS}  # outside: a bad reading, skipped


def _finite(values: dict[str, float], name: str) -> float | None:
    value = values.get(name)
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value):
        return None
    low, high = _RANGES.get(name, (-math.inf, math.inf))
    return value if low <= value <= high else None


class CarFeatures:
    """One car's running feature state; update() with samples in time order, snapshot() any time."""

    def __init__(self) -> None:
        self.fine: dict[int, Bucket] = {}
        self.coarse: dict[int, Bucket] = {}
        self.rest_days: dict[int, list[float]] = {}  # epoch day -> [n, sum]
        self.last_ts: int | None = None
        self.running = False
        self.trip_start: int | None = None
        self.last_run_ts: int | None = None
        self.stopped_at: int | None = None
        self.cold_start: bool | None = None
        self.warmup_done = False
        self.last: dict[str, tuple[int, float]] = {}  # slow signals: last value and its time
        self.prev_o2: tuple[float, float] | None = None
        self.dtc_stored: float = NAN
        self.dtc_pending: float = NAN
        self.baseline: dict[str, list[float]] = {}  # feature -> [days, mean, variance]
        self.baseline_ts: int | None = None
        self.trips: dict[str, list[float]] = {}  # stat -> its last TRIP_MEMORY trip values
        self.climb: list = [False, None, False]  # [armed, time 60 °C was reached, done]
        self.trip_warm = [0.0, 0.0]  # this trip's settled coolant: n, sum
        self.steady: list = [None, 0.0, 0.0]  # [since, lowest, highest] coolant of this plateau
        self._closed: dict[str, buckets.Closed] = {}  # per window; rebuilt, never saved

    # ---- input -------------------------------------------------------------------------------

    def update(self, ts_ms: int, values: dict[str, float]) -> None:
        """Fold in one sample; NaN, missing signals and implausible voltages are skipped."""
        if self.last_ts is not None and ts_ms <= self.last_ts:
            return  # repeated or late: diagnostics.service rewinds to a checkpoint for those
        self._maybe_roll_baseline(ts_ms)
        for name in ("COOLANT_TEMP", "RPM", "SPEED", "RUN_TIME", "AMBIANT_AIR_TEMP", "INTAKE_TEMP"):
            if (v := _finite(values, name)) is not None:
                self.last[name] = (ts_ms, v)
        rpm = self._recent("RPM", ts_ms)
        speed = self._recent("SPEED", ts_ms)
        coolant = self._recent("COOLANT_TEMP", ts_ms)
        volt = _finite(values, "CONTROL_MODULE_VOLTAGE")
        if volt is None:
            volt = _finite(values, "ELM_VOLTAGE")
        if volt is not None and not VOLT_RANGE[0] <= volt <= VOLT_RANGE[1]:
            volt = None
        obs: list[tuple[str, float]] = []
        running = rpm is not None and rpm >= RUNNING_RPM
        if self.running and self.last_run_ts is not None and ts_ms - self.last_run_ts > TRIP_GAP_MS:
            self._end_trip(self.last_run_ts)
        if running and not self.running:
            self._start_trip(ts_ms, coolant)
        elif not running and self.running and rpm is not None:
            self._end_trip(ts_ms)
        if running:
            self.last_run_ts = ts_ms
            run_s = (ts_ms - (self.trip_start or ts_ms)) / 1000
            run_s = max(run_s, self._recent("RUN_TIME", ts_ms) or 0.0)
            obs += self._running_obs(ts_ms, values, run_s, speed, coolant, volt)
        elif rpm is not None and CRANKING_RPM < rpm < RUNNING_RPM and volt is not None:
            obs.append(("crank_v", referred_crank_v(volt, self._outside_air(ts_ms))))
        elif volt is not None and (rpm is None or rpm < CRANKING_RPM):
            if self.stopped_at is None:
                self.stopped_at = ts_ms  # first seen parked: settle from here
            if ts_ms - self.stopped_at >= REST_SETTLE_MS:
                obs.append(("rest_v", volt))
                day = self.rest_days.setdefault(ts_ms // DAY_MS, [0.0, 0.0])
                day[0] += 1
                day[1] += volt
                if len(self.rest_days) > REST_DAYS:
                    del self.rest_days[min(self.rest_days)]
        self._record(ts_ms, obs, running)
        self.last_ts = ts_ms

    def update_dtcs(self, ts_ms: int, stored: Iterable[str], pending: Iterable[str]) -> None:
        """Remember how many codes the last DTC report carried."""
        self.dtc_stored = float(len(set(stored)))
        self.dtc_pending = float(len(set(pending)))

    def _recent(self, name: str, ts_ms: int) -> float | None:
        seen = self.last.get(name)
        return seen[1] if seen and ts_ms - seen[0] <= STALE_VALUE_MS else None

    def _outside_air(self, ts_ms: int) -> float | None:
        """The outside temperature at a start, for a car with or without the ambient PID.

        Without it, the intake air of a car that stood COOLED_MS is taken as the outside air
        (and kept for a day); after a shorter stop the intake is still warm, so the colder of
        it and the last cooled reading is used.
        """
        if (ambient := self._recent("AMBIANT_AIR_TEMP", ts_ms)) is not None:
            return ambient
        intake = self._recent("INTAKE_TEMP", ts_ms)
        stood = ts_ms - self.stopped_at if self.stopped_at is not None else 0
        if intake is not None and stood >= COOLED_MS:
            self.last[COOLED_INTAKE] = (ts_ms, intake)
            return intake
        cooled = self.last.get(COOLED_INTAKE)
        if cooled is None or ts_ms - cooled[0] > DAY_MS:
            return intake
        return cooled[1] if intake is None else min(cooled[1], intake)

    def _start_trip(self, ts_ms: int, coolant: float | None) -> None:
        self.running = True
        self.trip_start = ts_ms
        self.cold_start = None if coolant is None else coolant < COLD_START_C
        self.warmup_done = False
        self.prev_o2 = None
        self.climb = [coolant is not None and coolant < CLIMB_FROM_C, None, False]
        self.trip_warm = [0.0, 0.0]
        self.steady = [None, 0.0, 0.0]

    def _remember(self, stat: str, value: float) -> None:
        kept = self.trips.setdefault(stat, [])
        kept.append(value)
        del kept[:-TRIP_MEMORY]

    def _end_trip(self, ts_ms: int) -> None:
        if self.trip_warm[0]:
            self._remember("coolant_warm", self.trip_warm[1] / self.trip_warm[0])
        self.trip_warm = [0.0, 0.0]
        self.running = False
        self.stopped_at = ts_ms
        self.trip_start = None
        self.prev_o2 = None

    def _running_obs(self, ts_ms, values, run_s, speed, coolant, volt) -> list[tuple[str, float]]:
        obs: list[tuple[str, float]] = []
        if volt is not None and run_s >= 60:
            obs.append(("charge_v", volt))
        if coolant is None:
            return obs
        obs.append(("coolant", coolant))
        if self.cold_start is None:
            self.cold_start = coolant < COLD_START_C and run_s < 120
        done = coolant >= WARMUP_TARGET_C or run_s >= WARMUP_CENSOR_S
        if self.cold_start and not self.warmup_done and done:
            obs.append(("warmup_s", min(run_s, WARMUP_CENSOR_S)))
            self._remember("warmup_s", min(run_s, WARMUP_CENSOR_S))
            self.warmup_done = True
        self._time_climb(ts_ms, coolant)
        if self._steady(ts_ms, coolant) and run_s >= SETTLED_RUN_S:
            obs.append(("coolant_warm", coolant))
            self.trip_warm[0] += 1
            self.trip_warm[1] += coolant
        if coolant < WARM_C or run_s < WARM_RUN_S:
            return obs
        idle = speed is not None and speed == 0
        if (ltft := _finite(values, "LONG_FUEL_TRIM_1")) is not None:
            obs.append(("ltft", ltft))
            if idle:
                obs.append(("ltft_idle", ltft))
        if idle and (rpm := _finite(values, "RPM")) is not None:
            obs.append(("rpm_idle", rpm))
            if (load := _finite(values, "ENGINE_LOAD")) is not None:
                obs.append(("load_idle", load))
        up, down = _finite(values, "O2_B1S1"), _finite(values, "O2_B1S2")
        if up is not None and down is not None:
            obs.append(("o2", up))
            obs.append(("o2_down", down))
        return obs

    def _steady(self, ts_ms: int, coolant: float) -> bool:
        """Whether the coolant has held within STEADY_C for STEADY_MS: no longer warming."""
        since, low, high = self.steady
        low, high = min(low, coolant), max(high, coolant)
        if since is None or high - low > STEADY_C:
            self.steady = [ts_ms, coolant, coolant]
            return False
        self.steady = [since, low, high]
        return ts_ms - since >= STEADY_MS

    def _time_climb(self, ts_ms: int, coolant: float) -> None:
        armed, since, done = self.climb
        if not armed or done:
            return
        if since is None:
            if coolant >= CLIMB_FROM_C:
                self.climb[1] = ts_ms
            return
        took = (ts_ms - since) / 1000
        if coolant >= WARMUP_TARGET_C or took >= CLIMB_CENSOR_S:
            self._remember("climb_s", min(took, CLIMB_CENSOR_S))
            self.climb[2] = True

    def _record(self, ts_ms: int, obs: list[tuple[str, float]], running: bool) -> None:
        targets = (
            bucket_at(self.fine, ts_ms // FINE_MS, HOUR_MS // FINE_MS),
            bucket_at(self.coarse, ts_ms // COARSE_MS, DAY_MS // COARSE_MS),
        )
        up = down = None
        stats = []
        for stat, value in obs:
            if stat == "o2":
                up = value
            elif stat == "o2_down":
                down = value
            else:
                stats.append((stat, value))
        buckets.add(targets, stats, running)
        if up is None or down is None:
            return
        cross_up = cross_down = False
        if self.prev_o2 is not None:
            cross_up = (self.prev_o2[0] - O2_SWITCH_V) * (up - O2_SWITCH_V) < 0
            cross_down = (self.prev_o2[1] - O2_SWITCH_V) * (down - O2_SWITCH_V) < 0
        self.prev_o2 = (up, down)
        buckets.add_o2(targets, up, down, cross_up, cross_down)

    # ---- output ------------------------------------------------------------------------------

    def snapshot(self, ts_ms: int) -> dict[str, float]:
        """FEATURE_NAMES over the hour and the day ending at ts_ms (NaN where unknown)."""
        out: dict[str, float] = {}
        windows = {
            "1h": self._window("1h", self.fine, ts_ms, FINE_MS, HOUR_MS),
            "1d": self._window("1d", self.coarse, ts_ms, COARSE_MS, DAY_MS),
        }
        for w, bucket in windows.items():
            for stem, stat, how in _WINDOWED:
                out[f"{stem}_{w}"] = aggregate(bucket, stat, how)
        for w, bucket in windows.items():
            out[f"o2_corr_{w}"], out[f"o2_switch_{w}"] = buckets.o2(bucket)
            out[f"samples_{w}"], out[f"running_{w}"] = buckets.samples(bucket)
        out["rest_v_trend"] = self._rest_trend(ts_ms)
        out["dtc_stored"] = self.dtc_stored
        out["dtc_pending"] = self.dtc_pending
        for stat in TRIP_STATS:
            kept = self.trips.get(stat)
            out[f"{stat}_trips"] = sum(kept) / len(kept) if kept else NAN
        return out

    def _window(
        self, name: str, kept: dict[int, Bucket], ts_ms: int, size: int, span: int
    ) -> Bucket:
        merged, self._closed[name] = buckets.window(
            kept, ts_ms, size, span, self.last_ts, self._closed.get(name)
        )
        return merged

    def _rest_trend(self, ts_ms: int) -> float:
        today = ts_ms // DAY_MS
        days = [
            (d, s / n) for d, (n, s) in self.rest_days.items() if n >= 3 and d > today - REST_DAYS
        ]
        if len(days) < TREND_MIN_DAYS:
            return NAN
        mx = sum(d for d, _ in days) / len(days)
        my = sum(v for _, v in days) / len(days)
        sxx = sum((d - mx) ** 2 for d, _ in days)
        return sum((d - mx) * (v - my) for d, v in days) / sxx if sxx else NAN

    # ---- the car's own baseline -------------------------------------------------------------

    def _maybe_roll_baseline(self, ts_ms: int) -> None:
        if self.baseline_ts is None:
            self.baseline_ts = ts_ms
            return
        if ts_ms - self.baseline_ts < DAY_MS:
            return
        self.baseline_ts = ts_ms
        for name, value in self.snapshot(ts_ms).items():
            if name.endswith(("_1d", "_trips")) and math.isfinite(value):
                days, mean, var = self.baseline.get(name, (0.0, 0.0, 0.0))
                alpha = 1 / (days + 1) if days < BASELINE_WARM_DAYS else BASELINE_ALPHA
                delta = value - mean
                mean += alpha * delta
                var = (1 - alpha) * (var + alpha * delta * delta)
                self.baseline[name] = [days + 1, mean, var]

    def baseline_days(self) -> int:
        """Days the car's own baseline has taken in (0 for a new car)."""
        return int(max((row[0] for row in self.baseline.values()), default=0))

    def baseline_of(self, name: str) -> tuple[float, float] | None:
        """The car's own long-run (mean, standard deviation) of a daily or trips feature."""
        row = self.baseline.get(name)
        return (row[1], math.sqrt(row[2])) if row else None

    # ---- persistence -------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """A JSON-safe dict (no NaN or infinities) that from_dict() turns back into this state."""
        return {
            "fine": {str(k): to_json(v) for k, v in self.fine.items()},
            "coarse": {str(k): to_json(v) for k, v in self.coarse.items()},
            "rest_days": {str(k): v for k, v in self.rest_days.items()},
            "last": {k: list(v) for k, v in self.last.items()},
            "scalars": to_json(
                [
                    self.last_ts,
                    self.running,
                    self.trip_start,
                    self.last_run_ts,
                    self.stopped_at,
                    self.cold_start,
                    self.warmup_done,
                    self.dtc_stored,
                    self.dtc_pending,
                    self.baseline_ts,
                ]
            ),
            "prev_o2": list(self.prev_o2) if self.prev_o2 else None,
            "baseline": self.baseline,
            "trips": self.trips,
            "trip": {"climb": self.climb, "warm": self.trip_warm, "steady": self.steady},
        }

    @classmethod
    def from_dict(cls, data: dict) -> CarFeatures:
        """Rebuild the state written by to_dict()."""
        car = cls()
        car.fine = {int(k): from_json(v) for k, v in data["fine"].items()}
        car.coarse = {int(k): from_json(v) for k, v in data["coarse"].items()}
        car.rest_days = {int(k): list(v) for k, v in data["rest_days"].items()}
        car.last = {k: (int(v[0]), float(v[1])) for k, v in data["last"].items()}
        scalars = data["scalars"]
        car.last_ts, car.running, car.trip_start, car.last_run_ts, car.stopped_at = scalars[:5]
        car.cold_start, car.warmup_done, stored, pending, car.baseline_ts = scalars[5:]
        car.running, car.warmup_done = bool(car.running), bool(car.warmup_done)
        car.dtc_stored = NAN if stored is None else stored
        car.dtc_pending = NAN if pending is None else pending
        car.prev_o2 = tuple(data["prev_o2"]) if data["prev_o2"] else None
        car.baseline = {k: list(v) for k, v in data["baseline"].items()}
        car.trips = {k: list(v) for k, v in data.get("trips", {}).items()}  # older states: none
        trip = data.get("trip")
        if trip:
            car.climb, car.trip_warm = list(trip["climb"]), list(trip["warm"])
            car.steady = list(trip.get("steady", car.steady))
        return car
