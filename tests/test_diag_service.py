"""`pitstop diagnostics` as a process: SIGTERM makes every shard save and stop, promptly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil

from core.db import connect

SHARDS = 2
STOP_WITHIN_S = 20  # a shard finishes its round and saves; well under a container's grace


def _shards(process: subprocess.Popen) -> list[psutil.Process]:
    children = psutil.Process(process.pid).children(recursive=True)
    return [c for c in children if "spawn_main" in " ".join(c.cmdline())]


def test_sigterm_saves_every_shard_and_stops(db_url):
    env = {**os.environ, "PITSTOP_DATABASE_URL": db_url, "PITSTOP_CONFIG": os.devnull}
    command = [sys.executable, "-m", "cli", "diagnostics", "--workers", str(SHARDS)]
    process = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 60
        while len(_shards(process)) < SHARDS and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_shards(process)) == SHARDS, "the shards did not start"
        time.sleep(3)  # the shards are in their loops, and the service waits on them
        process.send_signal(signal.SIGTERM)
        assert process.wait(STOP_WITHIN_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
    with connect(db_url) as conn:
        saved = conn.execute(
            "SELECT shard FROM diagnostics_cursors WHERE shards = %s ORDER BY shard", (SHARDS,)
        ).fetchall()
    assert [s for (s,) in saved] == list(range(SHARDS)), "each shard saved its cursor"
