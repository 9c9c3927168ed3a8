"""A recorded fleet replayed through ingest and the scorer, judged against its truth file;
the capture written by the recorder from a real broker; and the formats' clear refusals."""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from core.broker import MqttUrl
from core.clock import DAY_MS
from core.wire import now_ms, topic
from diagnostics.lab.capture import CaptureError, capture_line, read_capture, read_truth
from diagnostics.lab.recorder import Recorder
from simulators.car import random_vin

HOUR_MS = 3_600_000
STEP_MS = 10_000
ARRIVES_MS = 2_000  # from reading to arrival
# Long enough ago that ingest would refuse it if it judged the timestamps against today.
START_MS = (now_ms() - 420 * DAY_MS) // HOUR_MS * HOUR_MS


def _vins() -> dict[str, str]:
    rng = random.Random(11)
    return {name: random_vin(rng) for name in ("healthy", "caught", "wrong", "coded")}


def _line(vin: str, kind: str, payload: dict, received_ms: int) -> str:
    return capture_line(received_ms, topic(vin, kind), json.dumps(payload).encode())


def _drive(vin: str, hours: int) -> list[str]:
    """A car at cruise, read every 10 s and sent in batches of six (one a minute)."""
    lines, batch = [], []
    stamps = range(START_MS, START_MS + hours * HOUR_MS, STEP_MS)
    for seq, ts in enumerate(stamps, start=1):
        values = {"RPM": 1800.0, "SPEED": 60.0, "COOLANT_TEMP": 90.0}
        batch.append({"ts": ts, "seq": seq, "values": values})
        if len(batch) == 6:
            lines.append(_line(vin, "telemetry", {"samples": batch}, ts + ARRIVES_MS))
            batch = []
    return lines


def _codes(vin: str, at_ms: int, stored: list[str]) -> str:
    return _line(vin, "dtc", {"ts": at_ms, "stored": stored, "mil": True}, at_ms + ARRIVES_MS)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """Four cars over four hours: one healthy, one caught, one named wrong, one false alert."""
    vins = _vins()
    at = {h: START_MS + h * HOUR_MS for h in range(5)}
    lines = [line for vin in vins.values() for line in _drive(vin, 4)]
    lines += [
        _codes(vins["caught"], at[2], ["P0301"]),  # a misfire, caught in its window
        _codes(vins["wrong"], at[2] + 60_000, ["P0302"]),  # named misfire; truly the battery
        _codes(vins["coded"], at[1], ["P0420"]),  # a catalyst code on a healthy car
        # a sample with a field the contract does not have: ingest refuses it
        _line(vins["healthy"], "telemetry", {"samples": [{"ts": at[3], "seq": 9, "x": 1}]}, at[3]),
    ]
    random.Random(5).shuffle(lines)  # arrival order is restored from received_ms
    folder = tmp_path_factory.mktemp("replay")
    capture = folder / "capture.jsonl"
    capture.write_text("\n".join(lines) + "\n", encoding="utf-8")
    truth = folder / "truth.csv"
    iso = {h: f"{ms // 1000}000" for h, ms in at.items()}
    truth.write_text(
        "vin,mode,onset,failure\n"
        f"{vins['healthy']},healthy,,\n"
        f"{vins['caught']},misfire,{iso[1]},{iso[4]}\n"
        f"{vins['wrong']},battery,{iso[1]},{iso[4]}\n"
        f"{vins['coded']},healthy,,\n",
        encoding="utf-8",
    )
    return capture, truth, vins


def _pitstop(server_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PITSTOP_DATABASE_URL": server_url, "COLUMNS": "200"}
    command = [sys.executable, "-m", "cli", "diagnostics", "evaluate", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_a_replayed_fleet_is_judged_where_each_alert_opened(server_url, fleet):
    capture, truth, vins = fleet
    done = _pitstop(server_url, "--replay", str(capture), "--truth", str(truth), "--no-learned")
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert "rules and DTCs only" in lines[0]
    assert "4 cars, 2 faulty" in done.stdout
    # Healthy time: 4 h on each healthy car and 1 h before onset on each faulty one.
    assert "0.4 healthy car-days" in done.stdout
    assert "alerts opened in battery fault windows: misfire 1" in done.stdout
    assert "false alerts by source: dtc 1" in done.stdout
    assert re.search(r"rejected by ingest \(dead letters\): \w+ 1$", done.stdout, re.M)
    assert lines[-2] == "recall_any_mode=1.00"
    summary = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", lines[-1])}
    # One of two caught under its own mode, 2 h before failure; one false alert in 10 healthy
    # hours; three cars alerted, one of them rightly.
    assert summary["recall"] == 0.5 and summary["precision"] == 0.33
    assert summary["lead_days"] == 0.1
    assert summary["false_per_1000"] == pytest.approx(1000 / (10 / 24), rel=0.01)


def test_a_bad_truth_file_is_refused_with_its_line(server_url, fleet, tmp_path):
    capture, _, vins = fleet
    truth = tmp_path / "truth.csv"
    truth.write_text(f"vin,mode,onset,failure\n{vins['caught']},misfire,yesterday,\n")
    done = _pitstop(server_url, "--replay", str(capture), "--truth", str(truth))
    assert done.returncode == 2
    assert "truth.csv:2: onset 'yesterday' is neither ISO 8601" in " ".join(done.stderr.split())


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "capture.jsonl:1: not a JSON object"),
        ('{"payload": {}}', "capture.jsonl:1: each line needs a 'topic'"),
        ('{"topic": "t", "payload": {}}', "capture.jsonl:1: no 'received_ms', and no 'ts'"),
        ('{"topic": "t", "received_ms": "soon", "payload": {}}', "must be integer epoch"),
    ],
)
def test_a_bad_capture_line_names_its_line(tmp_path, line, problem):
    capture = tmp_path / "capture.jsonl"
    capture.write_text(line + "\n")
    with pytest.raises(CaptureError, match=problem):
        read_capture(capture)


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("SHORT,healthy,,", "not a 17-character VIN"),
        ("{vin},healthy,2026-11-03T08:00:00Z,", "a healthy car has no onset"),
        ("{vin},misfire,2026-11-03T08:00:00,2026-11-04T08:00:00Z", "needs a UTC offset"),
        ("{vin},misfire,2026-11-04T08:00:00Z,2026-11-03T08:00:00Z", "failure must come after"),
    ],
)
def test_a_bad_truth_row_says_what_to_write(tmp_path, row, problem):
    truth = tmp_path / "truth.csv"
    truth.write_text("vin,mode,onset,failure\n" + row.format(vin=_vins()["healthy"]) + "\n")
    with pytest.raises(CaptureError, match=problem):
        read_truth(truth)


