"""`pitstop bench ingest`: the raw COPY ceiling, the broker ceiling and the full pipeline."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bench.ingest_load import BareSubscriber, Fleet, make_fleet, publish_all, publish_paced
from core.broker import LocalBroker, free_port
from core.db import connect
from core.db.scratch import scratch_database
from core.signals import COLUMNS
from core.vin import with_check_digit
from core.wire import TOPIC_ROOT, Sample, Telemetry, encode, now_ms, topic

PHASE_TIMEOUT_S = 300  # a phase that takes longer than this is reported as failed
POLL_S = 0.05
SCRAPE_S = 0.25  # scraping /metrics costs the ingest CPU; its commit time keeps the timing exact
console = Console()
# More measurements on the same fleet: (db_url, fleet, publishers, workdir, progress) → a
# report taking the COPY and pipeline figures, printed after the main report.
Also = Callable[[str, Fleet, int, Path, Progress], Callable[[float, float], None]]


@dataclass
class Figures:
    copy_dps: float = 0.0
    broker_dps: float = 0.0
    pipeline_dps: float = 0.0
    paced_dps: float = 0.0
    p50: float = float("nan")
    p99: float = float("nan")
    peak_rss_mb: float = 0.0
    ingests: int = 1
    cpu_us: dict[str, float] = field(default_factory=dict)  # CPU µs per datapoint, flat out


class CpuMeter:
    """CPU seconds used by each part of the pipeline between two readings.

    PostgreSQL is every `postgres` process on the machine, so read it on a quiet one.
    """

    def __init__(self, parts: dict[str, list[int]]):
        self.parts = {name: [psutil.Process(pid) for pid in pids] for name, pids in parts.items()}
        self.parts["PostgreSQL"] = [
            p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"
        ]
        self.start = self._read()

    def _read(self) -> dict[str, float]:
        used = {}
        for name, procs in self.parts.items():
            total = 0.0
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    times = proc.cpu_times()
                    total += times.user + times.system
            used[name] = total
        return used

    def per_datapoint_us(self, datapoints: int) -> dict[str, float]:
        """Each part's CPU since the meter started, in µs per datapoint."""
        now = self._read()
        return {name: (now[name] - self.start[name]) / datapoints * 1e6 for name in now}


def run(
    *,
    vehicles: int,
    seconds: float,
    hz: float,
    signals: int,
    message_samples: int,
    publishers: int,
    rate: float,
    paced_seconds: float,
    ingests: int = 1,
    also: Also | None = None,
) -> None:
    """Measure COPY, the broker and the full MQTT → ingest → PostgreSQL pipeline; then `also`
    (the cluster runs) on the same fleet and database."""
    figures = Figures(ingests=ingests)
    with scratch_database() as db_url:
        with console.status("generating the fleet's data"):
            fleet = make_fleet(vehicles, seconds, hz, message_samples, signals)
        console.print(
            f"{vehicles} cars x {seconds:g} s x {hz:g} Hz = {fleet.samples:,} samples, "
            f"{fleet.datapoints:,} datapoints in {len(fleet.messages):,} messages of "
            f"{message_samples} samples (~{len(fleet.messages[0][1]) // 1024} KiB each)"
        )
        with (
            tempfile.TemporaryDirectory() as workdir,
            LocalBroker(Path(workdir)) as broker,
            progress_bars() as progress,
        ):
            figures.copy_dps = copy_ceiling(db_url, fleet, progress)
            figures.broker_dps = broker_ceiling(broker.url, fleet, publishers, progress)
            pipeline(
                db_url,
                broker.url,
                broker.process.pid,
                fleet,
                figures,
                progress,
                publishers=publishers,
                rate=rate,
                paced_seconds=paced_seconds,
                per_message=message_samples,
                signals=signals,
                ingests=ingests,
            )
            also_report = also(db_url, fleet, publishers, Path(workdir), progress) if also else None
    report(figures, rate)
    if also_report:
        also_report(figures.copy_dps, figures.pipeline_dps)


def progress_bars(on: Console = console, width: int = 28) -> Progress:
    """One bar per phase, its description padded to width, on the console given."""
    return Progress(
        TextColumn(f"{{task.description:<{width}}}"),
        BarColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=on,
    )


