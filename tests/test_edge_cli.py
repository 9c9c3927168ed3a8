"""The edge agent as a process, both as `pitstop edge` and as the gateway's `pitstop-edge`: it
reads ELM327-emulator, publishes, stops cleanly, and says what to change when it cannot start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.edge_support import Emulator, Subscriber, make_vin

COMMANDS = {
    "pitstop edge": [sys.executable, "-c", "from cli.main import app; app()", "edge"],
    "pitstop-edge": [sys.executable, "-m", "edge_agent"],
}
both_commands = pytest.mark.parametrize("command", COMMANDS)


def _edge(command: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """The command with only the given PITSTOP_ settings (no config file unless named)."""
    outside = {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")}
    return subprocess.Popen(
        COMMANDS[command] + args,
        env={**outside, "PITSTOP_CONFIG": os.devnull, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@both_commands
def test_the_agent_publishes_and_says_offline_on_sigterm(
    command, tmp_path, mqtt_url, unique_prefix
):
    vin = make_vin(unique_prefix)
    emulator = Emulator(tmp_path / "elm", vin=vin)
    sub = Subscriber(mqtt_url, vin)
    env = {"PITSTOP_MQTT_URL": mqtt_url, "PITSTOP_HOME": str(tmp_path)}
    process = _edge(command, ["--port", emulator.url], env)
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


@both_commands
def test_the_agent_refuses_to_start_without_a_vin(command, tmp_path, mqtt_url):
    emulator = Emulator(tmp_path / "elm", vin=None)
    env = {"PITSTOP_MQTT_URL": mqtt_url, "PITSTOP_HOME": str(tmp_path)}
    try:
        process = _edge(command, ["--port", emulator.url], env)
        _, err = process.communicate(timeout=60)
    finally:
        emulator.kill()
    assert process.returncode == 2
    assert "--vin" in err.decode() and "no valid VIN" in err.decode()


@both_commands
def test_the_agent_names_the_missing_broker_setting(command, tmp_path):
    env = {"PITSTOP_MQTT_URL": "", "PITSTOP_HOME": str(tmp_path)}
    _, err = _edge(command, ["--port", "socket://127.0.0.1:9"], env).communicate(timeout=60)
    assert "PITSTOP_MQTT_URL" in err.decode() and "no broker configured" in err.decode()


@both_commands
def test_the_agent_reads_the_broker_from_the_config_file(command, tmp_path):
    config = tmp_path / "pitstop.toml"
    config.write_text('mqtt_url = "mqtt://127.0.0.1:9"\n')
    env = {"PITSTOP_CONFIG": str(config), "PITSTOP_HOME": str(tmp_path)}
    process = _edge(command, ["--port", "socket://127.0.0.1:9"], {**env, "PITSTOP_MQTT_URL": ""})
    _, err = process.communicate(timeout=60)
    assert "no broker configured" in err.decode()  # the environment, even empty, comes first
    process = _edge(command, ["--port", "socket://127.0.0.1:9"], env)
    _, err = process.communicate(timeout=60)
    # Past the settings: it now fails on the adapter at that port, not on the broker setting.
    assert process.returncode == 1 and "no broker configured" not in err.decode(), err.decode()
