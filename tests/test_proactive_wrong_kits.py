"""What the evaluation's wrong-mode alerts would have booked: each wrong kit priced from the
group's catalogue and the store's labour rate, in the service and through the command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from api.proactive.kits import wrong_kits
from api.work_orders.constants import DEFAULT_LABOUR_RATE
from tests.factories import make_group, make_store
from tests.factories.parts import make_part
from tests.factories.workshop import make_operation

CONFUSION = {
    "battery": {"battery": 9, "cooling": 2},
    "cooling": {"cooling": 5, "battery": 1, "anomaly": 1},
    "misfire": {"misfire": 3},
}


@pytest.fixture(scope="module")
def world(db_url):
    engine = create_engine(db_url)
    with Session(engine) as session, session.begin():
        group = make_group(session)
        store = make_store(session, group)
        for code, hours in (("COOL-PT", "0.6"), ("THERMO-R", "1.5"), ("BAT-TEST", "0.3"),
                            ("BAT-REPL", "0.5"), ("DTC-SCAN", "0.5")):  # fmt: skip
            make_operation(session, group, code=code, hours=hours)
        for number, cost in (("X-121T-A", "180"), ("COOL-35-4L", "85"),
                             ("VARTA-C22-60AH", "260"), ("X-121T-B", "999")):  # fmt: skip
            make_part(session, group, cost=cost).part_number = number
        ids = (store.id, group.id, store.code)
    yield engine, *ids
    engine.dispose()


def test_each_wrong_kit_is_priced_dearest_first(world):
    engine, store_id, group_id, _ = world
    with Session(engine) as session:
        rows = wrong_kits(session, store_id=store_id, group_id=group_id, confusion=CONFUSION)
    booked = [(r.true_mode, r.booked_mode, r.alerts) for r in rows]
    assert booked == [("battery", "cooling", 2), ("cooling", "battery", 1),
                      ("cooling", "anomaly", 1)]  # fmt: skip
    cooling, battery, anomaly = (r.each for r in rows)
    # The thermostat pattern takes the catalogue's first match; list price is twice the cost.
    assert cooling.parts == Decimal(360 + 170) and cooling.hours == Decimal("2.1")
    assert cooling.labour == Decimal("2.1") * DEFAULT_LABOUR_RATE
    assert rows[0].total == 2 * (cooling.parts + cooling.labour)
    assert battery.parts == Decimal(520) and battery.hours == Decimal("0.8")
    assert anomaly.parts == 0 and anomaly.hours == Decimal("0.5")  # a diagnosis, no parts


def _pitstop(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PITSTOP_DATABASE_URL": db_url, "COLUMNS": "200"}
    command = [sys.executable, "-m", "cli", "diagnostics", "wrong-kits", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_the_command_prices_a_saved_report(world, db_url, tmp_path):
    _, _, _, code = world
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"summary": {}, "confusion": CONFUSION}))
    done = _pitstop(db_url, "--store", code, "--report", str(report))
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    booked = (
        2 * (530 + Decimal("2.1") * DEFAULT_LABOUR_RATE)
        + (520 + Decimal("0.8") * DEFAULT_LABOUR_RATE)
        + Decimal("0.5") * DEFAULT_LABOUR_RATE
    )
    assert last == f"wrong_kits=4 booked_value={booked:.2f} parts_value=1580.00 at {code}"


@pytest.mark.parametrize(
    ("store", "content", "problem"),
    [
        ("NOPE", {"confusion": {}}, "no store 'NOPE'; the stores are:"),
        (None, {"summary": {}}, "the report has no confusion table"),
        (None, "not json", "is not JSON"),
        (None, {"confusion": {"battery": {"cooling": "two"}}}, "no confusion table"),
    ],
)
def test_the_command_says_what_is_wrong(world, db_url, tmp_path, store, content, problem):
    report = tmp_path / "report.json"
    report.write_text(content if isinstance(content, str) else json.dumps(content))
    done = _pitstop(db_url, "--store", store or world[3], "--report", str(report))
    assert done.returncode == 2
    assert problem in " ".join(done.stderr.split())
