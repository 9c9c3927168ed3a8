"""SIGKILL the edge agent while it publishes, twice, then let it run again: what it buffered on
disk is sent after the restart, and the database holds every sample once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.edge_support import make_vin
from tests.faults.processes import (
    ROOT,
    assert_exactly_once,
    kill_9,
    scalar,
    start_ingest,
    stop_gently,
    stopped_at_exit,
    wait_for,
)

# An agent process: a car that answers instantly, sampled every 0.1 s, batches of 5.
AGENT = r"""
import logging, signal, sys, threading
sys.path.insert(0, sys.argv[1])
from edge_agent.agent import Agent
from tests.edge_support import FAST_CONFIG, FakeCar
logging.basicConfig(level=logging.INFO)
agent = Agent(link=FakeCar(sys.argv[2]), mqtt_url=sys.argv[3], buffer_path=sys.argv[4],
              config=FAST_CONFIG)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
agent.start()
try:
    agent.run(stop)
finally:
    agent.stop()
"""
RUN_BETWEEN_KILLS_S = 2.5


def _agent(vin: str, mqtt_url: str, outbox: Path, log: Path) -> subprocess.Popen:
    out = open(log, "ab")  # noqa: SIM115 - owned by the child
    return subprocess.Popen([sys.executable, "-c", AGENT, str(ROOT), vin, mqtt_url, str(outbox)],
                            stdout=out, stderr=out)  # fmt: skip


def _outbox(path: Path) -> tuple[int, int]:
    """Samples the agent has numbered so far, and entries still waiting on disk."""
    with sqlite3.connect(path) as db:
        produced = db.execute("SELECT value FROM meta WHERE key = 'next_seq'").fetchone()[0]
        waiting = db.execute("SELECT count(*) FROM outbox WHERE kind = 'sample'").fetchone()[0]
    return produced, waiting


@pytest.mark.timeout(120)
def test_kill_9_of_the_agent_loses_and_doubles_nothing(db_url, own_broker, tmp_path):
    vin = make_vin(uuid.uuid4().hex[:6])
    outbox, log = tmp_path / "outbox.sqlite", tmp_path / "agent.log"
    ingest = start_ingest(db_url, own_broker.url, uuid.uuid4().hex[:8], tmp_path / "ingest.log")
    stored_at_kill = []
    with stopped_at_exit(ingest, "ingest"):
        agent = _agent(vin, own_broker.url, outbox, log)
        try:
            for _ in range(2):
                wait_for(
                    lambda: scalar(db_url, "SELECT count(*) FROM telemetry WHERE vin = %s", vin),
                    30, "the agent's first rows",
                )  # fmt: skip
                time.sleep(RUN_BETWEEN_KILLS_S)
                kill_9(agent)
                stored_at_kill.append(_outbox(outbox))
                agent = _agent(vin, own_broker.url, outbox, log)
            time.sleep(RUN_BETWEEN_KILLS_S)
        finally:
            code = stop_gently(agent)
        assert code == 0, "the agent did not stop cleanly on SIGTERM"
        produced, waiting = _outbox(outbox)
        assert waiting == 0, f"{waiting} samples left on disk after a clean stop"
        assert_exactly_once(db_url, {vin: produced})
    assert all(p > 0 for p, _ in stored_at_kill), stored_at_kill
    seqs = scalar(db_url, "SELECT array_agg(seq ORDER BY seq) FROM telemetry WHERE vin = %s", vin)
    assert seqs == list(range(produced))
