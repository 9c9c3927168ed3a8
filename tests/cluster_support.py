"""Cars that fail over between brokers, `pitstop ingest` worker processes, and counting."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import nats
import nats.js.errors
import paho.mqtt.client as mqtt
from nats.js.api import ConsumerInfo
from paho.mqtt.enums import CallbackAPIVersion

from core.broker import MqttUrl, free_port
from core.cluster import NatsCluster
from core.wire import now_ms, topic
from ingest.jetstream import UPLINK_STREAM
from tests.ingest_support import good_samples, make_vin, scalar, wait_for

SAMPLES = 10  # per message
HOUR_MS = 3_600_000
PAUSE_S = 0.01  # between a car's messages, so that a kill lands mid-stream
PUBACK_TIMEOUT_S = 3.0  # no PUBACK by then: the car assumes the node is gone and moves on
STOP_TIMEOUT_S = 40.0  # a clean stop drains for at least a second


class FailoverCar:
    """A car's uplink: QoS 1, one message at a time, resent on the next broker until acked.

    Like the edge agent's disk buffer, a message leaves the car only once a broker has
    acknowledged it; a resend after a lost PUBACK may duplicate it, which ingest absorbs.
    """

    def __init__(self, urls: list[str]):
        self.urls = urls
        self.node = 0
        self.failovers = 0
        self.client = self._connect()

    def _connect(self) -> mqtt.Client:
        while True:
            target = MqttUrl.parse(self.urls[self.node % len(self.urls)])
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"car-{uuid.uuid4().hex}")
            try:
                client.connect(target.host, target.port, keepalive=10)
            except OSError:
                self.node += 1
                continue
            client.loop_start()
            return client

    def publish(self, name: str, payload: bytes) -> None:
        """Publish until some broker acknowledged the message."""
        while True:
            info = self.client.publish(name, payload, qos=1)
            try:
                info.wait_for_publish(PUBACK_TIMEOUT_S)
                if info.is_published():
                    return
            except (RuntimeError, ValueError):
                pass  # not connected: move on
            self.close()
            self.node += 1
            self.failovers += 1
            self.client = self._connect()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Stream:
    """Cars publishing messages of samples on threads; the expected rows are known."""

    def __init__(
        self, urls: list[str], vins: list[str], messages: int, samples: int, start: int,
        pause: float = 0.0,
    ):  # fmt: skip
        self.urls, self.vins, self.pause = urls, vins, pause
        self.messages, self.samples, self.start_ms = messages, samples, start
        self.cars: list[FailoverCar] = []
        self.threads = [threading.Thread(target=self._drive, args=(v,)) for v in vins]

    @property
    def expected(self) -> int:
        return len(self.vins) * self.messages * self.samples

    def _drive(self, vin: str) -> None:
        car = FailoverCar(self.urls)
        self.cars.append(car)
        try:
            for i in range(self.messages):
                first = self.start_ms + i * self.samples * 1000
                car.publish(
                    topic(vin, "telemetry"), good_samples(self.samples, first, i * self.samples)
                )
                time.sleep(self.pause)
        finally:
            car.close()

    def start(self) -> Stream:
        for thread in self.threads:
            thread.start()
        return self

    def join(self, timeout: float = 120) -> None:
        for thread in self.threads:
            thread.join(timeout)
            assert not thread.is_alive(), "a car did not finish publishing"


class Worker:
    """`pitstop ingest` as a child process, with its /metrics on a port of its own."""

    def __init__(
        self, db_url: str, log: Path, *, source: str, group: str, args: tuple = (), **env: str
    ):
        self.port = free_port()
        self.client_id = f"ingest-{uuid.uuid4().hex[:8]}"
        settings = {
            "PITSTOP_DATABASE_URL": db_url,
            "PITSTOP_INGEST_METRICS_PORT": str(self.port),
            "PITSTOP_INGEST_CLIENT_ID": self.client_id,
            "PITSTOP_INGEST_GROUP": group,
            "PITSTOP_INGEST_MAX_BATCH_ROWS": "200",
            "PITSTOP_CONFIG": os.devnull,
        }
        settings.update({f"PITSTOP_{k.upper()}": v for k, v in env.items()})
        code = f"from cli.main import app; app({['ingest', '--source', source, *args]!r})"
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", code], env={**os.environ, **settings}, stderr=out
            )

    def rows(self) -> int:
        """Telemetry rows this worker committed (0 until its /metrics answers)."""
        return self.metric(r'pitstop_ingest_rows_written_total\{table="telemetry"\}')

    def redelivered(self) -> int:
        """Messages this worker received that the source had delivered before."""
        return self.metric("pitstop_ingest_redelivered_total")

    def metric(self, pattern: str) -> int:
        """The value of the metric the pattern names, 0 until /metrics answers."""
        url = f"http://127.0.0.1:{self.port}/metrics"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                text = response.read().decode()
        except OSError:
            return 0
        found = re.search(rf"^{pattern} (\S+)$", text, re.MULTILINE)
        return int(float(found.group(1))) if found else 0

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        """SIGTERM and wait; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode


def jetstream_workers(db_url: str, cluster: NatsCluster, log: Path, group: str, n: int, **env):
    """n jetstream ingest workers sharing the durable consumer named group."""
    return [
        Worker(db_url, log, source="jetstream", group=group, nats_urls=cluster.nats_urls, **env)
        for _ in range(n)
    ]


def stored(db_url: str, vins: list[str]) -> int:
    return scalar(db_url, "SELECT count(*) FROM telemetry WHERE vin = ANY(%s)", vins)


def assert_each_sample_once(db_url: str, stream: Stream) -> None:
    """Every car's sequence numbers, each exactly once ((vin, ts) is the table's key)."""
    assert stored(db_url, stream.vins) == stream.expected
    for vin in stream.vins:
        seqs = scalar(db_url, "SELECT array_agg(seq ORDER BY seq) FROM telemetry WHERE vin=%s", vin)
        assert seqs == list(range(stream.messages * stream.samples)), vin


def reset_stream(cluster: NatsCluster) -> None:
    """Delete the uplink stream, so that a test starts from an empty one (workers recreate it)."""

    async def delete() -> None:
        nc = await nats.connect(servers=cluster.urls)
        try:
            await nc.jetstream().delete_stream(UPLINK_STREAM)
        except nats.js.errors.NotFoundError:
            pass
        finally:
            await nc.close()

    asyncio.run(delete())


def lead_stream_away_from(cluster: NatsCluster, index: int) -> str:
    """Make a node other than nodes[index] lead the uplink stream; returns the leader's name.

    nats-server 2.9 acknowledges an MQTT QoS 1 message before the stream that captures its
    subject has stored it, so what cars send while the stream elects a leader is lost."""
    avoid = cluster.nodes[index].name

    async def step_down() -> str:
        nc = await nats.connect(servers=cluster.urls)
        try:
            js = nc.jetstream()
            for _ in range(20):
                info = await js.stream_info(UPLINK_STREAM)
                leader = info.cluster.leader if info.cluster else None
                if leader == avoid:
                    await nc.request(f"$JS.API.STREAM.LEADER.STEPDOWN.{UPLINK_STREAM}", b"", 5)
                elif leader is not None:
                    return leader
                await asyncio.sleep(0.5)
            raise AssertionError(f"the uplink stream kept its leader on {avoid}")
        finally:
            await nc.close()

    return asyncio.run(step_down())


def _consumer_info(cluster: NatsCluster, durable: str) -> ConsumerInfo:
    async def info() -> ConsumerInfo:
        nc = await nats.connect(servers=cluster.urls)
        try:
            return await nc.jetstream().consumer_info(UPLINK_STREAM, durable)
        finally:
            await nc.close()

    return asyncio.run(info())


def consumer_deliveries(cluster: NatsCluster, durable: str) -> tuple[int, int]:
    """(deliveries including redeliveries, last stream sequence delivered) of a consumer."""
    delivered = _consumer_info(cluster, durable).delivered
    assert delivered is not None
    return delivered.consumer_seq or 0, delivered.stream_seq or 0


def pulls_waiting(cluster: NatsCluster, durable: str) -> int:
    """How many fetches wait at the consumer: each is a worker ready to take messages."""
    try:
        return _consumer_info(cluster, durable).num_waiting or 0
    except nats.js.errors.NotFoundError:
        return 0  # no worker has set the consumer up yet