def copy_ceiling(db_url: str, fleet: Fleet, progress: Progress) -> float:
    """Binary COPY of the same rows straight into telemetry, in one transaction."""
    task = progress.add_task("(a) COPY into telemetry", total=fleet.samples, info="")
    columns = ", ".join(("vin", "ts", "seq", *COLUMNS))
    with connect(db_url) as conn:
        days = sorted({row[1].date() for row in fleet.rows})
        conn.execute("SELECT pitstop_ensure_partitions(%s, %s)", (days[0], days[-1]))
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY telemetry ({columns}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types(["text", "timestamptz", "int8", *["float8"] * len(COLUMNS)])
            for n, row in enumerate(fleet.rows):
                copy.write_row(row)
                if n % 20_000 == 0:
                    progress.update(task, completed=n)
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("TRUNCATE telemetry")
        conn.commit()
    dps = fleet.datapoints / elapsed
    progress.update(task, completed=fleet.samples, info=f"{dps:,.0f} dp/s")
    return dps


def _start(target, args: tuple, publishers: int) -> tuple[list, object]:
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    procs = []
    for i in range(publishers):
        ready = ctx.Event()
        proc = ctx.Process(target=target, args=(*args[i], ready, go), daemon=True)
        proc.start()
        if not ready.wait(60):
            raise RuntimeError("a publisher process did not connect to the broker within 60 s")
        procs.append(proc)
    return procs, go


def _split(messages: list, parts: int) -> list[tuple[list]]:
    return [(messages[i::parts],) for i in range(parts)]


def broker_ceiling(url: str, fleet: Fleet, publishers: int, progress: Progress) -> float:
    """The same messages through the broker to a subscriber that only counts them."""
    task = progress.add_task("(b) broker → bare subscriber", total=len(fleet.messages), info="")
    subscriber = BareSubscriber(url, f"{TOPIC_ROOT}/+/telemetry")
    try:
        procs, go = _start(
            publish_all, [(url, *a) for a in _split(fleet.messages, publishers)], publishers
        )
        started = time.time()
        go.set()
        deadline = time.monotonic() + PHASE_TIMEOUT_S
        while subscriber.count < len(fleet.messages) and time.monotonic() < deadline:
            progress.update(task, completed=subscriber.count)
            time.sleep(POLL_S)
        for proc in procs:
            proc.join(30)
        if subscriber.count < len(fleet.messages):
            raise RuntimeError(f"the subscriber got {subscriber.count} of {len(fleet.messages)}")
        dps = fleet.datapoints / (subscriber.last - started)
    finally:
        subscriber.close()
    progress.update(task, completed=len(fleet.messages), info=f"{dps:,.0f} dp/s")
    return dps


class IngestProcess:
    """`pitstop ingest` as a child process, observed through its /metrics."""

    def __init__(self, db_url: str, mqtt_url: str, extra_env: dict[str, str] | None = None):
        self.port = free_port()
        env = {
            **os.environ,
            "PITSTOP_DATABASE_URL": db_url,
            "PITSTOP_MQTT_URL": mqtt_url,
            "PITSTOP_INGEST_METRICS_PORT": str(self.port),
            "PITSTOP_INGEST_CLIENT_ID": f"bench-ingest-{uuid.uuid4().hex[:8]}",
            **(extra_env or {}),
        }
        code = "from cli.main import app; app(['ingest'])"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code], env=env, stderr=subprocess.DEVNULL
        )
        self.ps = psutil.Process(self.proc.pid)
        self.peak_rss = 0

    def metrics(self) -> str:
        """The /metrics text (empty while the server is not up yet)."""
        self.peak_rss = max(self.peak_rss, self.ps.memory_info().rss)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as r:
                return r.read().decode()
        except OSError:
            return ""

    def progress(self) -> tuple[int, float]:
        """Telemetry rows committed so far, and when the last batch committed (Unix time)."""
        text = self.metrics()
        rows = re.search(r'pitstop_ingest_rows_written_total\{table="telemetry"\} (\S+)', text)
        last = re.search(r"^pitstop_ingest_last_commit_timestamp_seconds (\S+)", text, re.M)
        return int(float(rows.group(1))) if rows else 0, float(last.group(1)) if last else 0.0

    def rows(self) -> int:
        """Telemetry rows the ingest has committed so far."""
        return self.progress()[0]

    def high_water_rss(self) -> int:
        """Peak resident memory (VmHWM where the kernel reports it)."""
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
            return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024
        except (OSError, AttributeError):
            return self.peak_rss

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class IngestGroup:
    """Several `pitstop ingest` processes sharing the subscriptions ($share, MQTT 5), or one
    JetStream consumer (extra_env)."""

    def __init__(
        self, db_url: str, mqtt_url: str, processes: int, extra_env: dict[str, str] | None = None
    ):
        self.members = [IngestProcess(db_url, mqtt_url, extra_env) for _ in range(processes)]

    def progress(self) -> tuple[int, float]:
        """Rows committed by all members, and the latest commit time among them."""
        each = [m.progress() for m in self.members]
        return sum(rows for rows, _ in each), max(last for _, last in each)

    def rows(self) -> int:
        return self.progress()[0]

    def latency_buckets(self) -> list[tuple[float, float]]:
        """The publish → commit histogram, the members' counts added bucket by bucket."""
        per_member = [_latency_buckets(m.metrics()) for m in self.members]
        return [(same[0][0], sum(n for _, n in same)) for same in zip(*per_member, strict=True)]

    def exited(self) -> bool:
        return any(m.proc.poll() is not None for m in self.members)

    def high_water_rss(self) -> int:
        return max(m.high_water_rss() for m in self.members)

    def stop(self) -> None:
        for member in self.members:
            member.stop()


