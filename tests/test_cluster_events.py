"""Internal events through the JetStream stream on a real 3-node NATS cluster: alert events
reach the proactive worker, feed events reach an advisor's SSE stream, relays that race or are
killed publish every event exactly once, and events still flow with one node killed.

The poll fallbacks are set far beyond each test's wait, so an event that arrives in time came
through the stream.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from sqlalchemy import select

from api import event_stream
from api.event_stream import EVENTS_STREAM, SUBJECT_ROOT, EventRelay, JetStreamSink
from api.proactive import feed
from api.proactive.constants import FEED_CHANNEL
from api.proactive.models import Proposal
from api.proactive.worker import Worker, WorkerConfig
from core.cluster import NatsCluster
from core.db import connect
from tests.console_support import serve
from tests.events_support import ARRIVAL_S, NEVER_S, add_feed_event, new_store, open_advisor_feed
from tests.ingest_support import scalar, wait_for
from tests.proactive_support import make_car, make_dealer, raise_alerts

RELAY_CODE = (
    "import sys, threading; from api.event_stream import EventRelay, JetStreamSink; "
    "EventRelay(sys.argv[1], JetStreamSink(sys.argv[2].split(','))).run(threading.Event())"
)


@pytest.fixture(autouse=True)
def no_feed_poll(monkeypatch):
    """SSE streams re-read the table only when woken."""
    monkeypatch.setattr(feed, "STREAM_POLL_S", NEVER_S)


@pytest.fixture
def advisor_feed(app, base_url):
    yield from open_advisor_feed(app, base_url)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[NatsCluster]:
    with NatsCluster(tmp_path_factory.mktemp("nats")) as started:
        yield started


@pytest.fixture(scope="module")
def settings_overrides(cluster):
    return {
        "events_source": "jetstream",
        "nats_urls": cluster.nats_urls,
        "stream_recheck_seconds": NEVER_S,
    }


@pytest.fixture(scope="module")
def relay(app, db_url, cluster) -> Iterator[EventRelay]:
    """A relay thread, as a proactive worker runs one."""
    started = EventRelay(db_url, JetStreamSink(cluster.urls))
    stop = threading.Event()
    thread = threading.Thread(target=started.run, args=(stop,), daemon=True)
    thread.start()
    wait_for(lambda: stream_exists(cluster), what="the relay to create the stream")
    yield started
    stop.set()
    thread.join(10)


@pytest.fixture(scope="module")
def base_url(app, relay) -> Iterator[str]:
    with serve(app) as url:
        yield url


def _in_cluster(cluster: NatsCluster, work):
    async def run():
        nc = await nats.connect(servers=[n.url for n in cluster.nodes if n.running])
        try:
            return await work(nc.jetstream(timeout=5))
        finally:
            await nc.close()

    return asyncio.run(run())


def stream_exists(cluster: NatsCluster) -> bool:
    async def info(js):
        try:
            await js.stream_info(EVENTS_STREAM)
            return True
        except nats.js.errors.NotFoundError:
            return False

    return _in_cluster(cluster, info)


def msg_ids(cluster: NatsCluster, subject: str) -> Counter[str]:
    """How often each Nats-Msg-Id is stored in the stream on subject."""

    async def read(js):
        state = (await js.stream_info(EVENTS_STREAM)).state
        found: Counter[str] = Counter()
        for seq in range(state.first_seq, state.last_seq + 1):
            try:
                msg = await js.get_msg(EVENTS_STREAM, seq)
            except nats.js.errors.NotFoundError:
                continue
            if msg.subject == subject:
                found[(msg.headers or {})["Nats-Msg-Id"]] += 1
        return found

    return _in_cluster(cluster, read)


def test_an_alert_reaches_the_worker_through_the_stream_and_is_booked(app, db_url, cluster):
    with app.state.session_factory() as session:
        dealer = make_dealer(session, stock=2)
        _, vehicle = make_car(session, dealer)
        session.commit()
    config = WorkerConfig(threads=1, poll_s=NEVER_S, forecasts_s=None, storage_s=None)
    worker = Worker(app.state.settings, config)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: stream_exists(cluster), what="the worker's relay to create the stream")
        time.sleep(1.0)  # the listener's first wake-up has passed
        raise_alerts(db_url, [vehicle.vin])
        event_id = scalar(db_url, "SELECT max(id) FROM alert_events WHERE vin = %s", vehicle.vin)
        subject = f"{SUBJECT_ROOT}.alert.{dealer.store.id}"
        wait_for(lambda: msg_ids(cluster, subject), ARRIVAL_S, "the alert event in the stream")
        assert msg_ids(cluster, subject) == {f"alert-{event_id}": 1}
        handled = "SELECT outcome FROM proactive_handled_events WHERE alert_event_id = %s"
        wait_for(lambda: scalar(db_url, handled, event_id) == "booked", ARRIVAL_S, "a booking")
        with app.state.session_factory() as session:
            proposal = session.scalar(select(Proposal).where(Proposal.vin == vehicle.vin))
            assert proposal is not None and proposal.appointment_id and proposal.work_order_id
    finally:
        worker.stop.set()
        thread.join(30)
    assert not thread.is_alive(), "the worker did not stop"


def test_a_feed_event_reaches_an_sse_client_through_the_stream(app, cluster, advisor_feed):
    reader, store_id = advisor_feed
    event_id = add_feed_event(app, store_id)
    wait_for(lambda: reader.got(event_id), ARRIVAL_S, "the card on the SSE stream")
    assert msg_ids(cluster, f"{SUBJECT_ROOT}.feed.{store_id}") == {f"feed-{event_id}": 1}
    listening = scalar(
        app.state.settings.database_url,
        "SELECT count(*) FROM pg_stat_activity WHERE query = %s",
        f"LISTEN {FEED_CHANNEL}",
    )
    assert listening == 0, "the API listens on PostgreSQL although events come from the stream"


def _relay_process(db_url: str, cluster: NatsCluster, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", RELAY_CODE, db_url, cluster.nats_urls], stderr=out
        )


def test_relays_racing_killed_and_restarted_publish_each_event_once(
    app, db_url, cluster, relay, tmp_path
):
    store_id = new_store(app)
    first = _relay_process(db_url, cluster, tmp_path / "relay.log")
    expected = []
    with connect(db_url) as late:  # a transaction that commits after higher ids did
        expected.append(
            late.execute(
                "INSERT INTO feed_events (store_id, kind, data) "
                "VALUES (%s, 'alert_opened', '{}') RETURNING id",
                (store_id,),
            ).fetchone()[0]
        )
        second = None
        try:
            for i in range(40):
                expected.append(add_feed_event(app, store_id))
                time.sleep(0.05)
                if i == 20:
                    first.send_signal(signal.SIGKILL)
                    first.wait(10)
                    second = _relay_process(db_url, cluster, tmp_path / "relay.log")
            late.commit()
            subject = f"{SUBJECT_ROOT}.feed.{store_id}"
            everything = {f"feed-{i}" for i in expected}
            wait_for(lambda: set(msg_ids(cluster, subject)) == everything, 30, "every event")
            time.sleep(2 * event_stream.RELAY_POLL_S)  # a late duplicate would be stored by now
            counts = msg_ids(cluster, subject)
        finally:
            for process in (first, second):
                if process is not None and process.poll() is None:
                    process.terminate()
                    process.wait(10)
    assert set(counts) == everything
    assert max(counts.values()) == 1, [k for k, n in counts.items() if n > 1]


def _stream_leader(cluster: NatsCluster) -> int:
    async def info(js):
        return await js.stream_info(EVENTS_STREAM)

    found = _in_cluster(cluster, info)
    assert found.config.num_replicas == 3, "the events stream must survive the loss of a node"
    return next(i for i, node in enumerate(cluster.nodes) if node.name == found.cluster.leader)


def test_events_still_flow_with_one_node_killed(app, cluster, relay, advisor_feed):
    reader, store_id = advisor_feed
    victim = _stream_leader(cluster)
    cluster.kill(victim)
    try:
        wait_for(lambda: _has_leader(cluster), 30, "a new stream leader")
        event_id = add_feed_event(app, store_id)
        wait_for(lambda: reader.got(event_id), 30, "the card with a node down")
        assert msg_ids(cluster, f"{SUBJECT_ROOT}.feed.{store_id}") == {f"feed-{event_id}": 1}
    finally:
        cluster.restart(victim)


def _has_leader(cluster: NatsCluster) -> bool:
    async def leader(js):
        try:
            info = await js.stream_info(EVENTS_STREAM)
        except (nats.errors.Error, OSError):
            return False
        return bool(info.cluster and info.cluster.leader)

    try:
        return _in_cluster(cluster, leader)
    except (nats.errors.Error, OSError):
        return False
