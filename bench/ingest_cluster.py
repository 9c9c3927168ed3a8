"""`pitstop bench ingest --source jetstream`: the same fleet through a 3-node NATS cluster.

Cars publish MQTT to the nodes in turn; `pitstop ingest --source jetstream` workers (1, 2
and 4) share one durable consumer. Each run is measured against the cluster's own ceiling
(MQTT into the replicated stream, nobody consuming) and the raw COPY ceiling of the same run.
CPU is reported per datapoint, so that the curve can be projected to a bigger machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nats
import nats.js.errors
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
from ingest.jetstream import UPLINK_STREAM, ensure_stream

WORKER_COUNTS = (1, 2, 4)
WARM_UP_TOPIC = "pitstop/bench/warm-up"  # outside the uplink stream's subjects


@dataclass
class ClusterRun:
    """One flat-out run with a number of workers."""

    workers: int
    dps: float
    cpu_us: dict[str, float] = field(default_factory=dict)  # CPU µs per datapoint, by part
    redelivered: int = 0  # deliveries beyond one per message (ack deadline missed)


@dataclass
class ClusterFigures:
    ceiling_dps: float = 0.0  # MQTT → the replicated stream, nothing consuming
    runs: list[ClusterRun] = field(default_factory=list)


async def _stream_call(urls: list[str], action: str, wait_for: int = 0) -> int:
    """Create or delete the uplink stream, or wait until it holds wait_for messages."""
    nc = await nats.connect(servers=urls)
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
            if held >= wait_for:
                return held
            if time.monotonic() > deadline:
                raise RuntimeError(f"the stream holds {held} of {wait_for} messages")
            await asyncio.sleep(POLL_S / 5)
        return 0
    finally:
        await nc.close()


async def _redeliveries(urls: list[str], durable: str) -> int:
    """Deliveries of the consumer beyond one per stream message."""
    nc = await nats.connect(servers=urls)
    try:
        info = await nc.jetstream().consumer_info(UPLINK_STREAM, durable)
        assert info.delivered is not None
        return (info.delivered.consumer_seq or 0) - (info.delivered.stream_seq or 0)
    finally:
        await nc.close()


def _publishers(cluster: NatsCluster, fleet: Fleet, publishers: int) -> list[tuple]:
    """Each publisher process on a node of its own, in turn, with its share of the messages."""
    urls = cluster.mqtt_urls
    return [
        (urls[i % len(urls)], fleet.messages[i::publishers]) for i in range(publishers)
    ]  # fmt: skip


def _warm_up(cluster: NatsCluster) -> None:
    """One QoS 1 message through each node, so that the MQTT set-up (its own replicated
    streams, made on the first connection) is not timed."""
    for url in cluster.mqtt_urls:
        client = _publisher(url)
        client.publish(WARM_UP_TOPIC, b"{}", qos=1).wait_for_publish(60)
        client.disconnect()
        client.loop_stop()


def stream_ceiling(
    cluster: NatsCluster, fleet: Fleet, publishers: int, progress: Progress
) -> float:
    """The fleet's messages over MQTT into the stream (three replicas), nobody consuming."""
    task = progress.add_task("(e) MQTT → JetStream R3", total=len(fleet.messages), info="")
    asyncio.run(_stream_call(cluster.urls, "create"))
    _warm_up(cluster)
    procs, go = _start(publish_all, _publishers(cluster, fleet, publishers), publishers)
    started = time.time()
    go.set()
    asyncio.run(_stream_call(cluster.urls, "wait", len(fleet.messages)))
    dps = fleet.datapoints / (time.time() - started)
    for proc in procs:
        proc.join(30)
    progress.update(task, completed=len(fleet.messages), info=f"{dps:,.0f} dp/s")
    return dps


def cluster_pipeline(
    db_url: str, cluster: NatsCluster, fleet: Fleet, workers: int, publishers: int, progress
) -> ClusterRun:
    """Publishers → cluster → `workers` jetstream ingest processes → PostgreSQL, flat out."""
    asyncio.run(_stream_call(cluster.urls, "delete"))
    with connect(db_url) as conn:
        conn.execute("TRUNCATE telemetry")
        conn.commit()
    env = {
        "PITSTOP_INGEST_SOURCE": "jetstream",
        "PITSTOP_NATS_URLS": cluster.nats_urls,
        "PITSTOP_INGEST_GROUP": f"bench-{uuid.uuid4().hex[:8]}",
    }
    group = IngestGroup(db_url, cluster.mqtt_urls[0], workers, env)
    try:
        base = _probe(group, cluster.mqtt_urls[0])
        task = progress.add_task(f"(f) cluster, {workers} worker(s)", total=fleet.samples, info="")
        procs, go = _start(publish_all, _publishers(cluster, fleet, publishers), publishers)
        meter = CpuMeter(
            {
                "ingest": [m.proc.pid for m in group.members],
                "nats-server": [n.process.pid for n in cluster.nodes if n.process],
                "publishers": [p.pid for p in procs],
            }
        )
        started = time.time()
        go.set()
        finished = _wait_rows(group, base, fleet.samples, progress, task)
        run = ClusterRun(workers, fleet.datapoints / (finished - started))
        run.cpu_us = meter.per_datapoint_us(fleet.datapoints)
        run.cpu_us["ingest per worker"] = run.cpu_us["ingest"] / workers
        run.redelivered = asyncio.run(_redeliveries(cluster.urls, env["PITSTOP_INGEST_GROUP"]))
        progress.update(task, info=f"{run.dps:,.0f} dp/s")
        for proc in procs:
            proc.join(30)
    finally:
        group.stop()
    return run


def run_cluster(
    db_url: str, fleet: Fleet, publishers: int, workdir: Path, progress: Progress
) -> Callable[[float, float], None]:
    """The cluster's ceiling, then the pipeline with 1, 2 and 4 workers; their report."""
    figures = ClusterFigures()
    with NatsCluster(workdir / "nats") as cluster:
        figures.ceiling_dps = stream_ceiling(cluster, fleet, publishers, progress)
        for workers in WORKER_COUNTS:
            figures.runs.append(
                cluster_pipeline(db_url, cluster, fleet, workers, publishers, progress)
            )
    return lambda copy_dps, mqtt_dps: report_cluster(figures, copy_dps, mqtt_dps)


def report_cluster(f: ClusterFigures, copy_dps: float, mqtt_dps: float) -> None:
    """Print the scaling curve against the ceilings, and one summary line."""
    console.print(f"(e) MQTT → JetStream R3   {f.ceiling_dps:>12,.0f} datapoints/s (3 nodes)")
    for run in f.runs:
        cpu = ", ".join(f"{name} {us:.2f}" for name, us in run.cpu_us.items())
        console.print(
            f"(f) cluster, {run.workers} worker(s)  {run.dps:>10,.0f} datapoints/s  "
            f"/ COPY {run.dps / copy_dps:.1%}  / stream {run.dps / f.ceiling_dps:.1%}  "
            f"/ single-machine MQTT {run.dps / mqtt_dps:.1%}  ({run.redelivered} redelivered)"
        )
        console.print(f"    CPU µs per datapoint  {cpu}")
    curve = " ".join(f"w{r.workers}={r.dps:.0f}" for r in f.runs)
    print(
        f"bench ingest jetstream: {curve} stream={f.ceiling_dps:.0f} copy={copy_dps:.0f} "
        f"mqtt={mqtt_dps:.0f} datapoints/s"
    )
