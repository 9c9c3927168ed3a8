"""Internal events through a real 3-node RabbitMQ cluster: alert events reach the proactive
worker, feed events reach an advisor's SSE stream, a relay restarted after events were added
sends them, and events still flow with the node everyone was connected to killed.

The poll fallbacks are set far beyond each test's wait, so an event that arrives in time came
through RabbitMQ.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from api.event_rabbitmq import RabbitSink
from api.event_stream import EventRelay
from api.proactive import feed
from api.proactive.constants import FEED_CHANNEL
from api.proactive.models import Proposal
from api.proactive.worker import Worker, WorkerConfig
from core import amqp
from core.rabbit_cluster import RabbitCluster
from tests.console_support import serve
from tests.events_support import (
    ARRIVAL_S,
    NEVER_S,
    add_feed_event,
    new_store,
    open_advisor_feed,
)
from tests.ingest_support import scalar, wait_for
from tests.proactive_support import make_car, make_dealer, raise_alerts


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[RabbitCluster]:
    with RabbitCluster(tmp_path_factory.mktemp("rabbit")) as started:
        yield started


@pytest.fixture(scope="module")
def settings_overrides(cluster):
    return {
        "events_source": "rabbitmq",
        "amqp_urls": cluster.amqp_urls,
        "stream_recheck_seconds": NEVER_S,
    }


class RunningRelay:
    """A relay thread, as a proactive worker runs one; stop() and start() again at will."""

    def __init__(self, db_url: str, urls: str):
        self.db_url, self.urls = db_url, urls
        self.start()

    def start(self) -> None:
        self.relay = EventRelay(self.db_url, RabbitSink(self.urls))
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.relay.run, args=(self.stop_flag,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_flag.set()
        self.thread.join(10)
        assert not self.thread.is_alive(), "the relay did not stop"


@pytest.fixture(scope="module")
def relay(app, db_url, cluster) -> Iterator[RunningRelay]:
    running = RunningRelay(db_url, cluster.amqp_urls)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def base_url(app, relay) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture(autouse=True)
def no_feed_poll(monkeypatch):
    """SSE streams re-read the table only when woken."""
    monkeypatch.setattr(feed, "STREAM_POLL_S", NEVER_S)


@pytest.fixture
def advisor_feed(app, base_url):
    yield from open_advisor_feed(app, base_url)


def test_an_alert_reaches_the_worker_through_rabbitmq_and_is_booked(app, db_url, cluster):
    with app.state.session_factory() as session:
        dealer = make_dealer(session, stock=2)
        _, vehicle = make_car(session, dealer)
        session.commit()
    config = WorkerConfig(threads=1, poll_s=NEVER_S, forecasts_s=None, storage_s=None)
    worker = Worker(app.state.settings, config)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        assert worker.relay is not None and isinstance(worker.relay.sink, RabbitSink)
        time.sleep(2.0)  # the relay and the listener are connected, the first wake-up passed
        raise_alerts(db_url, [vehicle.vin])
        event_id = scalar(db_url, "SELECT max(id) FROM alert_events WHERE vin = %s", vehicle.vin)
        handled = "SELECT outcome FROM proactive_handled_events WHERE alert_event_id = %s"
        wait_for(lambda: scalar(db_url, handled, event_id) == "booked", ARRIVAL_S, "a booking")
        assert worker.relay.published >= 1
        with app.state.session_factory() as session:
            proposal = session.scalar(select(Proposal).where(Proposal.vin == vehicle.vin))
            assert proposal is not None and proposal.appointment_id and proposal.work_order_id
    finally:
        worker.stop.set()
        thread.join(30)
    assert not thread.is_alive(), "the worker did not stop"


def test_a_feed_event_reaches_an_sse_client_through_rabbitmq(app, relay, advisor_feed):
    reader, store_id = advisor_feed
    before = relay.relay.published
    event_id = add_feed_event(app, store_id)
    wait_for(lambda: reader.got(event_id), ARRIVAL_S, "the card on the SSE stream")
    assert relay.relay.published > before
    listening = scalar(
        app.state.settings.database_url,
        "SELECT count(*) FROM pg_stat_activity WHERE query = %s",
        f"LISTEN {FEED_CHANNEL}",
    )
    assert listening == 0, "the API listens on PostgreSQL although events come from RabbitMQ"


def test_events_added_while_the_relay_was_down_are_sent_when_it_returns(app, relay, advisor_feed):
    reader, store_id = advisor_feed
    relay.stop()
    missed = [add_feed_event(app, store_id) for _ in range(3)]
    time.sleep(1.0)
    assert not any(reader.got(i) for i in missed), "a card arrived with no relay running"
    relay.start()
    wait_for(lambda: all(reader.got(i) for i in missed), ARRIVAL_S, "the missed cards")


def test_events_still_flow_with_the_first_node_killed(app, cluster, relay, advisor_feed):
    # The relay and the API's watch connected to the first node: both must move on.
    reader, store_id = advisor_feed
    cluster.kill(0)
    try:
        time.sleep(3.0)  # the watch has moved on, and its catch-up wake-up has passed
        event_id = add_feed_event(app, store_id)
        wait_for(lambda: reader.got(event_id), 30, "the card with a node down")
    finally:
        cluster.restart(0)


def test_an_idle_relay_keeps_its_connection(app, db_url, cluster, relay, monkeypatch):
    # With 1 s heartbeats the broker drops a client that misses two; an idle relay must not.
    monkeypatch.setattr(amqp, "HEARTBEAT_S", 1)
    idle = RunningRelay(db_url, cluster.amqp_urls)
    try:
        sink = idle.relay.sink
        assert isinstance(sink, RabbitSink)
        assert all(node.heartbeat == 1 for node in sink.nodes)
        wait_for(lambda: sink.connections == 1, ARRIVAL_S, "the relay to connect")
        time.sleep(6.0)
        before = idle.relay.published
        add_feed_event(app, new_store(app))
        wait_for(lambda: idle.relay.published > before, ARRIVAL_S, "the event sent")
        assert sink.connections == 1, "the broker dropped the idle relay"
    finally:
        idle.stop()