def metrics_up(worker: Worker) -> bool:
    """Whether the worker's /metrics answers (it serves before it connects)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/metrics", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # it answered
    except OSError:
        return False


def start_ms() -> int:
    """A start time for fresh samples, an hour back, unique per call."""
    return now_ms() - HOUR_MS + uuid.uuid4().int % 1000


def wait_serving(db_url: str, urls: list[str], workers: list[Worker]) -> None:
    """Wait until every worker serves and a probe sample went all the way to the database."""
    wait_for(lambda: all(metrics_up(w) for w in workers), timeout=30, what="workers to start")
    probe, first = make_vin(), start_ms()

    def probe_stored() -> bool:
        nonlocal first
        for w in workers:
            assert w.proc.poll() is None, f"a worker exited; see {w.log}"
        if not stored(db_url, [probe]):
            first += 1000  # a new sample each time: until the stream exists, they are dropped
            Stream(urls, [probe], 1, 1, first).start().join()
        return bool(stored(db_url, [probe]))

    wait_for(probe_stored, timeout=60, what="a probe sample to be stored")


def stream_through(
    db_url: str, cluster, workers: list[Worker], fault, ready: Callable[[], object] = lambda: None
) -> Stream:
    """Four cars stream; with a quarter of their samples stored, fault() breaks something.
    ready() runs once the workers serve. Returns the stream once every sample is stored,
    each exactly once."""
    wait_serving(db_url, cluster.mqtt_urls, workers)
    ready()
    # Every car starts on the first node.
    vins = [make_vin() for _ in range(4)]
    stream = Stream(cluster.mqtt_urls, vins, 200, SAMPLES, start_ms(), pause=PAUSE_S)
    stream.start()
    wait_for(lambda: stored(db_url, stream.vins) > stream.expected // 4, what="a quarter")
    fault()
    at_fault = stored(db_url, stream.vins)
    stream.join()
    assert at_fault < stream.expected, "the fault came too late to test anything"
    # A lost node's streams and consumers move to the others: on a loaded machine that, and
    # the redelivery of what the dead node held, has taken more than 40 s.
    try:
        wait_for(lambda: stored(db_url, stream.vins) >= stream.expected, timeout=90)
    except AssertionError:
        raise AssertionError(f"after 90 s, {missing(db_url, stream)}") from None
    assert_each_sample_once(db_url, stream)
    return stream


def missing(db_url: str, stream: Stream) -> str:
    """Which of the stream's samples the database lacks, car by car."""
    gaps = []
    for vin in stream.vins:
        held = set(scalar(db_url, "SELECT array_agg(seq) FROM telemetry WHERE vin=%s", vin) or [])
        lost = sorted(set(range(stream.messages * stream.samples)) - held)
        gaps.append(f"{vin} lacks {len(lost)} (seq {lost[:3]}…{lost[-3:]})" if lost else "")
    return "; ".join(g for g in gaps if g) or "nothing is missing"


def stop_all(workers: list[Worker]) -> None:
    codes = [w.stop() for w in workers]
    assert codes == [0] * len(workers), f"workers did not stop cleanly: {codes}"


def share_among(
    db_url: str, urls: list[str], workers: list[Worker], ready: Callable[[], bool] | None = None
):
    """Four cars stream to workers sharing one group: every sample once, every worker a share.
    ready() says when every worker is waiting for messages."""
    try:
        wait_serving(db_url, urls, workers)
        if ready is not None:
            wait_for(ready, timeout=30, what="every worker to wait for messages")
        stream = Stream(urls, [make_vin() for _ in range(4)], 80, SAMPLES, start_ms())
        stream.start().join()
        wait_for(lambda: stored(db_url, stream.vins) >= stream.expected, timeout=40, what="all")
        assert_each_sample_once(db_url, stream)
        shares = [w.rows() for w in workers]
        assert all(shares), f"a worker did none of the work: {shares}"
    finally:
        stop_all(workers)


def scale_down(db_url: str, urls: list[str], workers: list[Worker], *, mid_stream: bool) -> None:
    """Cars stream while all but the first worker stop (mid_stream) or after, and again after:
    every sample of both streams is stored once."""
    try:
        wait_serving(db_url, urls, workers)
        before = Stream(urls, [make_vin() for _ in range(4)], 30, SAMPLES, start_ms()).start()
        if not mid_stream:
            before.join()
        time.sleep(0.5)  # mid-stream, the stop lands while messages are unacknowledged
        stop_all(workers[1:])
        before.join()
        after = Stream(urls, [make_vin() for _ in range(4)], 30, SAMPLES, start_ms())
        after.start().join()
        for stream in (before, after):
            wait_for(lambda s=stream: stored(db_url, s.vins) >= s.expected, timeout=40)
            assert_each_sample_once(db_url, stream)
    finally:
        stop_all(workers[:1])
