"""The disk under the edge buffer fills during a long outage: the agent keeps the newest
samples and its trouble codes, drops the oldest telemetry, and says how much it dropped (a log
line, and the counters of its status message, which reach the database).

As root the outbox sits on a small loop-mounted ext4 file system that really fills; otherwise
(and always, too) the outbox's own entry cap stands in for the disk.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from core import wire
from core.broker import free_port
from edge_agent.agent import Agent
from edge_agent.buffer import DISK_RESERVE_BYTES, decode_sample
from tests.edge_support import FakeCar, make_vin
from tests.faults.processes import scalar, start_ingest, stop_gently, wait_for

CONFIG = wire.VehicleConfig(
    version=1,
    signals={"RPM": 0.1, "SPEED": 0.1, "COOLANT_TEMP": 0.1},
    batch=wire.BatchConfig(max_samples=50, max_age_s=1.0),
)
TICK_MS = 100
DISK_MB = DISK_RESERVE_BYTES // 2**20 + 8  # room for a few MB of outbox above the reserve
# (ticks of 100 ms, the outbox's entry cap) for each way of running out of room
CASES = {"loop file system": (40_000, None), "entry cap": (6_000, 2_000)}
CODE = "P0301"
CODE_AT_END = 500  # the trouble code appears this many ticks before the outage ends


@contextmanager
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A DISK_MB ext4 file system mounted for the test (root only)."""
    if os.geteuid() != 0 or not all(map(shutil.which, ("mkfs.ext4", "mount", "umount"))):
        pytest.skip("a loop-mounted file system needs root and e2fsprogs")
    image, mount = tmp_path / "disk.img", tmp_path / "disk"
    with open(image, "wb") as f:
        f.truncate(DISK_MB * 2**20)
    mount.mkdir()
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True, capture_output=True)
    done = subprocess.run(["mount", "-o", "loop", str(image), str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a loop device here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def _outage(vin: str, outbox: Path, ticks: int, cap: int | None) -> tuple[int, list[int]]:
    """An outage of ticks * 100 ms of the car's time; samples produced and the seqs kept."""
    now = [wire.now_ms() - 2 * 3_600_000]
    car = FakeCar(vin)
    extra = {"buffer_max_entries": cap} if cap else {}
    agent = Agent(link=car, mqtt_url=f"mqtt://127.0.0.1:{free_port()}", buffer_path=outbox,
                  config=CONFIG, clock=lambda: now[0], **extra)  # fmt: skip
    agent.start()
    for i in range(ticks):
        if i == ticks - CODE_AT_END:
            car.stored = [CODE]
        agent.tick()
        now[0] += TICK_MS
    assert agent.buffer is not None and agent.uplink is not None
    entries = agent.buffer.pending(0, 10**9)
    produced = agent.buffer.next_seq
    agent.uplink.close(None, 1)  # the car is switched off before the broker comes back
    agent.buffer.close()
    kinds = [e.kind for e in entries]
    assert "dtc" in kinds, "the trouble code was dropped"
    return produced, [decode_sample(e.payload).seq for e in entries if e.kind == "sample"]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("case", list(CASES))
def test_a_full_outbox_keeps_the_newest_and_the_codes_and_says_what_it_dropped(
    case, db_url, own_broker, tmp_path, caplog
):
    ticks, cap = CASES[case]
    vin = make_vin(uuid.uuid4().hex[:6])
    with small_disk(tmp_path) if cap is None else _plain(tmp_path) as folder:
        outbox = folder / "outbox.sqlite"
        with caplog.at_level(logging.WARNING, logger="edge_agent.buffer"):
            produced, kept = _outage(vin, outbox, ticks, cap)
        dropped = produced - len(kept)
        assert dropped > 0, f"the outbox never ran out of room ({produced} samples kept)"
        assert kept == list(range(dropped, produced)), "not the newest samples were kept"
        if cap is None:
            assert "dropping the oldest telemetry" in caplog.text
        ingest = start_ingest(db_url, own_broker.url, uuid.uuid4().hex[:8], tmp_path / "i.log")
        try:
            agent = Agent(link=FakeCar(vin, stored=[CODE]), mqtt_url=own_broker.url,
                          buffer_path=outbox, config=CONFIG)  # fmt: skip
            agent.start()
            assert agent.flush(60), "the outbox did not drain after the outage"
            agent.stop()
            sent = "SELECT count(*) FROM telemetry WHERE vin = %s AND seq < %s"
            wait_for(lambda: scalar(db_url, sent, vin, produced) == len(kept), 60, "the kept")
        finally:
            assert stop_gently(ingest) == 0
    seqs = scalar(db_url, "SELECT array_agg(seq ORDER BY seq) FROM telemetry WHERE vin = %s"
                  " AND seq < %s", vin, produced)  # fmt: skip
    assert seqs == kept, "the database does not hold exactly the kept samples"
    codes = scalar(db_url, "SELECT array_agg(DISTINCT code) FROM dtc_events WHERE vin = %s", vin)
    assert codes == [CODE]
    reported = scalar(
        db_url,
        "SELECT max((buffer->>'dropped_telemetry')::int) FROM vehicle_status_events WHERE vin = %s",
        vin,
    )
    assert reported == dropped, f"the status said {reported} dropped, the outbox lost {dropped}"


@contextmanager
def _plain(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