def test_truth_names_a_simulator_fault_kind_by_its_failure_mode(tmp_path):
    truth = tmp_path / "truth.csv"
    vins = _vins()
    truth.write_text(
        "vin,mode,onset,failure\n"
        f"{vins['caught']},thermostat,2026-11-03T08:00:00+08:00,1793750400000\n"
        f"{vins['wrong']},turbo_seal,2026-11-03T08:00:00Z,2026-11-05T08:00:00Z\n"
    )
    cases = read_truth(truth)
    assert cases[vins["caught"]].alert_mode == "cooling"
    assert cases[vins["caught"]].onset_ms == 1793664000000
    assert cases[vins["wrong"]].alert_mode is None  # no Pitstop mode: any-mode catches only


def test_the_recorder_captures_what_cars_publish(mqtt_url, unique_prefix, tmp_path):
    path = tmp_path / "capture.jsonl"
    ready = threading.Event()
    with path.open("a", encoding="utf-8") as out:
        recorder = Recorder(mqtt_url, out)
        thread = threading.Thread(target=recorder.run, args=(30,), kwargs={"on_ready": ready.set})
        thread.start()
        assert ready.wait(15), "the recorder did not subscribe"
        vin = random_vin(random.Random(unique_prefix))
        sent = {"samples": [{"ts": now_ms(), "seq": 1, "values": {"RPM": 800.0}}]}
        car = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"car-{unique_prefix}")
        target = MqttUrl.parse(mqtt_url)
        target.configure(car)
        car.connect(target.host, target.port)
        car.loop_start()
        car.publish(topic(vin, "telemetry"), json.dumps(sent), qos=1).wait_for_publish(10)
        car.publish(topic(vin, "status"), b"\xff not json", qos=1).wait_for_publish(10)
        car.loop_stop()
        car.disconnect()
        for _ in range(100):
            if sum(vin in line for line in path.read_text().splitlines()) >= 2:
                break
            time.sleep(0.1)
        recorder.stop()
        thread.join(10)
    lines = [json.loads(x) for x in path.read_text().splitlines() if vin in x]
    assert [x["topic"] for x in lines] == [topic(vin, "telemetry"), topic(vin, "status")]
    assert lines[0]["payload"] == sent and lines[1]["payload_base64"] == "/yBub3QganNvbg=="
    assert abs(lines[0]["received_ms"] - now_ms()) < 60_000
    replayable = [m for m in read_capture(path) if vin in m.topic]
    assert json.loads(replayable[0].payload) == sent and replayable[1].payload == b"\xff not json"


def test_a_simulated_fleet_capture_is_what_ingest_accepts(tmp_path):
    from diagnostics.lab.fleetdata import plan_fleet
    from diagnostics.lab.simcapture import write_fleet
    from ingest.batch import Batch, Message

    specs = plan_fleet(2, seed=3, fault_share=0.5)
    capture, truth = tmp_path / "fleet.jsonl", tmp_path / "truth.csv"
    written = write_fleet(specs, capture, truth, read_every_s=10)
    messages = read_capture(capture)
    assert len(messages) == written > 100
    batch = Batch()
    for m in messages:
        batch.add(Message(m.topic, m.payload, 0, 1, 0, received_ms=m.received_ms))
    assert batch.dead_letters == [] and batch.kinds.keys() == {"telemetry", "dtc", "status"}
    cases = read_truth(truth)
    assert {c.vin for c in cases.values()} == {s.vin for s in specs}
    faulty = next(s for s in specs if s.fault)
    assert cases[faulty.vin].onset_ms == faulty.fault.onset_ms
    stamps = sorted(row[1] for row in batch.rows if row[0] == specs[0].vin)
    assert 10_000 in {b - a for a, b in itertools.pairwise(stamps)}  # every 10 s while running


@pytest.mark.parametrize("command", ["train", "evaluate", "fleet-capture"])
def test_an_unknown_model_line_is_refused_before_any_work(command, tmp_path):
    extra = ["--out", str(tmp_path / "c"), "--truth", str(tmp_path / "t")]
    args = [
        "diagnostics",
        command,
        "--line",
        "sim-9L",
        *(extra if command == "fleet-capture" else []),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env={**os.environ, "PITSTOP_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "unknown model line 'sim-9L'" in " ".join(done.stderr.split())
