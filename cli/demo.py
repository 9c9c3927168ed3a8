"""`pitstop demo`: the whole system on one machine, on the embedded default.

Embedded PostgreSQL (unless PITSTOP_DATABASE_URL is set), a local broker (unless
PITSTOP_MQTT_URL is set), ingest, a simulated fleet with edge agents, and the API. Each part
runs as its own `pitstop` process, exactly as it would in production.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import typer
from rich.console import Console
from rich.table import Table

from cli.services import resolve_database_url
from core.settings import get_settings

console = Console()

# Time the fleet gets to hand over its last samples, and ingest to commit them, on the way out.
FLEET_STOP_GRACE_S = 20
INGEST_STOP_GRACE_S = 20
DIAGNOSTICS_STOP_GRACE_S = 20  # its scoring processes save their per-car state on the way out
FIRST_CARS_TIMEOUT_S = 30


@dataclass
class Processes:
    env: dict[str, str]
    running: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> None:
        """Run `pitstop ARGS` as a child process named NAME."""
        command = [sys.executable, "-m", "cli", *args]
        # A session of its own: the child's own workers can be ended with it, as a group.
        self.running[name] = subprocess.Popen(command, env=self.env, start_new_session=True)

    def stop(self, name: str, grace_s: float) -> None:
        """SIGTERM, then SIGKILL after grace_s; then end whatever the child left behind."""
        process = self.running.pop(name, None)
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(grace_s)
            except subprocess.TimeoutExpired:
                console.print(f"[yellow]{name} did not stop in {grace_s} s; killing it[/]")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def check(self) -> None:
        """Raise when a child died on its own."""
        for name, process in self.running.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with code {process.returncode}; see its log")


def demo(
    cars: int = typer.Option(20, help="Simulated cars in the fleet."),
    speed: float = typer.Option(
        1440.0,
        help="Simulated seconds per real second. Above 1 the fleet starts a week back and "
        "catches up with the present (1440: a simulated day per minute), then runs live.",
    ),
    faults: str = typer.Option(
        "battery:1,thermostat:1,misfire:1,vacuum_leak:1,catalyst:1",
        help="Faults to inject, as kind:count,...",
    ),
    seconds: float = typer.Option(0, help="Stop after this many seconds (0: run until Ctrl-C)."),
    api: bool = typer.Option(True, help="Serve the API and web console."),
) -> None:
    """Run the whole system: database, broker, ingest, diagnostics, a simulated fleet, the API."""
    settings = get_settings()
    database_url = resolve_database_url()
    from core.db.migrate import upgrade

    upgrade(database_url)
    broker = None
    mqtt_url = settings.mqtt_url
    if not mqtt_url:
        from core.broker import LocalBroker

        broker = LocalBroker(settings.home / "broker").start()
        mqtt_url = broker.url
        console.print(f"local {broker.kind} broker on {mqtt_url}")

    env = {**os.environ, "PITSTOP_DATABASE_URL": database_url, "PITSTOP_MQTT_URL": mqtt_url}
    children = Processes(env=env)
    deadline = time.monotonic() + seconds if seconds else None
    try:
        children.start("ingest", "ingest")
        children.start("diagnostics", "diagnostics")
        children.start("worker", "worker")
        children.start(
            "fleet",
            "simulate",
            "--cars",
            str(cars),
            "--speed",
            str(speed),
            "--faults",
            faults,
            "--labels",
            str(settings.home / "fleet-labels.json"),
        )
        if api:
            _wait_for_first_cars(database_url, children)
            children.start("api", "api", "--seed")
        _announce(settings, database_url, mqtt_url, api)
        while deadline is None or time.monotonic() < deadline:
            children.check()
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("stopping…")
    finally:
        children.stop("fleet", FLEET_STOP_GRACE_S)
        children.stop("api", 5)
        children.stop("worker", 10)
        children.stop("diagnostics", DIAGNOSTICS_STOP_GRACE_S)
        children.stop("ingest", INGEST_STOP_GRACE_S)
        if broker:
            broker.stop()
    rows = _report(database_url)
    if seconds and rows == 0:
        console.print("[red]no telemetry arrived in the database[/]")
        raise typer.Exit(1)


def _wait_for_first_cars(database_url: str, children: Processes) -> None:
    """Wait until cars have reported, so the demo dealer group is seeded with their VINs."""
    from core.db import connect

    deadline = time.monotonic() + FIRST_CARS_TIMEOUT_S
    while time.monotonic() < deadline:
        children.check()
        with connect(database_url) as conn:
            if conn.execute("SELECT count(*) FROM vehicle_latest").fetchone()[0]:
                return
        time.sleep(1)
    console.print("[yellow]no car has reported yet; the demo dealer group gets generated VINs[/]")


def _announce(settings, database_url: str, mqtt_url: str, api: bool) -> None:
    table = Table(title="Pitstop demo", show_header=False)
    table.add_row("database", database_url)
    table.add_row("broker", mqtt_url)
    if api:
        table.add_row("API", f"http://{settings.api_host}:{settings.api_port}/docs")
    table.add_row("ingest metrics", f"http://127.0.0.1:{settings.ingest_metrics_port}/metrics")
    console.print(table)


def _report(database_url: str) -> int:
    """Print what reached the database; return the telemetry row count."""
    from core.db import connect

    with connect(database_url) as conn:
        rows, cars = conn.execute("SELECT count(*), count(DISTINCT vin) FROM telemetry").fetchone()
        online = conn.execute("SELECT count(*) FROM vehicle_latest WHERE online").fetchone()[0]
        dead = conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
        alerts = conn.execute(
            "SELECT failure_mode, count(*) FROM alerts WHERE state = 'active' GROUP BY 1 ORDER BY 1"
        ).fetchall()
    console.print(
        f"telemetry rows: {rows} from {cars} cars; online now: {online}; dead letters: {dead}"
    )
    console.print("open alerts: " + (", ".join(f"{m} {n}" for m, n in alerts) or "none"))
    return rows
