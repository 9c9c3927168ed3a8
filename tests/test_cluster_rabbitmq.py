"""Ingest on a real 3-node RabbitMQ cluster: cars on MQTT, workers on one quorum queue.

Cars publish MQTT to the cluster's nodes; `pitstop ingest --source rabbitmq` workers consume
the group's quorum queue over AMQP. Every test counts what the cars produced against what the
database holds.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pika
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from core.amqp import parse_urls
from core.broker import MqttUrl
from core.rabbit_cluster import RabbitCluster
from core.wire import topic
from ingest.rabbitmq import QUEUE_PREFIX, RabbitMQSource, declare_queue
from tests.cluster_support import (
    Worker,
    scale_down,
    share_among,
    start_ms,
    stop_all,
    stored,
    stream_through,
    wait_serving,
)
from tests.ingest_support import good_samples, make_vin, wait_for

ADD_CAR = Path(__file__).parent.parent / "deploy" / "rabbitmq" / "add-car.sh"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[RabbitCluster]:
    with RabbitCluster(tmp_path_factory.mktemp("rabbit")) as started:
        yield started


@pytest.fixture
def log(tmp_path):
    return tmp_path / "workers.log"


@pytest.fixture
def group(cluster) -> Iterator[str]:
    """A fresh ingest group; its queue is deleted afterwards, so it stops collecting copies."""
    name = f"g{uuid.uuid4().hex[:8]}"
    yield name
    with channel_on(cluster) as channel:
        channel.queue_delete(QUEUE_PREFIX + name)


@contextlib.contextmanager
def channel_on(cluster: RabbitCluster):
    """An AMQP channel on the first running node."""
    node = next(n for n in cluster.nodes if n.running)
    connection = pika.BlockingConnection(pika.URLParameters(node.amqp_url))
    try:
        yield connection.channel()
    finally:
        connection.close()


def rabbit_workers(db_url, cluster: RabbitCluster, log, group: str, n: int, **env) -> list[Worker]:
    """n rabbitmq ingest workers consuming the group's quorum queue."""
    return [
        Worker(db_url, log, source="rabbitmq", group=group, amqp_urls=cluster.amqp_urls, **env)
        for _ in range(n)
    ]


def queue_members(cluster: RabbitCluster, group: str) -> int:
    listing = cluster.ctl_call(
        cluster.nodes[1], "list_queues", "name", "type", "members", "--quiet",
        "--no-table-headers",
    )  # fmt: skip
    for line in listing.splitlines():
        if line.split() and line.split()[0] == QUEUE_PREFIX + group:
            assert line.split()[1] == "quorum", line
            return line.count("@")
    raise AssertionError(f"no queue for {group}: {listing}")


@pytest.mark.timeout(240)
def test_killing_a_node_under_load_loses_and_doubles_nothing(db_url, cluster, log, group):
    # Workers and cars all start on the first node, where the queue's leader is placed.
    workers = rabbit_workers(db_url, cluster, log, group, 2)
    try:
        wait_serving(db_url, cluster.mqtt_urls, workers)
        assert queue_members(cluster, group) == 3
        stream = stream_through(db_url, cluster, workers, lambda: cluster.kill(0))
        assert all(car.failovers for car in stream.cars), "a car never moved to another node"
    finally:
        stop_all(workers)
        if not cluster.nodes[0].running:
            cluster.restart(0)


@pytest.mark.timeout(240)
def test_a_worker_killed_mid_batch_has_its_messages_redelivered_to_the_others(
    db_url, cluster, log, group
):
    # Slow batches keep messages delivered but unacknowledged when the kill lands.
    workers = rabbit_workers(db_url, cluster, log, group, 3, ingest_max_batch_age_ms="400")
    try:
        stream_through(db_url, cluster, workers, workers[0].kill)
        redelivered = sum(w.redelivered() for w in workers[1:])
        assert redelivered > 0, "nothing was redelivered after the kill"
    finally:
        stop_all(workers[1:])


@pytest.mark.timeout(150)
@pytest.mark.parametrize("count", [1, 2, 4])
def test_one_queue_shared_by_workers(db_url, cluster, log, group, count):
    share_among(db_url, cluster.mqtt_urls, rabbit_workers(db_url, cluster, log, group, count))


