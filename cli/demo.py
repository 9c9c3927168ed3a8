"""`pitstop demo`: the whole system on one machine, on the embedded default.

Embedded PostgreSQL (unless PITSTOP_DATABASE_URL is set), a local broker (unless
PITSTOP_MQTT_URL is set), ingest, diagnostics, the proactive worker, a simulated fleet with
edge agents, and the API. Each part runs as its own `pitstop` process, as in production.
The fleet is planned first, so the demo dealer group owns exactly its cars; the terminal shows
only what matters, and every process's log goes to one file under the home folder.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from core.broker import MqttUrl
from core.settings import get_settings

console = Console()

# Time the fleet gets to hand over its last samples, and ingest to commit them, on the way out.
FLEET_STOP_GRACE_S = 20
INGEST_STOP_GRACE_S = 20
# Its scoring processes finish their round and save their per-car state; it waits 30 s for them.
DIAGNOSTICS_STOP_GRACE_S = 40
FLEET_SEED = 0
WATCH_EVERY_S = 2.0
SHOWN_FEED = ("alert_opened", "appointment_booked", "proposal_created", "proposal_accepted")
DEMO_LOGINS = ("advisor", "advisor.mh", "manager", "customer")


@dataclass
class Processes:
    env: dict[str, str]
    log: IO[bytes]
    running: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> None:
        """Run `pitstop ARGS` as a child process named NAME, its output into the log."""
        command = [sys.executable, "-m", "cli", *args]
        # A session of its own: the child's own workers can be ended with it, as a group.
        self.running[name] = subprocess.Popen(
            command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

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
                raise RuntimeError(f"{name} exited with code {process.returncode}")


def demo(
    cars: int = typer.Option(20, min=1, help="Simulated cars in the fleet."),
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
    check: bool = typer.Option(
        False,
        "--check",
        help="Exit non-zero unless every car reported, an alert is open and the proactive "
        "loop booked a visit.",
    ),
    history_days: int = typer.Option(
        730, min=0, help="Days of business history to seed behind today (0: a short one)."
    ),
) -> None:
    """Run the whole system: database, broker, ingest, diagnostics, a simulated fleet, the API."""
    from simulators.fleet import fleet_plan

    settings = get_settings()
    log_path = _log_to_file(settings.home / "logs" / "demo.log")
    try:
        plan = fleet_plan(cars, faults, FLEET_SEED)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    with console.status("starting PostgreSQL and seeding the demo dealer group and its history"):
        database_url, faulty = _prepare_database(plan, history_days)
    broker, car_accounts = None, []
    mqtt_url = settings.mqtt_url
    if not mqtt_url:
        broker, mqtt_url, car_accounts = _local_broker(settings.home / "broker", plan)

    env = {**os.environ, "PITSTOP_DATABASE_URL": database_url, "PITSTOP_MQTT_URL": mqtt_url}
    with open(log_path, "ab", buffering=0) as log:
        children = Processes(env=env, log=log)
        try:
            children.start("ingest", "ingest")
            children.start("diagnostics", "diagnostics")
            children.start("worker", "worker")
            if api:
                children.start("api", "api")
            children.start(
                "fleet", "simulate", "--cars", str(cars), "--speed", str(speed),
                "--faults", faults, "--seed", str(FLEET_SEED),
                "--labels", str(settings.home / "fleet-labels.json"), *car_accounts,
            )  # fmt: skip
            _announce(settings, database_url, mqtt_url, api, plan, faulty, log_path)
            _watch(database_url, children, seconds)
        except KeyboardInterrupt:
            console.print("stopping…")
        except RuntimeError as exc:
            console.print(f"[red]{exc}; see {log_path}[/]")
            raise typer.Exit(1) from None
        finally:
            with console.status("stopping; the fleet hands over its last samples"):
                children.stop("fleet", FLEET_STOP_GRACE_S)
                children.stop("api", 5)
                children.stop("worker", 10)
                children.stop("diagnostics", DIAGNOSTICS_STOP_GRACE_S)
                children.stop("ingest", INGEST_STOP_GRACE_S)
                if broker:
                    broker.stop()
    outcome = _report(database_url, len(plan))
    console.print(f"logs: {log_path}")
    if seconds and not outcome.rows:
        console.print("[red]no telemetry arrived in the database[/]")
        raise typer.Exit(1)
    if check and not outcome.loop_closed(len(plan)):
        console.print("[red]the loop did not close: see the table above and the log[/]")
        raise typer.Exit(1)


def _local_broker(workdir: Path, plan):
    """A broker of our own. With Mosquitto, every simulated car gets its own account and
    ingest its service account, as in production; amqtt runs without accounts."""
    import json

    from core.broker import LocalBroker
    from core.broker_auth import INGEST_USER, BrokerAccounts

    broker = LocalBroker(workdir)
    if broker.kind != "mosquitto":
        return broker.start(), broker.url, []
    broker.accounts = BrokerAccounts(workdir / "accounts").ensure()
    urls = {car.vin: broker.accounts.provision_car(car.vin).url(broker.url) for car in plan}
    accounts_file = workdir / "car-accounts.json"
    accounts_file.write_text(json.dumps(urls))
    accounts_file.chmod(0o600)
    ingest_url = broker.accounts.provision_service(INGEST_USER).url(broker.url)
    return broker.start(), ingest_url, ["--car-accounts", str(accounts_file)]


def _log_to_file(path: Path) -> Path:
    """Send this process's logging and warnings to the file (started afresh), not the terminal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    root = logging.getLogger()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    return path


