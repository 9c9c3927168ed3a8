"""`pitstop simulate`: run a simulated fleet through edge agents, or serve one car as an ELM327."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import typer

from core.clock import DAY_MS
from core.settings import get_settings
from core.wire import now_ms

ACCELERATED_START_DAYS_AGO = 7.0  # accelerated runs replay the last week by default
WARM_UP_S = 300  # a served car starts with its engine running and warm


def simulate(
    cars: int = typer.Option(10, "--cars", help="Number of simulated cars."),
    speed: float = typer.Option(1.0, "--speed", help="Simulated seconds per real second."),
    seconds: float = typer.Option(0, "--seconds", help="Real seconds to run (0: until Ctrl-C)."),
    start_days_ago: float | None = typer.Option(
        None,
        "--start-days-ago",
        help="Start simulated time this many days back (default: 0 at real time, else 7).",
    ),  # fmt: skip
    faults: str = typer.Option(
        "",
        "--faults",
        help="Faults to inject: kind:count,... (e.g. battery:2,misfire:1) or a "
        "share of cars (0.3). Kinds: battery, thermostat (cooling), coolant_leak, misfire, "
        "vacuum_leak, catalyst.",
    ),  # fmt: skip
    seed: int = typer.Option(0, "--seed", help="Seed: the same seed gives the same fleet."),
    labels: Path | None = typer.Option(None, "--labels", help="Write ground-truth labels here."),  # noqa: B008
    car_accounts: str | None = typer.Option(
        None, "--car-accounts", help="JSON file of VIN -> the car's own broker URL."
    ),
    serve_elm327: int | None = typer.Option(
        None, "--serve-elm327", help="Serve one car as an ELM327 on this TCP port instead."
    ),
    pty: bool = typer.Option(False, "--pty", help="With --serve-elm327: also serve on a pty."),
) -> None:
    """Drive simulated cars: each with its own VIN, profile, optional fault and edge agent."""
    settings = get_settings()
    if start_days_ago is None:
        start_days_ago = 0.0 if speed <= 1 else ACCELERATED_START_DAYS_AGO
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if serve_elm327 is not None:
            _serve(serve_elm327, pty, speed, start_days_ago, faults, seed, seconds, stop)
            return
        if not settings.mqtt_url:
            raise typer.BadParameter(
                "no broker configured: set PITSTOP_MQTT_URL (or mqtt_url in pitstop.toml), "
                "or run `pitstop demo`, which starts one"
            )
        from simulators.fleet import Fleet

        fleet = Fleet(
            cars=cars, mqtt_url=settings.mqtt_url, workdir=settings.home / "fleet",
            speed=speed, start_days_ago=start_days_ago, faults=faults or None, seed=seed,
            car_urls=json.loads(Path(car_accounts).read_text()) if car_accounts else None,
        )  # fmt: skip
        if labels:
            fleet.write_labels(labels)
            typer.echo(f"labels written to {labels}")
        summary = fleet.run(seconds or None, stop)
    except KeyboardInterrupt:
        return
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    for car in summary["cars"]:
        typer.echo(
            f"{car['vin']}  {car['profile']:<8}  fault={car['fault'] or '-':<12}  "
            f"samples={car['samples']}  trips={car['trips']}  unsent={car['unsent']}"
        )
    typer.echo(json.dumps({"cars": len(summary["cars"]), "samples": summary["samples"]}))


def _serve(port, pty, speed, start_days_ago, faults, seed, seconds, stop) -> None:
    import random

    from simulators.car import Car
    from simulators.elm327_server import CarClock, Elm327TcpServer, serve_pty
    from simulators.faults import make_fault
    from simulators.fleet import parse_faults

    rng = random.Random(seed)
    # An ELM327 has no clock of its own, so the car may lag the wall clock: start it a day
    # back and let it drive until the engine runs, so that a client sees live values.
    start = now_ms() - int(max(start_days_ago, 1.0) * DAY_MS)
    kinds = parse_faults(faults or None, 1, rng)
    fault = make_fault(kinds[0], start, rng) if kinds[0] else None
    car = Car(start_ms=start, seed=seed, profile="taxi", faults=[fault] if fault else [])
    while not car.running or car.run_time_s < WARM_UP_S:
        car.advance(10)
    lock = threading.Lock()
    server = Elm327TcpServer(car, lock, host="0.0.0.0", port=port).start()
    typer.echo(f"ELM327 for {car.vin} on tcp port {server.port} (socket://127.0.0.1:{server.port})")
    if pty:
        typer.echo(f"ELM327 for {car.vin} on {serve_pty(car, lock)}")
    if fault:
        typer.echo(f"injected fault: {fault.label.as_dict()}")
    clock = CarClock(car, lock, speed).start()
    began = time.monotonic()
    while not stop.wait(0.5):
        if seconds and time.monotonic() - began >= seconds:
            break
    clock.stop()
    server.stop()