def _wait_rows(ingest: IngestGroup, base: int, target: int, progress, task) -> float:
    """Wait until the ingest has committed target rows more than base; when that commit was."""
    deadline = time.monotonic() + PHASE_TIMEOUT_S
    while True:
        rows, last_commit = ingest.progress()
        if (done := rows - base) >= target:
            break
        if time.monotonic() > deadline or ingest.exited():
            raise RuntimeError(f"ingest committed {done} of {target} rows")
        progress.update(task, completed=done)
        time.sleep(SCRAPE_S)
    progress.update(task, completed=target)
    return last_commit


def _probe(ingest: IngestGroup, mqtt_url: str) -> int:
    """Publish a message at a time until every ingest process has committed a row (the broker
    hands shared messages round): all are subscribed. Their row count."""
    from bench.ingest_load import _publisher

    client = _publisher(mqtt_url)
    vin = with_check_digit("LBNCH0000PR0BE000")
    deadline = time.monotonic() + 60
    try:
        while min(m.rows() for m in ingest.members) < 1:
            if time.monotonic() > deadline or ingest.exited():
                raise RuntimeError("pitstop ingest did not start within 60 s")
            payload = encode(Telemetry([Sample(now_ms(), 0, {"RPM": 800.0})]))  # a new row
            client.publish(topic(vin, "telemetry"), payload, qos=1).wait_for_publish(10)
            time.sleep(0.3)
    finally:
        client.disconnect()
        client.loop_stop()
    return ingest.rows()


