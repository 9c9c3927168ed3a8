"""`pitstop bench brokers`: RabbitMQ (MQTT plugin, quorum queues) against NATS JetStream.

Both engines run as 3-node clusters on this machine, in the same run, and get the same load:
the fleet's pre-encoded telemetry published over MQTT at QoS 1 by publisher processes (spread
over the nodes) until one consumer has received every message. Three paths are measured:
- NATS: MQTT into ingest's replicated uplink stream, read by ingest's own pull consumer;
- NATS: an MQTT persistent-session subscriber (QoS 1), a replicated durable consumer;
- RabbitMQ: the same MQTT subscriber, whose messages wait in a 3-replica quorum queue.
Reported: datapoints/s end to end, and the brokers' own CPU per datapoint.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import psutil
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from bench.ingest import PHASE_TIMEOUT_S, POLL_S, _start, progress_bars
from bench.ingest_load import BareSubscriber, Fleet, _publisher, make_fleet, publish_all
from core.cluster import NatsCluster
from core.rabbit_cluster import RabbitCluster
from core.wire import TOPIC_ROOT
from ingest.batch import Message
from ingest.jetstream import STREAM_REPLICAS, UPLINK_STREAM, JetStreamSource

CLUSTER_SIZE = 3
RABBITMQ_PATH = "RabbitMQ MQTT → quorum queue"
TELEMETRY_FILTER = f"{TOPIC_ROOT}/+/telemetry"
WARM_UP_TOPIC = "pitstop/bench/warm-up"  # outside the subscriber's filter
STREAM_BATCH_ROWS = 10_000  # the ingest default: fetches of up to 500 messages
console = Console()


@dataclass
class EngineRun:
    """One engine's figures."""

    engine: str  # and the path through it
    nodes: int
    queue: str  # what holds the subscriber's messages, as the engine reports it
    dps: float
    broker_cpu_us: float  # CPU µs per datapoint, all broker processes together
    received: int


class StreamConsumer:
    """ingest's own JetStream source on the uplink stream, acknowledging what it counted."""

    def __init__(self, urls: str):
        self.count = 0
        self.last = 0.0
        self._pending: list[Message] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.source = JetStreamSource(
            urls, group=f"bench-{uuid.uuid4().hex[:8]}", client_id="bench-consumer",
            max_batch_rows=STREAM_BATCH_ROWS,
        )  # fmt: skip
        self.source.open(self._on_message, self._stop)
        self._acker = threading.Thread(target=self._ack_loop, daemon=True)
        self._acker.start()

    def _on_message(self, message: Message) -> None:
        with self._lock:
            self._pending.append(message)
            self.count += 1
            self.last = time.time()

    def _ack_loop(self) -> None:
        """Acknowledge in batches, as ingest does after each commit."""
        while not self._stop.wait(POLL_S):
            with self._lock:
                batch, self._pending = self._pending, []
            if batch:
                self.source.ack(batch)

    def close(self) -> None:
        """Stop fetching and acknowledging; close the connection."""
        self._stop.set()
        self._acker.join(10)
        self.source.leave()
        self.source.close(drained=True)


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


def _warm_up(urls: list[str]) -> None:
    """One QoS 1 message through each node, so that per-node MQTT set-up is not timed."""
    for url in urls:
        client = _publisher(url)
        client.publish(WARM_UP_TOPIC, b"{}", qos=1).wait_for_publish(60)
        client.disconnect()
        client.loop_stop()


def through(
    engine: str,
    urls: list[str],
    broker_pids: Callable[[], list[int]],
    subscribe: Callable[[], BareSubscriber | StreamConsumer],
    fleet: Fleet,
    publishers: int,
    progress: Progress,
) -> tuple[float, float, int]:
    """Publish the fleet round the nodes and wait until the subscriber has every message;
    datapoints/s, broker CPU µs per datapoint, messages received."""
    task = progress.add_task(f"{engine}", total=len(fleet.messages), info="")
    _warm_up(urls)
    subscriber = subscribe()
    try:
        shares = [(urls[i % len(urls)], fleet.messages[i::publishers]) for i in range(publishers)]
        procs, go = _start(publish_all, shares, publishers)
        pids = broker_pids()
        broker_before = _cpu_seconds(pids)
        started = time.time()
        go.set()
        deadline = time.monotonic() + PHASE_TIMEOUT_S
        while subscriber.count < len(fleet.messages) and time.monotonic() < deadline:
            progress.update(task, completed=subscriber.count)
            time.sleep(POLL_S)
        broker_cpu = _cpu_seconds(pids) - broker_before
        for proc in procs:
            proc.join(30)
        if subscriber.count < len(fleet.messages):
            raise RuntimeError(
                f"{engine}: the subscriber got {subscriber.count} of {len(fleet.messages)} "
                f"messages within {PHASE_TIMEOUT_S} s"
            )
        dps = fleet.datapoints / (subscriber.last - started)
    finally:
        subscriber.close()
    progress.update(task, completed=len(fleet.messages), info=f"{dps:,.0f} dp/s")
    per_dp = 1e6 / fleet.datapoints
    return dps, broker_cpu * per_dp, subscriber.count


