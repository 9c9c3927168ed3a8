"""Prometheus metrics of one ingest process, in a registry of its own."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

BATCH_SIZE_BUCKETS = (1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000)
COMMIT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# Fine buckets below 2 s: the benchmark reads p50/p99 from this histogram.
LATENCY_BUCKETS = (
    0.05,
    0.1,
    0.15,
    0.2,
    0.25,
    0.3,
    0.4,
    0.5,
    0.6,
    0.75,
    1,
    1.25,
    1.5,
    2,
    3,
    5,
    10,
    30,
    60,
    300,
    3600,
)


class Metrics:
    """Counters, histograms and gauges of the ingest loop."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "pitstop_ingest_messages", "MQTT messages received", ["kind"], registry=r
        )
        self.rows = Counter(
            "pitstop_ingest_rows_written",
            "Rows committed (duplicates excluded)",
            ["table"],
            registry=r,
        )
        self.dead_letters = Counter(
            "pitstop_ingest_dead_letters", "Rejected messages or samples", ["reason"], registry=r
        )
        self.batch_size = Histogram(
            "pitstop_ingest_batch_rows",
            "Rows per committed batch",
            buckets=BATCH_SIZE_BUCKETS,
            registry=r,
        )
        self.commit_seconds = Histogram(
            "pitstop_ingest_batch_commit_seconds",
            "Time to write and commit one batch",
            buckets=COMMIT_BUCKETS,
            registry=r,
        )
        self.latency = Histogram(
            "pitstop_ingest_publish_to_commit_seconds",
            "From the newest sample timestamp of a telemetry message to its commit",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.oldest_uncommitted = Gauge(
            "pitstop_ingest_oldest_uncommitted_seconds",
            "Age of the oldest sample received but not yet committed (0 when none)",
            registry=r,
        )
        self.last_commit = Gauge(
            "pitstop_ingest_last_commit_timestamp_seconds",
            "When the last batch committed (Unix time; 0 before the first)",
            registry=r,
        )
        self.redelivered = Counter(
            "pitstop_ingest_redelivered",
            "Messages the source had delivered before (a worker lost, an ack lost); stored once",
            registry=r,
        )
        self.db_errors = Counter(
            "pitstop_ingest_database_errors", "Failed batch writes (retried)", registry=r
        )

    def watch_oldest(self, oldest_seconds: Callable[[], float]) -> None:
        """Compute the oldest-uncommitted gauge at scrape time."""
        self.oldest_uncommitted.set_function(oldest_seconds)

    def serve(self, port: int) -> None:
        """Serve /metrics on the port (0 means: do not serve)."""
        if port:
            start_http_server(port, registry=self.registry)