def pipeline(
    db_url: str,
    mqtt_url: str,
    broker_pid: int,
    fleet: Fleet,
    figures: Figures,
    progress: Progress,
    *,
    publishers: int,
    rate: float,
    paced_seconds: float,
    per_message: int,
    signals: int,
    ingests: int,
) -> None:
    """Publishers → broker → `pitstop ingest` → PostgreSQL, flat out and then paced."""
    ingest = IngestGroup(db_url, mqtt_url, ingests)
    try:
        base = _probe(ingest, mqtt_url)
        task = progress.add_task("(c) pipeline, flat out", total=fleet.samples, info="")
        args = [(mqtt_url, *a) for a in _split(fleet.messages, publishers)]
        procs, go = _start(publish_all, args, publishers)
        meter = CpuMeter(
            {
                "ingest": [m.proc.pid for m in ingest.members],
                "broker": [broker_pid],
                "publishers": [p.pid for p in procs],
            }
        )
        started = time.time()
        go.set()
        finished = _wait_rows(ingest, base, fleet.samples, progress, task)
        figures.cpu_us = meter.per_datapoint_us(fleet.datapoints)
        figures.pipeline_dps = fleet.datapoints / (finished - started)
        progress.update(task, info=f"{figures.pipeline_dps:,.0f} dp/s")
        for proc in procs:
            proc.join(30)
        with connect(db_url) as conn:
            stored = conn.execute(
                "SELECT count(*) FROM telemetry WHERE vin = ANY(%s)", (fleet.vins,)
            ).fetchone()[0]
        if stored != fleet.samples:
            raise RuntimeError(f"{stored} fleet rows in telemetry, expected {fleet.samples}")

        before = ingest.latency_buckets()
        base = ingest.rows()
        # As publish_paced counts them: each publisher sends its own whole number of messages.
        messages = publishers * int(paced_seconds / (per_message * signals / (rate / publishers)))
        target = messages * per_message
        task = progress.add_task(f"(d) pipeline at {rate:,.0f} dp/s", total=target, info="")
        share = [
            (
                mqtt_url,
                fleet.vins[i::publishers],
                rate / publishers,
                paced_seconds,
                per_message,
                signals,
            )
            for i in range(publishers)
        ]
        procs, go = _start(publish_paced, share, publishers)
        started = time.time()
        go.set()
        finished = _wait_rows(ingest, base, target, progress, task)
        figures.paced_dps = target * signals / (finished - started)
        after = ingest.latency_buckets()
        figures.p50, figures.p99 = (_quantile(before, after, q) for q in (0.5, 0.99))
        progress.update(task, info=f"p99 {figures.p99:.2f} s")
        for proc in procs:
            proc.join(30)
        figures.peak_rss_mb = ingest.high_water_rss() / 2**20
    finally:
        ingest.stop()


def _latency_buckets(text: str) -> list[tuple[float, float]]:
    pattern = r'pitstop_ingest_publish_to_commit_seconds_bucket\{le="([^"]+)"\} (\S+)'
    return [(float(le), float(n)) for le, n in re.findall(pattern, text)]


def _quantile(before, after, q: float) -> float:
    """histogram_quantile over the difference of two scrapes (linear within a bucket)."""
    counts = [(le, n - b) for (le, n), (_, b) in zip(after, before, strict=True)]
    total = counts[-1][1] if counts else 0
    if not total:
        return float("nan")
    rank, lower, below = q * total, 0.0, 0.0
    for le, n in counts:
        if n >= rank:
            if le == float("inf"):
                return lower
            return lower + (le - lower) * (rank - below) / max(n - below, 1e-9)
        lower, below = le, n
    return lower


def report(f: Figures, rate: float) -> None:
    """Print the figures, and the one-line summary last."""
    console.print(f"(a) raw COPY ceiling      {f.copy_dps:>12,.0f} datapoints/s")
    console.print(f"(b) broker ceiling        {f.broker_dps:>12,.0f} datapoints/s")
    console.print(
        f"(c) pipeline, flat out    {f.pipeline_dps:>12,.0f} datapoints/s "
        f"({f.ingests} ingest process{'es' if f.ingests > 1 else ''})"
    )
    console.print(f"    pipeline / COPY       {f.pipeline_dps / f.copy_dps:>12.1%}")
    console.print(f"    pipeline / broker     {f.pipeline_dps / f.broker_dps:>12.1%}")
    cpu = ", ".join(f"{name} {us:.2f}" for name, us in f.cpu_us.items())
    console.print(f"    CPU µs per datapoint  {cpu}")
    console.print(
        f"(d) pipeline, paced       {f.paced_dps:>12,.0f} datapoints/s (offered {rate:,.0f})"
    )
    console.print(f"    publish → commit      p50 {f.p50:.3f} s, p99 {f.p99:.3f} s")
    console.print(f"    ingest peak RSS       {f.peak_rss_mb:>12.0f} MiB (the largest process)")
    print(
        f"bench ingest: pipeline={f.pipeline_dps:.0f} datapoints/s copy={f.copy_dps:.0f} "
        f"broker={f.broker_dps:.0f} paced={f.paced_dps:.0f} p50={f.p50:.3f}s p99={f.p99:.3f}s "
        f"rss={f.peak_rss_mb:.0f}MiB ingests={f.ingests}"
    )
