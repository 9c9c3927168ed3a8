"""`pitstop bench events`: an internal event's way from the commit of its row to a reader.

On a scratch database, feed events (the cards of the advisors' live feed) are committed and a
reader wakes on them, on two paths in the same run:
1. ceiling: the single-machine path, the row's trigger NOTIFY to a LISTEN connection;
2. a 3-node NATS or RabbitMQ cluster started here: the relay of `pitstop worker` copies each
   row to the broker (api.event_stream), and the reader is the watch an API replica runs.
The broker path runs first, on an empty table, because a relay that starts re-sends the rows
of its last two minutes. Latency: one event at a time, from sending the statement that commits
it to the reader waking (median, p99). Throughput: `--events` rows committed BATCH to a
transaction, from the first until the reader woke for the last.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from rich.console import Console

from api.event_stream import relay_for, watcher_for
from api.proactive.constants import FEED_CHANNEL
from bench.stats import median_p99
from core.db import psycopg_url
from core.db.scratch import scratch_database
from core.settings import Settings

console = Console()
BATCH = 100  # events per transaction in the throughput run
WAKE_TIMEOUT_S = 30.0  # an event not seen by then fails the run
SETTLE_S = 1.0  # for the wake-ups of a watch that just connected
ADD_EVENT = "INSERT INTO feed_events (store_id, kind, data) VALUES (%s, 'alert_opened', '{}')"


@dataclass
class PathFigures:
    label: str
    latencies_ms: list[float]
    events_per_s: float

    @property
    def median_ms(self) -> float:
        return median_p99(self.latencies_ms)[0]

    @property
    def p99_ms(self) -> float:
        return median_p99(self.latencies_ms)[1]


class Reader:
    """Records the time of every wake-up; wait(n) returns the time of the n-th."""

    def __init__(self) -> None:
        self.woken: list[float] = []
        self._changed = threading.Condition()

    @property
    def count(self) -> int:
        return len(self.woken)

    def wake(self) -> None:
        with self._changed:
            self.woken.append(time.monotonic())
            self._changed.notify_all()

    def wait(self, count: int) -> float:
        """The monotonic time of the `count`-th wake-up, once it happened."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.count >= count, WAKE_TIMEOUT_S):
                raise RuntimeError(
                    f"the reader saw {self.count} of {count} events within {WAKE_TIMEOUT_S} s"
                )
            return self.woken[count - 1]


def measure(label: str, database_url: str, store_id: int, reader: Reader, rounds: int,
            events: int) -> PathFigures:  # fmt: skip
    """Latency over `rounds` single events, then throughput over `events`."""
    latencies = []
    with psycopg.connect(psycopg_url(database_url), autocommit=True) as conn:
        for _ in range(rounds):
            seen = reader.count
            committing = time.monotonic()
            conn.execute(ADD_EVENT, (store_id,))  # autocommit: this commits
            latencies.append((reader.wait(seen + 1) - committing) * 1000)
        seen = reader.count
        started = time.monotonic()
        for first in range(0, events, BATCH):
            with conn.transaction():
                for _ in range(min(BATCH, events - first)):
                    conn.execute(ADD_EVENT, (store_id,))
        finished = reader.wait(seen + events)
    return PathFigures(label, latencies, events / (finished - started))


@contextmanager
def listening(database_url: str, reader: Reader) -> Iterator[None]:
    """A LISTEN connection on the feed channel that wakes the reader on each notification."""
    stop = threading.Event()
    conn = psycopg.connect(psycopg_url(database_url), autocommit=True)
    conn.execute(f"LISTEN {FEED_CHANNEL}")

    def listen() -> None:
        while not stop.is_set():
            for _ in conn.notifies(timeout=0.2):
                reader.wake()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        conn.close()


@contextmanager
def through_broker(settings: Settings, reader: Reader) -> Iterator[None]:
    """The relay, and a watch of the feed events that wakes the reader, on threads."""
    stop = threading.Event()
    relay = relay_for(settings)
    relay_thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    loop = asyncio.new_event_loop()
    watch = watcher_for(settings, "feed")
    watching = asyncio.run_coroutine_threadsafe(watch(reader.wake), loop)
    loop_thread = threading.Thread(target=loop.run_forever, daemon=True)
    relay_thread.start()
    loop_thread.start()
    try:
        reader.wait(1)  # the watch is connected (it wakes on connecting)
        time.sleep(SETTLE_S)
        yield
    finally:
        stop.set()
        loop.call_soon_threadsafe(watching.cancel)
        relay_thread.join(30)
        loop.call_soon_threadsafe(loop.stop)
        loop_thread.join(30)


@contextmanager
def cluster_settings(source: str, database_url: str, workdir: Path) -> Iterator[Settings]:
    """A 3-node cluster of the source's engine, and the settings that point at it."""
    if source == "jetstream":
        from core.cluster import NatsCluster

        with NatsCluster(workdir / "nats") as nats_cluster:
            yield Settings(
                database_url=database_url,
                events_source="jetstream",
                nats_urls=nats_cluster.nats_urls,
            )
    else:
        from core.rabbit_cluster import RabbitCluster

        with RabbitCluster(workdir / "rabbit") as rabbit_cluster:
            yield Settings(
                database_url=database_url,
                events_source="rabbitmq",
                amqp_urls=rabbit_cluster.amqp_urls,
            )


def _a_store(database_url: str) -> int:
    from api.auth.models import DealerGroup, Store
    from api.db import transaction

    with transaction(database_url) as session:
        group = DealerGroup(code="BENCH", name="Bench")
        store = Store(dealer_group=group, code="BENCH-1", name_zh="基准", name_en="Bench", city="-")
        session.add(store)
        session.flush()
        return store.id


def run(*, source: str, rounds: int, events: int,
        progress: Callable[[str], None] = console.print) -> list[PathFigures]:  # fmt: skip
    """Both paths on one scratch database; prints and returns their figures."""
    with scratch_database("bench_events") as url, tempfile.TemporaryDirectory() as tmp:
        store_id = _a_store(url)
        progress(f"starting a 3-node {source} cluster")
        with cluster_settings(source, url, Path(tmp)) as settings:
            reader = Reader()
            with through_broker(settings, reader):
                progress(f"relay → {source} → watch")
                broker = measure(f"relay → {source}", url, store_id, reader, rounds, events)
        progress("ceiling: LISTEN/NOTIFY on the database")
        reader = Reader()
        with listening(url, reader):
            ceiling = measure("LISTEN/NOTIFY", url, store_id, reader, rounds, events)
    report(ceiling, broker, rounds, events)
    return [ceiling, broker]


def report(ceiling: PathFigures, broker: PathFigures, rounds: int, events: int) -> None:
    console.print(f"{rounds} single events, then {events} in transactions of {BATCH}:")
    for f in (ceiling, broker):
        console.print(
            f"  {f.label:<22} median {f.median_ms:7.2f} ms  p99 {f.p99_ms:7.2f} ms  "
            f"{f.events_per_s:9,.0f} events/s"
        )
    console.print(
        f"events_latency_ratio={broker.median_ms / ceiling.median_ms:.1f}x "
        f"events_throughput_ratio={broker.events_per_s / ceiling.events_per_s:.2f}x "
        "(the broker path against LISTEN/NOTIFY)"
    )