def _prepare_database(plan, history_days: int) -> tuple[str, int]:
    """Migrate, and seed the dealer group with the fleet's cars, faulty ones first, and its
    business history (seeded once; later starts find it and add nothing); then refresh the
    KPI rollups, so that the console's first figures are there when it opens."""
    from core.db.embedded import resolve_database_url
    from core.db.migrate import upgrade
    from demo.world import refresh_kpis_database, seed_demo_database

    database_url = resolve_database_url()
    upgrade(database_url)
    faulty = [car.vin for car in plan if car.fault]
    vins = faulty + [car.vin for car in plan if not car.fault]
    log = logging.getLogger(__name__)
    started = time.monotonic()
    report = seed_demo_database(
        database_url, vins, consenting=frozenset(faulty), history_days=history_days
    )
    if report.history.days:
        log.info(
            "seeded %d days of history in %.1f s", report.history.days, time.monotonic() - started
        )
    refreshed = refresh_kpis_database(database_url)
    log.info("KPI rollups refreshed in %.1f s (%d facts)", refreshed.seconds, refreshed.facts)
    return database_url, len(faulty)


def _announce(settings, database_url, mqtt_url, api, plan, faulty: int, log_path: Path) -> None:
    table = Table(title="Pitstop demo", show_header=False, title_justify="left")
    base = f"http://{settings.api_host}:{settings.api_port}"
    if api:
        table.add_row("console", f"{base}/console/")
        table.add_row("API", f"{base}/docs")
        table.add_row("sign in", f"{', '.join(DEMO_LOGINS)} … / password pitstop-demo")
    table.add_row("fleet", f"{len(plan)} cars, {faulty} with a fault developing")
    table.add_row("database", _without_password(database_url))
    table.add_row("broker", str(MqttUrl.parse(mqtt_url)))  # without its credentials
    table.add_row("logs", str(log_path))
    console.print(table)
    console.print("[dim]what the advisors' feeds show appears below; Ctrl-C stops[/]")


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return parts.geturl()


def _watch(database_url: str, children: Processes, seconds: float) -> None:
    """Print the feed's cards as they come, and when every car has reported, until the end."""
    from api.proactive.constants import REMINDER_MODE
    from core.db import connect

    deadline = time.monotonic() + seconds if seconds else None
    last_card, reporting = 0, 0
    with connect(database_url, autocommit=True) as conn:
        while deadline is None or time.monotonic() < deadline:
            children.check()
            cars = conn.execute("SELECT count(*) FROM vehicle_latest").fetchone()[0]
            if cars > reporting:
                reporting = cars
                _line(f"{cars} cars reporting")
            cards = conn.execute(
                "SELECT f.id, s.code, s.timezone, f.kind, f.data FROM feed_events f "
                "JOIN stores s ON s.id = f.store_id WHERE f.id > %s ORDER BY f.id",
                (last_card,),
            ).fetchall()
            for card_id, store, zone, kind, data in cards:
                last_card = card_id
                # service reminders are counted at the end, not shown one by one
                if kind in SHOWN_FEED and data.get("failure_mode") != REMINDER_MODE:
                    _line(_card(store, ZoneInfo(zone), data))
            time.sleep(WATCH_EVERY_S)


def _line(text: str) -> None:
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {text}", highlight=False)


def _card(store: str, zone: ZoneInfo, data: dict) -> str:
    """A feed card in one line: store, title, the car, and the visit in the store's time."""
    car = data.get("plate") or data.get("vin")
    text = f"[bold]{store}[/] {data.get('title_en')} · {car} {data.get('customer_name') or ''}"
    if starts_at := data.get("starts_at"):
        text += f" · visit {datetime.fromisoformat(starts_at).astimezone(zone):%a %d %b %H:%M}"
    return text


@dataclass
class Outcome:
    rows: int
    cars: int
    alerts: int
    booked: int

    def loop_closed(self, fleet: int) -> bool:
        return self.cars >= fleet and self.alerts > 0 and self.booked > 0


def _report(database_url: str, fleet: int) -> Outcome:
    """Print what reached the database and what the loop made of it."""
    from api.proactive.constants import REMINDER_MODE
    from core.db import connect

    with connect(database_url) as conn:
        rows, cars = conn.execute("SELECT count(*), count(DISTINCT vin) FROM telemetry").fetchone()
        dead = conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
        alerts = conn.execute(
            "SELECT failure_mode, count(*) FROM alerts WHERE state = 'active' GROUP BY 1 ORDER BY 1"
        ).fetchall()
        booked, proposed, reminders = conn.execute(
            "SELECT count(*) FILTER (WHERE NOT reminder AND kind IN"
            " ('appointment_booked', 'proposal_accepted')),"
            " count(*) FILTER (WHERE NOT reminder AND kind = 'proposal_created'),"
            " count(*) FILTER (WHERE reminder AND kind = 'proposal_created')"
            " FROM (SELECT kind, data->>'failure_mode' IS NOT DISTINCT FROM %s AS reminder"
            " FROM feed_events) cards",
            (REMINDER_MODE,),
        ).fetchone()
    table = Table(title="What the demo did", show_header=False, title_justify="left")
    table.add_row("telemetry", f"{rows:,} samples from {cars} of {fleet} cars")
    table.add_row("dead letters", str(dead))
    table.add_row("open alerts", ", ".join(f"{m} {n}" for m, n in alerts) or "none")
    table.add_row("visits booked by the loop", str(booked))
    table.add_row("proposals for an advisor", str(proposed))
    table.add_row("service reminders proposed", str(reminders))
    console.print(table)
    return Outcome(rows, cars, sum(n for _, n in alerts), booked)
