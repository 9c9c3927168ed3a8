"""`pitstop bench ingest --source jetstream|rabbitmq`: the same fleet through a 3-node cluster.

Cars publish MQTT to the nodes in turn; `pitstop ingest` workers (1, 2 and 4) share one
JetStream durable consumer, or one RabbitMQ quorum queue over AMQP. Each run is measured
against the cluster's own ceiling (MQTT into the replicated stream or queue, nobody
consuming) and the raw COPY ceiling of the same run. CPU is reported per datapoint, so that
the curve can be projected to a bigger machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nats
import nats.js.errors
import pika
from rich.progress import Progress

from bench.ingest import (
    PHASE_TIMEOUT_S,
    POLL_S,
    CpuMeter,
    IngestGroup,
    _probe,
    _start,
    _wait_rows,
    console,
)
from bench.ingest_load import Fleet, _publisher, publish_all
from core.cluster import NatsCluster
from core.db import connect
from core.rabbit_cluster import RabbitCluster
from ingest.jetstream import UPLINK_STREAM, ensure_stream
from ingest.rabbitmq import QUEUE_PREFIX, declare_queue

WORKER_COUNTS = (1, 2, 4)
WARM_UP_TOPIC = "pitstop/bench/warm-up"  # outside the uplink subjects and routing keys
CEILING_GROUP = "bench-ceiling"


@dataclass
class ClusterRun:
    """One flat-out run with a number of workers."""

    workers: int
    dps: float
    cpu_us: dict[str, float] = field(default_factory=dict)  # CPU µs per datapoint, by part
    redelivered: int = 0  # messages delivered more than once (a deadline missed, a loss)


@dataclass
class ClusterFigures:
    engine: str
    ceiling_dps: float = 0.0  # MQTT → the replicated stream or queue, nothing consuming
    runs: list[ClusterRun] = field(default_factory=list)


class JetStreamEngine:
    """Three NATS nodes; ingest shares the uplink stream's durable consumer."""

    name, source, broker, ceiling_label = "jetstream", "jetstream", "nats-server", "JetStream R3"

    def __init__(self, workdir: Path):
        self.cluster = NatsCluster(workdir / "nats")

    def broker_pids(self) -> list[int]:
        return [n.process.pid for n in self.cluster.nodes if n.process]

    def worker_env(self) -> dict[str, str]:
        return {"PITSTOP_NATS_URLS": self.cluster.nats_urls}

    def hold(self, group: str) -> None:
        """Make the replicated store that takes the cars' messages (empty)."""
        asyncio.run(self._stream_call("delete"))
        asyncio.run(self._stream_call("create"))

    def wait_held(self, group: str, count: int) -> None:
        """Wait until the stream holds count messages, polling on one connection."""
        asyncio.run(self._stream_call("wait", count))

    def drop(self, group: str) -> None:
        asyncio.run(self._stream_call("delete"))

    async def _stream_call(self, action: str, count: int = 0) -> None:
        nc = await nats.connect(servers=self.cluster.urls)
        try:
            js = nc.jetstream()
            if action == "create":
                await ensure_stream(js)
            elif action == "delete":
                with contextlib.suppress(nats.js.errors.NotFoundError):
                    await js.delete_stream(UPLINK_STREAM)
            deadline = time.monotonic() + PHASE_TIMEOUT_S
            while action == "wait":
                held = int((await js.stream_info(UPLINK_STREAM)).state.messages)
                if held >= count:
                    return
                _check_deadline(deadline, held, count)
                await asyncio.sleep(POLL_S / 5)
        finally:
            await nc.close()


class RabbitEngine:
    """Three RabbitMQ nodes with the MQTT plugin; ingest shares one quorum queue over AMQP."""

    name, source, broker, ceiling_label = "rabbitmq", "rabbitmq", "rabbitmq", "quorum queue"

    def __init__(self, workdir: Path):
        self.cluster = RabbitCluster(workdir / "rabbit")
        self._connection: pika.BlockingConnection | None = None

    def broker_pids(self) -> list[int]:
        return [pid for node in self.cluster.nodes for pid in node.beam_pids()]

    def worker_env(self) -> dict[str, str]:
        return {"PITSTOP_AMQP_URLS": self.cluster.amqp_urls}

    @contextlib.contextmanager
    def _channel(self) -> Iterator[pika.adapters.blocking_connection.BlockingChannel]:
        """A channel on a connection kept between calls (polling opens none of its own)."""
        if self._connection is None or not self._connection.is_open:
            url = self.cluster.nodes[0].amqp_url
            self._connection = pika.BlockingConnection(pika.URLParameters(url))
        channel = self._connection.channel()
        try:
            yield channel
        finally:
            channel.close()

    def hold(self, group: str) -> None:
        with self._channel() as channel:
            declare_queue(channel, group)

    def wait_held(self, group: str, count: int) -> None:
        """Wait until the queue holds count messages, polling on one channel."""
        deadline = time.monotonic() + PHASE_TIMEOUT_S
        with self._channel() as channel:
            while True:
                declared = channel.queue_declare(QUEUE_PREFIX + group, passive=True)
                held = declared.method.message_count
                if held >= count:
                    return
                _check_deadline(deadline, held, count)
                time.sleep(POLL_S / 5)

    def drop(self, group: str) -> None:
        with self._channel() as channel:
            channel.queue_delete(QUEUE_PREFIX + group)


Engine = JetStreamEngine | RabbitEngine
ENGINES: dict[str, type[JetStreamEngine] | type[RabbitEngine]] = {
    "jetstream": JetStreamEngine,
    "rabbitmq": RabbitEngine,
}


