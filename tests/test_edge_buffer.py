"""The on-disk outbox: a kill -9 loses nothing, and the cap drops telemetry first."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from core import wire
from core.broker import free_port
from edge_agent.agent import Agent
from edge_agent.buffer import Buffer, decode_sample
from tests.edge_support import FAST_CONFIG, FakeCar, Subscriber, make_vin

ROOT = Path(__file__).resolve().parents[1]

# A child process that samples a fake car into the outbox while no broker answers.
_WRITER = r"""
import sys, threading
sys.path.insert(0, sys.argv[1])
from edge_agent.agent import Agent
from tests.edge_support import FAST_CONFIG, FakeCar
agent = Agent(link=FakeCar(sys.argv[2]), mqtt_url=sys.argv[3], buffer_path=sys.argv[4],
              config=FAST_CONFIG)
agent.start()
agent.run(threading.Event())
"""


def _stored_samples(path: Path) -> list[wire.Sample]:
    """The outbox's samples; none while its writer has created the file but not the table."""
    with sqlite3.connect(path) as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'outbox'").fetchone():
            return []
        rows = db.execute("SELECT payload FROM outbox WHERE kind = 'sample' ORDER BY id")
        return [decode_sample(p) for (p,) in rows]


def test_samples_survive_kill_9_and_are_sent_later_with_original_timestamps(
    tmp_path, mqtt_url, unique_prefix
):
    vin = make_vin(unique_prefix)
    path = tmp_path / "outbox.sqlite"
    nobody = f"mqtt://127.0.0.1:{free_port()}"  # no broker: everything stays on disk
    child = subprocess.Popen([sys.executable, "-c", _WRITER, str(ROOT), vin, nobody, str(path)])
    try:
        deadline = time.monotonic() + 30
        while not (path.exists() and len(_stored_samples(path)) >= 10):
            assert child.poll() is None, "the writer process died on its own"
            assert time.monotonic() < deadline, "the writer stored no samples"
            time.sleep(0.1)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
    killed_at = wire.now_ms()
    before = _stored_samples(path)
    assert len(before) >= 10

    sub = Subscriber(mqtt_url, vin)
    agent = Agent(link=FakeCar(vin), mqtt_url=mqtt_url, buffer_path=path, config=FAST_CONFIG)
    agent.start()
    try:
        assert agent.flush(15)
        sub.wait_for(lambda: len(sub.samples()) >= len(before))
        agent.tick()  # one new sample: its sequence number continues the old ones
        assert agent.flush(15)
        sub.wait_for(lambda: len(sub.samples()) > len(before))
    finally:
        agent.stop()
        sub.close()
    received = {s.seq: s for s in sub.samples()}
    for old in before:
        assert received[old.seq].ts == old.ts < killed_at
        assert received[old.seq].values == old.values
    newest = max(received)
    assert newest == max(s.seq for s in before) + 1
    assert received[newest].ts > killed_at


def test_cap_drops_oldest_telemetry_before_dtc_and_status_and_counts_drops(tmp_path):
    path = tmp_path / "outbox.sqlite"
    buffer = Buffer(path, max_entries=5)
    buffer.add_event("dtc", 1, b"dtc-1")
    samples = [buffer.add_sample(10 + i, {"RPM": float(i)}) for i in range(6)]
    buffer.add_event("status", 20, b"status-1")
    kept = buffer.pending(0, 100)
    assert [e.kind for e in kept] == ["dtc", "sample", "sample", "sample", "status"]
    assert [decode_sample(e.payload).seq for e in kept if e.kind == "sample"] == [
        s.seq for s in samples[3:]
    ]
    assert buffer.info() == wire.BufferInfo(depth=5, dropped_telemetry=3, dropped_events=0)

    for i in range(4):  # events push out every remaining sample, then the oldest events
        buffer.add_event("dtc", 30 + i, f"dtc-{i + 2}".encode())
    assert [e.payload for e in buffer.pending(0, 100)] == [
        b"status-1",
        b"dtc-2",
        b"dtc-3",
        b"dtc-4",
        b"dtc-5",
    ]
    assert buffer.info() == wire.BufferInfo(depth=5, dropped_telemetry=6, dropped_events=1)
    buffer.add_sample(40, {"RPM": 1.0})  # a sample never displaces a DTC or status message
    buffer.add_event("dtc", 41, b"dtc-6")
    assert buffer.info() == wire.BufferInfo(depth=5, dropped_telemetry=7, dropped_events=2)
    buffer.close()

    reopened = Buffer(path, max_entries=5)  # counters and sequence numbers are on disk
    assert reopened.info() == wire.BufferInfo(depth=5, dropped_telemetry=7, dropped_events=2)
    assert reopened.add_sample(50, {"RPM": 2.0}).seq == 7
    reopened.close()


def test_entries_leave_only_when_acknowledged(tmp_path):
    buffer = Buffer(tmp_path / "outbox.sqlite")
    for i in range(4):
        buffer.add_sample(100 + i, {"SPEED": 1.0})
    first, *_, last = buffer.pending(0, 10)
    assert buffer.pending(last.id, 10) == []
    assert buffer.ack(first.id, first.id + 1) == 2
    assert buffer.depth == 2
    assert [decode_sample(e.payload).ts for e in buffer.pending(0, 10)] == [102, 103]
    buffer.close()


def test_status_reports_drops_when_the_broker_was_unreachable(own_broker, tmp_path, unique_prefix):
    vin = make_vin(unique_prefix)
    own_broker.stop()
    now = [1_700_000_000_000]
    car = FakeCar(vin, stored=["P0301"])
    agent = Agent(link=car, mqtt_url=own_broker.url, buffer_path=tmp_path / "b.sqlite",
                  config=FAST_CONFIG, clock=lambda: now[0], buffer_max_entries=10)  # fmt: skip
    agent.start()
    try:
        for _ in range(40):
            agent.tick()
            now[0] += 100
        info = agent.buffer.info()
        assert info.depth == 10 and info.dropped_telemetry > 0
        own_broker.start()
        sub = Subscriber(own_broker.url, vin)
        assert agent.flush(20)
        sub.wait_for(
            lambda: sub.of("dtc") and any(s.buffer.dropped_telemetry for s in sub.of("status"))
        )
    finally:
        agent.stop()
    birth = next(s for s in sub.of("status") if s.buffer.dropped_telemetry)
    assert birth.buffer.dropped_telemetry == info.dropped_telemetry
    assert sub.of("dtc")[0].stored == ["P0301"]
    sub.close()
