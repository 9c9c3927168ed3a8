"""The healthy soak drives cars through the detectors exactly as the scoring service does."""

from __future__ import annotations

import itertools
import math
import os
import random
import subprocess
import sys

import pytest

from core.clock import DAY_MS
from core.db import connect
from core.wire import now_ms
from diagnostics.lab import soak
from diagnostics.lab.fleetdata import CarSpec
from diagnostics.lab.simfeed import feed
from diagnostics.rules import RuleDetector
from ingest.store import Store
from simulators.car import Car, random_vin
from simulators.faults import Fault
from simulators.physics import DEFAULT_LINE, LINES
from simulators.profiles import local_midnight
from tests.diag_support import STEP_MS, CarWriter, drive, scorer

DAYS = 6


def _spec(index: int, kind: str | None, start: int) -> CarSpec:
    # full severity two days before the end, so that the last days' drives show it
    fault = Fault(kind, start + DAY_MS, start + (DAYS - 2) * DAY_MS, cylinder=2) if kind else None
    vin = random_vin(random.Random(index))
    return CarSpec(index, 1000 + index, vin, "commuter", DEFAULT_LINE, start, start + DAYS * DAY_MS,
                   fault)  # fmt: skip


def _car(spec: CarSpec) -> Car:
    return Car(start_ms=spec.start_ms, seed=spec.seed, vin=spec.vin, profile=spec.profile,
               faults=[spec.fault] if spec.fault else [])  # fmt: skip


def test_the_soak_opens_the_alerts_the_scoring_service_opens(db_url):
    start = local_midnight(now_ms() - (DAYS + 1) * DAY_MS)
    specs = [_spec(0, "battery", start), _spec(1, "thermostat", start), _spec(2, None, start)]
    store, score = Store(db_url), scorer(db_url)
    try:
        drive(store, score, [CarWriter(_car(s)) for s in specs], start + DAYS * DAY_MS)
    finally:
        score.close()
        store.close()
    with connect(db_url) as conn:
        rows = conn.execute(
            "SELECT vin, failure_mode, min((extract(epoch FROM first_seen) * 1000)::bigint)"
            " FROM alerts WHERE failure_mode <> 'stale' GROUP BY vin, failure_mode"
        ).fetchall()
    online = {(vin, mode): ts for vin, mode, ts in rows}

    lab = {}
    for spec in specs:
        # the same samples: the simulator's steps, and so its data, depend on where feeds stop
        car = _car(spec)
        ends = range(start + STEP_MS, start + DAYS * DAY_MS + STEP_MS, STEP_MS)
        samples = itertools.chain.from_iterable(feed(car, min(end, spec.end_ms)) for end in ends)
        for opened in soak.opened_alerts(spec.vin, spec.line, samples, [RuleDetector()]):
            lab.setdefault((opened.vin, opened.mode), opened.ts_ms)
    by_vin = {s.vin: s.fault.kind if s.fault else None for s in specs}
    assert {by_vin[vin] for vin, _ in online} >= {"battery", "thermostat"}, online
    assert not [key for key in online if by_vin[key[0]] is None], "the healthy car opened none"
    assert lab == online  # same modes, opened at the same car time


def test_a_soak_counts_alerts_per_1000_car_days_by_line_source_and_cause():
    start = 1_767_225_600_000
    specs = [
        CarSpec(i, i, f"VIN{i:014d}", "commuter", line, start, start + 10 * DAY_MS)
        for i, line in enumerate([*LINES, *LINES])
    ]  # 6 cars, 60 car-days
    opened = [
        soak.Opened(specs[1].vin, specs[1].line, "cooling", "rule",
                    ("rule:thermostat_running_cold",), start),
        soak.Opened(specs[1].vin, specs[1].line, "battery", "model", ("model:m:battery",), start),
        soak.Opened(specs[2].vin, specs[2].line, "cooling", "rule",
                    ("rule:thermostat_running_cold",), start),
    ]  # fmt: skip
    r = soak.report(specs, opened, learned=True)
    assert r["car_days"] == 60
    assert math.isclose(r["per_1000"], 50.0)
    assert r["cars_alerted"] == 2
    assert r["lines"][specs[1].line] == {"cars": 2, "alerts": 2, "per_1000": 100.0}
    assert r["lines"][DEFAULT_LINE]["alerts"] == 0
    assert r["by_source"] == {"rule": 2, "model": 1}
    assert r["by_cause"]["rule:thermostat_running_cold"] == 2
    text = soak.format_report(r)
    assert text[-1].startswith("soak_false_per_1000=50.00 cars_alerted=2 (over the goal")


def test_a_soak_plan_is_healthy_and_takes_every_line_in_turn():
    specs = soak.plan(6, days=3)
    assert all(s.fault is None for s in specs)
    assert [s.line for s in specs] == [*LINES, *LINES]
    assert all(s.end_ms - s.start_ms == 3 * DAY_MS for s in specs)


def test_a_soak_plan_can_take_a_climate_training_never_saw():
    specs = soak.plan(6, days=3, climate=(-25.0, -5.0))
    assert all(-25 <= s.climate_c <= -5 for s in specs)
    assert len({s.climate_c for s in specs}) > 1, "each car its own climate"
    assert [s.seed for s in specs] == [s.seed for s in soak.plan(6, days=3)], "the same cars"
    assert all(s.car().climate_c == s.climate_c for s in specs)
    r = soak.report(specs, [], learned=False)
    assert r["climate_c"] == [min(s.climate_c for s in specs), max(s.climate_c for s in specs)]
    assert "mean outside temperature" in soak.format_report(r)[0]


@pytest.mark.parametrize("climate", ["-5", "0:-10", "cold:warm", "-80:0"])
def test_the_soak_command_refuses_a_climate_it_cannot_read(climate):
    done = subprocess.run(
        [sys.executable, "-m", "cli", "diagnostics", "evaluate", "--no-learned",
         "--soak-cars", "3", "--soak-climate", climate],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--soak-climate" in done.stderr and "-25:0" in done.stderr, done.stderr


def test_the_soak_command_reports_the_rate_and_needs_no_database():
    done = subprocess.run(
        [sys.executable, "-m", "cli", "diagnostics", "evaluate", "--no-learned",
         "--soak-cars", "3", "--soak-days", "3", "--workers", "1"],
        env={**os.environ, "PITSTOP_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    head = "healthy soak: 3 healthy cars, 9 car-days, every model line (rules and trouble codes)"
    assert head in out, out
    assert out[-1].startswith("soak_false_per_1000=0.00 cars_alerted=0 (within the goal of 1)")


def test_evaluate_without_a_model_says_how_to_get_one(db_url):
    done = subprocess.run(
        [sys.executable, "-m", "cli", "diagnostics", "evaluate", "--soak-cars", "3"],
        env={**os.environ, "PITSTOP_DATABASE_URL": db_url},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    said = " ".join(done.stderr.split())
    assert "pitstop diagnostics train" in said and "--no-learned" in said, said