@pytest.mark.timeout(150)
def test_scaling_down_from_four_workers_to_one_loses_nothing(db_url, cluster, log, group):
    workers = rabbit_workers(db_url, cluster, log, group, 4)
    scale_down(db_url, cluster.mqtt_urls, workers, mid_stream=True)


def test_a_queue_of_another_kind_is_refused_with_what_to_do(cluster, group):
    with channel_on(cluster) as channel:
        channel.queue_declare(QUEUE_PREFIX + group, durable=True)  # a classic queue
    with channel_on(cluster) as channel, pytest.raises(RuntimeError) as refused:
        declare_queue(channel, group)
    assert "not a durable quorum queue" in str(refused.value)
    assert f"rabbitmqctl delete_queue {QUEUE_PREFIX}{group}" in str(refused.value)


def test_wrong_credentials_stop_the_worker_with_what_to_do(cluster, group):
    url = cluster.nodes[0].amqp_url.replace("guest:guest", "guest:wrong")
    source = RabbitMQSource(url, group=group, client_id="t", max_batch_rows=100)
    with pytest.raises(RuntimeError) as refused:
        source.open(lambda message: None, threading.Event())
    assert "refused the credentials of PITSTOP_AMQP_URLS" in str(refused.value)


@pytest.mark.parametrize(
    ("urls", "says"),
    [("", "set PITSTOP_AMQP_URLS"), ("amqp://a:5672/,nats://b:4222", "'nats://b:4222' is not")],
)
def test_node_urls_are_checked(urls, says):
    with pytest.raises(ValueError) as refused:
        parse_urls(urls)
    assert says in str(refused.value)


def add_car(cluster: RabbitCluster, vin: str, password: str) -> subprocess.CompletedProcess[str]:
    ctl, env = cluster.ctl_command(cluster.nodes[0])
    return subprocess.run(
        ["sh", str(ADD_CAR), vin, password], env={**env, "RABBITMQCTL": ctl},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def car_client(cluster: RabbitCluster, vin: str, password: str) -> tuple[mqtt.Client, int]:
    """A car's MQTT client on the first node; the CONNACK's reason code."""
    target = MqttUrl.parse(cluster.mqtt_urls[0])
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{vin}-{uuid.uuid4().hex[:6]}")
    client.username_pw_set(vin, password)
    connack: list[int] = []
    client.on_connect = lambda _c, _u, _f, reason, _p: connack.append(reason.value)
    client.connect(target.host, target.port, keepalive=10)
    client.loop_start()
    wait_for(lambda: bool(connack), 10, "a CONNACK")
    return client, connack[0]


@pytest.mark.timeout(150)
def test_a_car_account_publishes_its_own_topics_and_nobody_elses(db_url, cluster, log, group):
    workers = rabbit_workers(db_url, cluster, log, group, 1)
    own, other = make_vin(), make_vin()
    try:
        wait_serving(db_url, cluster.mqtt_urls, workers)
        added = add_car(cluster, own, "s3cret-own")
        assert added.returncode == 0, added.stderr
        client, reason = car_client(cluster, own, "s3cret-own")
        assert reason == 0
        client.publish(topic(own, "telemetry"), good_samples(5, start_ms(), 0), qos=1)
        wait_for(lambda: stored(db_url, [own]) == 5, 20, "the car's own samples")
        # Another car's topic: the broker closes the connection and routes nothing.
        client.publish(topic(other, "telemetry"), good_samples(5, start_ms(), 0), qos=1)
        wait_for(lambda: not client.is_connected(), 10, "the broker to refuse the publish")
        client.loop_stop()
        time.sleep(1.0)
        assert stored(db_url, [other]) == 0
        _, reason = car_client(cluster, own, "wrong")
        assert reason != 0, "a wrong password was accepted"
    finally:
        stop_all(workers)


@pytest.mark.parametrize(
    ("vin", "says"), [("NOT-A-VIN", "is not a VIN"), ("1HGCM82633A00435", "17 characters")]
)
def test_add_car_refuses_what_is_not_a_vin(cluster, vin, says):
    added = add_car(cluster, vin, "x")
    assert added.returncode == 2
    assert says in added.stderr
