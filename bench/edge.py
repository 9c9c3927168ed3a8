"""`pitstop bench edge`: what the edge agent costs a car's gateway, in memory and CPU.

One simulated car is served as an ELM327 on a TCP port (in this process), a local broker is
started, and a retained config asks for `--pids` PIDs a second. Two processes then read the
same car for the same time, one after the other:
1. ceiling: a bare python-OBD loop querying the same PIDs at the same rate, and nothing else
   (the floor that the chosen OBD library sets);
2. agent: `pitstop-edge`, which also batches, buffers on disk and publishes over MQTT.
For each: peak RSS, and CPU seconds per wall second (a share of one core). The agent's rows
that reach the broker are counted, so the rate asked for is checked against the rate read.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from rich.console import Console

from core import wire
from core.broker import LocalBroker, MqttUrl
from core.clock import DAY_MS
from core.signals import SIGNALS

console = Console()
WARM_UP_S = 5.0  # imports, the adapter handshake and the first connect are not steady state
TICKS = os.sysconf("SC_CLK_TCK")

_BARE_LOOP = """
import sys, time, obd
names, period, seconds = sys.argv[2].split(","), float(sys.argv[3]), float(sys.argv[4])
connection = obd.OBD(sys.argv[1], fast=False, timeout=2)
commands = [obd.commands[n] for n in names if obd.commands.has_name(n)]
print("ready", flush=True)
end = time.monotonic() + seconds
while time.monotonic() < end:
    began = time.monotonic()
    for command in commands:
        connection.query(command)
    time.sleep(max(0.0, period - (time.monotonic() - began)))
"""


def _usage(pid: int) -> tuple[float, float]:
    """(CPU seconds so far, peak RSS in MiB) of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS
    status = Path(f"/proc/{pid}/status").read_text()
    peak = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return cpu, int(peak.split()[1]) / 1024


def _measure(
    command: list[str], env: dict[str, str], seconds: float, rows=lambda: 0
) -> tuple[float, float, float]:
    """Run the command; after warm-up: (share of a core, peak RSS MiB, rows(...) per second)."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        time.sleep(WARM_UP_S)
        (cpu0, _), rows0 = _usage(process.pid), rows()
        began = time.monotonic()
        time.sleep(seconds)
        (cpu1, peak), rows1 = _usage(process.pid), rows()
        elapsed = time.monotonic() - began
        return (cpu1 - cpu0) / elapsed, peak, (rows1 - rows0) / elapsed
    finally:
        process.terminate()
        process.wait(30)


def _connect(url: str) -> mqtt.Client:
    """A paho client connected to the broker, its network loop running."""
    target = MqttUrl.parse(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.connect(target.host, target.port)
    client.loop_start()
    return client


class _RowCounter:
    """Counts the samples of the car's telemetry messages that reach the broker."""

    def __init__(self, url: str, vin: str) -> None:
        self.rows, self.lock = 0, threading.Lock()
        self.client = _connect(url)
        self.client.on_message = self._on_message
        self.client.subscribe(wire.topic(vin, "telemetry"), qos=1)

    def _on_message(self, _client, _userdata, message) -> None:
        batch = wire.decode("telemetry", message.payload)
        with self.lock:
            self.rows += sum(len(sample.values) for sample in batch.samples)

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def run(*, pids: int, seconds: float) -> None:
    from simulators.car import Car
    from simulators.elm327_server import CarClock, Elm327TcpServer

    # Mode 01 PIDs that python-OBD knows by name (ODOMETER is a command of the agent's own).
    names = [s.name for s in SIGNALS if s.pid.startswith("01") and s.name != "ODOMETER"][:pids]
    car = Car(start_ms=wire.now_ms() - DAY_MS, seed=7, profile="taxi")
    while not car.running:
        car.advance(10)
    lock = threading.Lock()
    server = Elm327TcpServer(car, lock).start()
    clock = CarClock(car, lock).start()
    port = f"socket://127.0.0.1:{server.port}"
    with tempfile.TemporaryDirectory() as workdir, LocalBroker(Path(workdir) / "broker") as broker:
        config = wire.VehicleConfig(version=1, signals=dict.fromkeys(names, 1.0))
        publisher = _connect(broker.url)
        publisher.publish(wire.topic(car.vin, "config"), wire.encode(config), qos=1, retain=True)
        env = {**os.environ, "PITSTOP_MQTT_URL": broker.url, "PITSTOP_HOME": workdir}
        with console.status(f"ceiling: bare python-OBD, {len(names)} PIDs/s for {seconds:g} s"):
            bare = [sys.executable, "-c", _BARE_LOOP, port, ",".join(names), "1", str(seconds * 2)]
            bare_cpu, bare_rss, _ = _measure(bare, env, seconds)
        counter = _RowCounter(broker.url, car.vin)
        with console.status(f"agent: pitstop-edge, {len(names)} PIDs/s for {seconds:g} s"):
            agent = [sys.executable, "-m", "edge_agent", "--port", port,
                     "--buffer", f"{workdir}/outbox.sqlite"]  # fmt: skip
            agent_cpu, agent_rss, read = _measure(agent, env, seconds, lambda: counter.rows)
        counter.stop()
        publisher.loop_stop()
    clock.stop()
    server.stop()
    console.print(f"ceiling (bare python-OBD loop): {bare_cpu:.1%} of a core, {bare_rss:.0f} MiB")
    console.print(f"pitstop-edge:                   {agent_cpu:.1%} of a core, {agent_rss:.0f} MiB")
    console.print(
        f"ratio to the ceiling: CPU {agent_cpu / bare_cpu:.2f}x, RSS {agent_rss / bare_rss:.2f}x; "
        f"PIDs read and published {read:.1f}/s of {len(names)} asked"
    )
    print(
        f"bench edge: pids={len(names)} agent_cpu={agent_cpu:.4f} agent_rss_mib={agent_rss:.0f} "
        f"bare_cpu={bare_cpu:.4f} bare_rss_mib={bare_rss:.0f} read_per_s={read:.1f}"
    )
