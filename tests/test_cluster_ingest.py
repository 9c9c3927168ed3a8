"""Ingest on a real 3-node NATS JetStream cluster, and scale-down on MQTT shared subscriptions.

Cars publish MQTT to the cluster's nodes; `pitstop ingest --source jetstream` workers share one
durable consumer. Every test counts what the cars produced against what the database holds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from core.cluster import NatsCluster
from tests.cluster_support import (
    Worker,
    consumer_deliveries,
    jetstream_workers,
    lead_stream_away_from,
    pulls_waiting,
    reset_stream,
    scale_down,
    share_among,
    stop_all,
    stream_through,
)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[NatsCluster]:
    with NatsCluster(tmp_path_factory.mktemp("nats")) as started:
        yield started


@pytest.fixture
def log(tmp_path):
    return tmp_path / "workers.log"


@pytest.mark.timeout(180)
def test_killing_a_node_under_load_loses_and_doubles_nothing(db_url, cluster, log):
    reset_stream(cluster)
    group = f"g{uuid.uuid4().hex[:8]}"
    workers = jetstream_workers(db_url, cluster, log, group, 2)
    try:
        # The node every car is on dies; the uplink stream is led elsewhere (see
        # lead_stream_away_from: losing the stream's leader loses messages on NATS's MQTT).
        stream = stream_through(
            db_url,
            cluster,
            workers,
            lambda: cluster.kill(0),
            ready=lambda: lead_stream_away_from(cluster, 0),
        )
        assert all(car.failovers for car in stream.cars), "a car never moved to another node"
    finally:
        stop_all(workers)
        if not cluster.nodes[0].running:
            cluster.restart(0)


@pytest.mark.timeout(180)
def test_a_worker_killed_mid_batch_has_its_messages_redelivered_to_the_others(db_url, cluster, log):
    reset_stream(cluster)
    group = f"g{uuid.uuid4().hex[:8]}"
    # Slow batches keep messages fetched but unacknowledged when the kill lands.
    workers = jetstream_workers(db_url, cluster, log, group, 3, ingest_max_batch_age_ms="400")
    try:
        stream_through(db_url, cluster, workers, workers[0].kill)
        deliveries, last_stream_seq = consumer_deliveries(cluster, group)
        assert deliveries > last_stream_seq, "nothing was redelivered after the kill"
    finally:
        stop_all(workers[1:])


@pytest.mark.timeout(120)
@pytest.mark.parametrize("count", [1, 2, 4])
def test_one_durable_consumer_shared_by_workers(db_url, cluster, log, count):
    reset_stream(cluster)
    group = f"g{uuid.uuid4().hex[:8]}"
    workers = jetstream_workers(db_url, cluster, log, group, count)
    share_among(db_url, cluster.mqtt_urls, workers, lambda: pulls_waiting(cluster, group) >= count)


@pytest.mark.timeout(120)
def test_scaling_down_from_four_workers_to_one_on_jetstream_loses_nothing(db_url, cluster, log):
    reset_stream(cluster)
    group = f"g{uuid.uuid4().hex[:8]}"
    workers = jetstream_workers(db_url, cluster, log, group, 4)
    scale_down(db_url, cluster.mqtt_urls, workers, mid_stream=False)


@pytest.mark.timeout(120)
def test_scaling_down_from_four_workers_to_one_on_mqtt_shared_subscriptions(db_url, mqtt_url, log):
    group = f"g{uuid.uuid4().hex[:8]}"
    # The first member keeps its session when stopped; the others leave the group.
    workers = [
        Worker(db_url, log, source="mqtt", group=group, args=args, mqtt_url=mqtt_url)
        for args in [(), *[("--leave-on-stop",)] * 3]
    ]
    # The stopped members left the group: the broker queues nothing for their sessions.
    scale_down(db_url, [mqtt_url], workers, mid_stream=False)


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--source", "kafka"], {}, "unknown source 'kafka'"),
        (["--source", "jetstream"], {"PITSTOP_NATS_URLS": ""}, "PITSTOP_NATS_URLS"),
        (["--source", "rabbitmq"], {"PITSTOP_AMQP_URLS": ""}, "PITSTOP_AMQP_URLS"),
        (["--source", "rabbitmq"], {"PITSTOP_AMQP_URLS": "http://x"}, "not an amqp:// or"),
    ],
)
def test_ingest_says_what_is_missing_for_a_source(db_url, args, env, says):
    code = f"from cli.main import app; app({['ingest', *args]!r})"
    settings = {
        "PITSTOP_DATABASE_URL": db_url,
        "PITSTOP_CONFIG": os.devnull,
        "COLUMNS": "200",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **settings}, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert says in done.stderr