def _publishers(engine: Engine, fleet: Fleet, publishers: int) -> list[tuple]:
    """Each publisher process on a node of its own, in turn, with its share of the messages."""
    urls = engine.cluster.mqtt_urls
    return [
        (urls[i % len(urls)], fleet.messages[i::publishers]) for i in range(publishers)
    ]  # fmt: skip


def _warm_up(engine: Engine) -> None:
    """One QoS 1 message through each node, so that a node's MQTT set-up (NATS makes its own
    replicated streams on the first connection) is not timed."""
    for url in engine.cluster.mqtt_urls:
        client = _publisher(url)
        client.publish(WARM_UP_TOPIC, b"{}", qos=1).wait_for_publish(60)
        client.disconnect()
        client.loop_stop()


def _check_deadline(deadline: float, held: int, count: int) -> None:
    if time.monotonic() > deadline:
        raise RuntimeError(f"the cluster holds {held} of {count} messages")


def ceiling(engine: Engine, fleet: Fleet, publishers: int, progress: Progress) -> float:
    """The fleet's messages over MQTT into the replicated stream or queue, nobody consuming."""
    task = progress.add_task(
        f"(e) MQTT → {engine.ceiling_label}", total=len(fleet.messages), info=""
    )
    engine.hold(CEILING_GROUP)
    _warm_up(engine)
    procs, go = _start(publish_all, _publishers(engine, fleet, publishers), publishers)
    started = time.time()
    go.set()
    engine.wait_held(CEILING_GROUP, len(fleet.messages))
    dps = fleet.datapoints / (time.time() - started)
    for proc in procs:
        proc.join(30)
    engine.drop(CEILING_GROUP)
    progress.update(task, completed=len(fleet.messages), info=f"{dps:,.0f} dp/s")
    return dps


def _redelivered(group: IngestGroup) -> int:
    found = (
        re.search(r"^pitstop_ingest_redelivered_total (\S+)", m.metrics(), re.M)
        for m in group.members
    )
    return sum(int(float(f.group(1))) for f in found if f)


def cluster_pipeline(
    db_url: str, engine: Engine, fleet: Fleet, workers: int, publishers: int, progress
) -> ClusterRun:
    """Publishers → cluster → `workers` ingest processes → PostgreSQL, flat out."""
    name = f"bench-{uuid.uuid4().hex[:8]}"
    with connect(db_url) as conn:
        conn.execute("TRUNCATE telemetry")
        conn.commit()
    env = {
        "PITSTOP_INGEST_SOURCE": engine.source,
        "PITSTOP_INGEST_GROUP": name,
        **engine.worker_env(),
    }
    mqtt_url = engine.cluster.mqtt_urls[0]
    group = IngestGroup(db_url, mqtt_url, workers, env)
    try:
        base = _probe(group, mqtt_url)
        task = progress.add_task(f"(f) cluster, {workers} worker(s)", total=fleet.samples, info="")
        procs, go = _start(publish_all, _publishers(engine, fleet, publishers), publishers)
        meter = CpuMeter(
            {
                "ingest": [m.proc.pid for m in group.members],
                engine.broker: engine.broker_pids(),
                "publishers": [p.pid for p in procs],
            }
        )
        started = time.time()
        go.set()
        finished = _wait_rows(group, base, fleet.samples, progress, task)
        run = ClusterRun(workers, fleet.datapoints / (finished - started))
        run.cpu_us = meter.per_datapoint_us(fleet.datapoints)
        run.cpu_us["ingest per worker"] = run.cpu_us["ingest"] / workers
        run.redelivered = _redelivered(group)
        progress.update(task, info=f"{run.dps:,.0f} dp/s")
        for proc in procs:
            proc.join(30)
    finally:
        group.stop()
        engine.drop(name)
    return run


def run_cluster(
    engine_name: str,
) -> Callable[[str, Fleet, int, Path, Progress], Callable[[float, float], None]]:
    """The run for `bench ingest`: the engine's ceiling, then 1, 2 and 4 workers."""

    def run(
        db_url: str, fleet: Fleet, publishers: int, workdir: Path, progress: Progress
    ) -> Callable[[float, float], None]:
        engine = ENGINES[engine_name](workdir)
        figures = ClusterFigures(engine.name)
        with engine.cluster:
            figures.ceiling_dps = ceiling(engine, fleet, publishers, progress)
            for workers in WORKER_COUNTS:
                figures.runs.append(
                    cluster_pipeline(db_url, engine, fleet, workers, publishers, progress)
                )
        return lambda copy_dps, mqtt_dps: report_cluster(figures, copy_dps, mqtt_dps)

    return run


def report_cluster(f: ClusterFigures, copy_dps: float, mqtt_dps: float) -> None:
    """Print the scaling curve against the ceilings, and one summary line."""
    console.print(f"(e) MQTT → {f.engine}, 3 nodes  {f.ceiling_dps:>12,.0f} datapoints/s")
    for run in f.runs:
        cpu = ", ".join(f"{name} {us:.2f}" for name, us in run.cpu_us.items())
        console.print(
            f"(f) cluster, {run.workers} worker(s)  {run.dps:>10,.0f} datapoints/s  "
            f"/ COPY {run.dps / copy_dps:.1%}  / cluster ceiling {run.dps / f.ceiling_dps:.1%}  "
            f"/ single-machine MQTT {run.dps / mqtt_dps:.1%}  ({run.redelivered} redelivered)"
        )
        console.print(f"    CPU µs per datapoint  {cpu}")
    curve = " ".join(f"w{r.workers}={r.dps:.0f}" for r in f.runs)
    print(
        f"bench ingest {f.engine}: {curve} ceiling={f.ceiling_dps:.0f} copy={copy_dps:.0f} "
        f"mqtt={mqtt_dps:.0f} datapoints/s"
    )
