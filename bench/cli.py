"""`pitstop bench`: each benchmark's module is imported only when it runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from core.signals import COLUMNS

bench_app = typer.Typer(help="Benchmarks, each against a ceiling measured in the same run.")


@contextmanager
def _scratch_refusal_as_usage_error() -> Iterator[None]:
    from core.db.scratch import ScratchDatabaseError

    try:
        yield
    except ScratchDatabaseError as exc:
        raise typer.BadParameter(str(exc)) from None


@bench_app.command("ingest")
def bench_ingest(
    vehicles: int = typer.Option(500, help="Simulated cars"),
    seconds: float = typer.Option(60.0, help="Seconds of driving per car in the data set"),
    hz: float = typer.Option(10.0, help="Samples per second per car"),
    signals: int = typer.Option(
        len(COLUMNS), min=1, max=len(COLUMNS), help="Signals (datapoints) per sample"
    ),
    message_samples: int = typer.Option(50, help="Samples per MQTT message"),
    publishers: int = typer.Option(1, help="Publisher processes"),
    rate: float = typer.Option(100_000, help="Datapoints/s offered in the paced latency run"),
    paced_seconds: float = typer.Option(10.0, help="Length of the paced latency run"),
    ingests: int = typer.Option(
        1, min=1, max=16, help="pitstop ingest processes sharing the subscriptions"
    ),
    source: str = typer.Option(
        "mqtt",
        help="mqtt: the single-machine path; jetstream or rabbitmq: also a 3-node NATS or "
        "RabbitMQ cluster with 1, 2 and 4 ingest workers, in the same run",
    ),
) -> None:
    """Measure COPY, the broker and the full MQTT → ingest → PostgreSQL pipeline."""
    from bench import ingest

    if source not in ("mqtt", "jetstream", "rabbitmq"):
        raise typer.BadParameter(f"unknown source {source!r}; use mqtt, jetstream or rabbitmq")
    also = None
    if source != "mqtt":
        from bench.ingest_cluster import run_cluster

        also = run_cluster(source)
    with _scratch_refusal_as_usage_error():
        ingest.run(
            vehicles=vehicles, seconds=seconds, hz=hz, signals=signals,
            message_samples=message_samples, publishers=publishers, rate=rate,
            paced_seconds=paced_seconds, ingests=ingests, also=also,
        )  # fmt: skip


@bench_app.command("diagnostics")
def bench_diagnostics(
    cars: int = typer.Option(1000, help="Simulated cars"),
    workers: int = typer.Option(2, help="Scoring shards (processes)"),
    live_seconds: float = typer.Option(15.0, help="Length of the live phase"),
) -> None:
    """Measure cars scored per second and the delay from a sample's arrival to its alert."""
    from bench import diagnostics

    with _scratch_refusal_as_usage_error():
        diagnostics.run(cars=cars, workers=workers, live_seconds=live_seconds)


@bench_app.command("proactive")
def bench_proactive(
    cars: int = typer.Option(1000, min=1, help="Cars alerting"),
    seconds: float = typer.Option(60.0, min=1, help="The alerts arrive within this long"),
    threads: int = typer.Option(
        4, min=1, max=64, help="Reactor threads per worker process (as pitstop worker)"
    ),
    processes: int = typer.Option(
        1, min=1, max=16, help="pitstop worker processes sharing the alerts"
    ),
) -> None:
    """Measure alert-to-booked-appointment time at the median and p99, against a bare booking."""
    from bench import proactive

    with _scratch_refusal_as_usage_error():
        proactive.run(cars=cars, seconds=seconds, threads=threads, processes=processes)


@bench_app.command("events")
def bench_events(
    source: str = typer.Option("rabbitmq", help="The cluster to measure: jetstream or rabbitmq"),
    rounds: int = typer.Option(200, min=1, help="Single events for the latency"),
    events: int = typer.Option(5000, min=1, help="Events for the throughput"),
) -> None:
    """Measure an internal event from commit to reader through a 3-node cluster, against
    LISTEN/NOTIFY."""
    from bench import events as bench_events_module

    if source not in ("jetstream", "rabbitmq"):
        raise typer.BadParameter(f"unknown source {source!r}; use jetstream or rabbitmq")
    with _scratch_refusal_as_usage_error():
        bench_events_module.run(source=source, rounds=rounds, events=events)


@bench_app.command("edge")
def bench_edge(
    pids: int = typer.Option(15, min=1, max=16, help="PIDs read per second"),
    seconds: float = typer.Option(30.0, min=5, help="Length of each measured run"),
) -> None:
    """Measure the edge agent's CPU share and memory against a bare python-OBD loop."""
    from bench import edge

    edge.run(pids=pids, seconds=seconds)


@bench_app.command("kpi")
def bench_kpi(
    cars: int = typer.Option(10_000, min=100, help="Connected cars of the group"),
    work_orders: int = typer.Option(100_000, min=1_000, help="Jobs over the two years"),
    telemetry_cars: int = typer.Option(20, min=1, help="Cars with 90 days of telemetry"),
    repeats: int = typer.Option(30, min=5, help="Timed calls of each API request"),
) -> None:
    """Time the KPI page's and a vehicle page's API calls against bare SELECTs of their rows."""
    from bench import kpi

    with _scratch_refusal_as_usage_error():
        kpi.run(cars=cars, work_orders=work_orders, telemetry_cars=telemetry_cars,
                repeats=repeats)  # fmt: skip


@bench_app.command("storage")
def bench_storage(
    cars: int = typer.Option(20, min=1, help="Simulated cars"),
    days: int = typer.Option(14, min=1, help="Days each car is driven"),
) -> None:
    """Measure telemetry's disk per car per year on the active storage path, against the wire."""
    from bench import storage

    with _scratch_refusal_as_usage_error():
        storage.run(cars=cars, days=days)


@bench_app.command("brokers")
def bench_brokers(
    vehicles: int = typer.Option(1000, min=1, help="Simulated cars"),
    seconds: float = typer.Option(60.0, min=1, help="Seconds of driving per car in the data set"),
    hz: float = typer.Option(10.0, min=0.1, help="Samples per second per car"),
    signals: int = typer.Option(
        len(COLUMNS), min=1, max=len(COLUMNS), help="Signals (datapoints) per sample"
    ),
    message_samples: int = typer.Option(50, min=1, help="Samples per MQTT message"),
    publishers: int = typer.Option(
        3, min=1, max=16, help="Publisher processes, one per node in turn"
    ),
) -> None:
    """Measure RabbitMQ's MQTT plugin (quorum queues) against NATS JetStream, 3 nodes each."""
    from bench import brokers

    brokers.run(
        vehicles=vehicles, seconds=seconds, hz=hz, signals=signals,
        message_samples=message_samples, publishers=publishers,
    )  # fmt: skip