def run_rabbitmq(fleet: Fleet, publishers: int, workdir: Path, progress: Progress) -> EngineRun:
    """The fleet through a RabbitMQ cluster: MQTT plugin, subscription on a quorum queue."""
    with console.status(f"starting {CLUSTER_SIZE} RabbitMQ nodes"):
        cluster = RabbitCluster(workdir / "rabbitmq", size=CLUSTER_SIZE).start()
    try:
        nodes = cluster.cluster_size()

        def pids() -> list[int]:
            return [pid for node in cluster.nodes for pid in node.beam_pids()]

        urls = cluster.mqtt_urls
        subscribe = partial(BareSubscriber, urls[0], TELEMETRY_FILTER, persistent=True)
        dps, broker_us, got = through(
            RABBITMQ_PATH, urls, pids, subscribe, fleet, publishers, progress
        )
        queue = cluster.subscription_queues()
    finally:
        with console.status("stopping RabbitMQ"):
            cluster.stop()
    return EngineRun(RABBITMQ_PATH, nodes, queue, dps, broker_us, got)


def run_nats(
    fleet: Fleet, publishers: int, workdir: Path, progress: Progress, *, uplink: bool
) -> EngineRun:
    """The fleet through a fresh NATS cluster: into ingest's uplink stream and its pull
    consumer (uplink), or an MQTT session on a replicated JetStream consumer."""
    with NatsCluster(workdir / f"nats-{uplink}", size=CLUSTER_SIZE) as cluster:

        def pids() -> list[int]:
            return [n.process.pid for n in cluster.nodes if n.process]

        urls = cluster.mqtt_urls
        subscribe: Callable[[], BareSubscriber | StreamConsumer]
        if uplink:
            label, queue = "NATS MQTT → uplink stream R3", f"stream {UPLINK_STREAM}"
            queue += f" ({STREAM_REPLICAS} replicas) + ingest's pull consumer, batched acks"
            subscribe = partial(StreamConsumer, cluster.nats_urls)
        else:
            label, queue = "NATS MQTT → session consumer", "stream $MQTT_msgs + durable MQTT"
            queue += f" session consumer ({CLUSTER_SIZE} replicas), one PUBACK per message"
            subscribe = partial(BareSubscriber, urls[0], TELEMETRY_FILTER, persistent=True)
        dps, broker_us, got = through(label, urls, pids, subscribe, fleet, publishers, progress)
    return EngineRun(label, CLUSTER_SIZE, queue, dps, broker_us, got)


def run(
    *,
    vehicles: int,
    seconds: float,
    hz: float,
    signals: int,
    message_samples: int,
    publishers: int,
) -> None:
    """Measure both engines on the same fleet, in the same run, and print the ratio."""
    with console.status("generating the fleet's data"):
        fleet = make_fleet(vehicles, seconds, hz, message_samples, signals)
    console.print(
        f"{vehicles} cars x {seconds:g} s x {hz:g} Hz = {fleet.datapoints:,} datapoints in "
        f"{len(fleet.messages):,} messages (~{len(fleet.messages[0][1]) // 1024} KiB each), "
        f"{publishers} publisher process(es), {CLUSTER_SIZE}-node clusters"
    )
    progress = progress_bars(console, width=32)
    with tempfile.TemporaryDirectory(prefix="pitstop-brokers-") as workdir, progress:
        nats_runs = [
            run_nats(fleet, publishers, Path(workdir), progress, uplink=True),
            run_nats(fleet, publishers, Path(workdir), progress, uplink=False),
        ]
        rabbit_run = run_rabbitmq(fleet, publishers, Path(workdir), progress)
    report(nats_runs, rabbit_run)


def report(nats_runs: list[EngineRun], rabbit_run: EngineRun) -> None:
    """Every run's figures, each NATS run against RabbitMQ, then one summary line."""
    for r in (*nats_runs, rabbit_run):
        console.print(
            f"{r.engine:<30} {r.dps:>11,.0f} datapoints/s  broker CPU "
            f"{r.broker_cpu_us:.2f} µs/dp  ({r.nodes} nodes, {r.received:,} received)"
        )
        console.print(f"    holds the messages: {escape(r.queue)}")
    for r in nats_runs:
        console.print(
            f"{r.engine} / RabbitMQ: throughput {r.dps / rabbit_run.dps:.2f}x, "
            f"broker CPU per datapoint {r.broker_cpu_us / rabbit_run.broker_cpu_us:.2f}x"
        )
    figures = " ".join(
        f"{name}={r.dps:.0f}dp/s,{r.broker_cpu_us:.2f}us/dp"
        for name, r in zip(
            ("nats_uplink", "nats_session", "rabbitmq"), (*nats_runs, rabbit_run), strict=True
        )
    )
    print(f"bench brokers: {figures}")
