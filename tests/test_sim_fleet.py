"""A simulated fleet, each car with its own edge agent, publishes to a real broker."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from core import wire
from core.broker import MqttUrl
from core.clock import DAY_MS
from simulators.fleet import Fleet
from simulators.link import Flakiness

RECEIVE_TIMEOUT_S = 20.0


class Collector:
    """Subscribes to every car's telemetry and DTC topics and keeps the decoded messages."""

    def __init__(self, url: str, client_id: str):
        self.telemetry: dict[str, list[wire.Sample]] = defaultdict(list)
        self.dtc: dict[str, list[wire.DtcReport]] = defaultdict(list)
        self.errors: list[str] = []
        self.lock = threading.Lock()
        parsed = MqttUrl.parse(url)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_connect = lambda c, *_: c.subscribe(
            [(f"{wire.TOPIC_ROOT}/+/telemetry", 1), (f"{wire.TOPIC_ROOT}/+/dtc", 1)]
        )
        self.client.connect(parsed.host, parsed.port)
        self.client.loop_start()
        assert subscribed.wait(10), "the broker did not confirm the subscription"

    def _on_message(self, _client, _userdata, message) -> None:
        try:
            vin, kind = wire.parse_topic(message.topic)
            decoded = wire.decode(kind, message.payload)
        except wire.WireError as exc:
            self.errors.append(str(exc))
            return
        with self.lock:
            if kind == "telemetry":
                self.telemetry[vin].extend(decoded.samples)
            else:
                self.dtc[vin].append(decoded)

    def unique_samples(self, vin: str) -> dict[int, wire.Sample]:
        with self.lock:
            return {s.seq: s for s in self.telemetry[vin]}

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def collector(mqtt_url, unique_prefix):
    c = Collector(mqtt_url, f"sim-fleet-test-{unique_prefix}")
    yield c
    c.close()


def test_fleet_publishes_every_sample_and_the_ground_truth(
    collector, mqtt_url, tmp_path, unique_prefix
):
    days = 6
    fleet = Fleet(
        cars=3,
        mqtt_url=mqtt_url,
        workdir=tmp_path / "agents",
        speed=days * 86_400 / 8,  # six days in eight real seconds
        start_days_ago=days,
        faults="misfire:1",
        seed=int(unique_prefix, 16),
    )
    fleet.write_labels(tmp_path / "labels.json")
    before = wire.now_ms()
    summary = fleet.run(8)

    labels = json.loads((tmp_path / "labels.json").read_text())["cars"]
    vins = [c["vin"] for c in summary["cars"]]
    assert [c["vin"] for c in labels] == vins and len(set(vins)) == 3
    faulty = [c for c in labels if c["fault"]]
    assert len(faulty) == 1 and faulty[0]["fault"]["fault"] == "misfire"
    fault = faulty[0]["fault"]
    assert fleet.start_ms < fault["onset_ms"] < fault["failure_ms"] < before

    deadline = time.monotonic() + RECEIVE_TIMEOUT_S
    while time.monotonic() < deadline and any(
        len(collector.unique_samples(c["vin"])) < c["samples"] for c in summary["cars"]
    ):
        time.sleep(0.1)
    assert collector.errors == []
    after = wire.now_ms()
    for car in summary["cars"]:
        # How many rounds fit in the run depends on the machine and on the cars' profiles (a
        # taxi's trips cost the simulator far more); the span below shows the whole replay.
        assert car["samples"] >= 5 and car["unsent"] == 0 and car["dropped"] == 0
        received = collector.unique_samples(car["vin"])
        assert sorted(received) == list(range(car["samples"])), car["vin"]
        stamps = [s.ts for s in received.values()]
        assert min(stamps) >= fleet.start_ms and max(stamps) <= after
        assert max(stamps) - min(stamps) > (days - 1) * DAY_MS  # the whole week was replayed
        assert all(wire.sample_problem(s, after) is None for s in received.values())

    broken = faulty[0]["vin"]
    reports = collector.dtc[broken]
    assert any("P0300" in r.stored and r.mil for r in reports)
    stored_at = min(r.ts for r in reports if "P0300" in r.stored)
    assert min(r.ts for r in reports if "P0300" in r.pending) <= stored_at
    # The ECU stored the code before the failure: the report before the first one carrying it
    # was read before the failure. (The first report itself may come later: on a loaded machine
    # one step of the fleet can cover simulated hours.)
    assert max(r.ts for r in reports if r.ts < stored_at) < fault["failure_ms"]
    frames = [r.freeze_frame for r in reports if r.freeze_frame]
    assert frames and frames[0].dtc.startswith("P030") and frames[0].values["RPM"] > 0
    for vin in set(vins) - {broken}:
        assert all(not r.stored and not r.pending for r in collector.dtc[vin])


def test_fleet_survives_a_flaky_adapter(collector, mqtt_url, tmp_path, unique_prefix):
    fleet = Fleet(
        cars=2,
        mqtt_url=mqtt_url,
        workdir=tmp_path / "agents",
        speed=3600,
        start_days_ago=1,
        seed=int(unique_prefix, 16) + 1,
        flakiness=Flakiness(no_answer=0.2, drop=0.003),
    )
    summary = fleet.run(4)
    deadline = time.monotonic() + RECEIVE_TIMEOUT_S
    while time.monotonic() < deadline and any(
        len(collector.unique_samples(c["vin"])) < c["samples"] for c in summary["cars"]
    ):
        time.sleep(0.1)
    assert sum(m.link.drops for m in fleet.members) > 0  # the links did drop ...
    for car in summary["cars"]:
        received = collector.unique_samples(car["vin"])
        assert car["samples"] > 20  # ... and the agents reconnected and kept sampling
        assert sorted(received) == list(range(car["samples"]))
        # RPM is due at every step; about a fifth of its reads went unanswered
        missing = sum("RPM" not in s.values for s in received.values()) / len(received)
        assert 0.05 < missing < 0.4, (missing, len(received))
