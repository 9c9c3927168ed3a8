"""`pitstop edge` as a process: reads ELM327-emulator, publishes, and stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.edge_support import Emulator, Subscriber, make_vin


def _edge(args: list[str], mqtt_url: str, home) -> subprocess.Popen:
    env = {**os.environ, "PITSTOP_MQTT_URL": mqtt_url, "PITSTOP_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, "-c", "from cli.main import app; app()", "edge", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_pitstop_edge_publishes_and_says_offline_on_sigterm(tmp_path, mqtt_url, unique_prefix):
    vin = make_vin(unique_prefix)
    emulator = Emulator(tmp_path / "elm", vin=vin)
    sub = Subscriber(mqtt_url, vin)
    process = _edge(["--port", emulator.url], mqtt_url, tmp_path)
    try:
        sub.wait_for(lambda: sub.samples(), timeout=60)
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        sub.wait_for(lambda: sub.of("status")[-1].state == "offline")
    finally:
        if process.poll() is None:
            process.kill()
        emulator.kill()
        sub.close()
    assert (tmp_path / "edge" / "outbox.sqlite").exists()
    assert sub.of("status")[0].agent.vin_source == "ecu"


def test_pitstop_edge_refuses_to_start_without_a_vin(tmp_path, mqtt_url):
    emulator = Emulator(tmp_path / "elm", vin=None)
    try:
        process = _edge(["--port", emulator.url], mqtt_url, tmp_path)
        _, err = process.communicate(timeout=60)
    finally:
        emulator.kill()
    assert process.returncode == 2
    assert "--vin" in err.decode() and "no valid VIN" in err.decode()
