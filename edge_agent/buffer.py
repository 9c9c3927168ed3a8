"""The on-disk outbox: every sample, DTC report and status is written here before it is sent.

SQLite in WAL mode: a committed entry survives a broker outage and a kill -9 of the agent.
An entry leaves the outbox only when the broker has acknowledged it (PUBACK). When the
outbox is full, or the disk under it is nearly full, the oldest telemetry samples are dropped
first; DTC and status messages go only when no sample is left. Drops are counted on disk, so
they survive restarts too.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

import msgspec

from core.wire import BufferInfo, Sample, encode

log = logging.getLogger(__name__)

# About 200 bytes a sample: 200,000 samples are ~40 MB, two days of one sample a second.
MAX_ENTRIES = 200_000
# The outbox stops growing while less than this is free on its disk: the WAL alone grows to
# about 4 MB (SQLite's 1,000-page autocheckpoint) before it is reused, and a write into a full
# disk fails outright, losing the newest data instead of the oldest.
DISK_RESERVE_BYTES = 8 * 1024 * 1024

SAMPLE = "sample"
EVENT_KINDS = ("dtc", "status")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    ts INTEGER NOT NULL,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_kind ON outbox (kind, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Entry(NamedTuple):
    id: int
    kind: str  # "sample", "dtc" or "status"
    ts: int
    payload: bytes  # a JSON Sample for "sample", else the whole wire message


class Buffer:
    """A persistent FIFO of outgoing messages with a size cap; safe to share between threads."""

    def __init__(self, path: Path, *, max_entries: int = MAX_ENTRIES):
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives the process being killed (not a power cut),
        # at a fraction of the cost of a full fsync per sample.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._meta: dict[str, int] = dict(self._db.execute("SELECT key, value FROM meta"))
        self._depth: int = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        self._disk_low = False

    @property
    def depth(self) -> int:
        """Entries waiting for an acknowledgement."""
        return self._depth

    @property
    def next_seq(self) -> int:
        """The sequence number the next sample will get."""
        return self._meta.get("next_seq", 0)

    def info(self) -> BufferInfo:
        """Depth and drop counters, as reported in the status message."""
        return BufferInfo(
            depth=self._depth,
            dropped_telemetry=self._meta.get("dropped_telemetry", 0),
            dropped_events=self._meta.get("dropped_events", 0),
        )

    def add_sample(self, ts: int, values: dict[str, float]) -> Sample:
        """Store one sample with the next sequence number; returns it."""
        with self._lock, self._transaction():
            # (vin, ts) identifies a sample, so two samples must never share a timestamp.
            ts = max(ts, self._meta.get("last_ts", -1) + 1)
            sample = Sample(ts=ts, seq=self.next_seq, values=values)
            self._set("next_seq", sample.seq + 1)
            self._set("last_ts", ts)
            if self._make_room(SAMPLE):
                self._insert(SAMPLE, ts, encode(sample))
            return sample

    def add_event(self, kind: str, ts: int, payload: bytes, *, supersede: bool = False) -> None:
        """Store a DTC or status message; supersede drops unsent ones of the same kind."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"kind must be one of {EVENT_KINDS}, got {kind!r}")
        with self._lock, self._transaction():
            if supersede:
                deleted = self._db.execute("DELETE FROM outbox WHERE kind = ?", (kind,))
                self._depth -= deleted.rowcount
            if self._make_room(kind):
                self._insert(kind, ts, payload)

    def drop_kind(self, kind: str) -> int:
        """Remove every waiting entry of a kind (a newer message replaced them)."""
        with self._lock:
            removed = self._db.execute("DELETE FROM outbox WHERE kind = ?", (kind,)).rowcount
            self._depth -= removed
            return removed

    def pending(self, after_id: int, limit: int) -> list[Entry]:
        """Up to limit entries with an id above after_id, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, ts, payload FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
                (after_id, limit),
            ).fetchall()
        return [Entry(*row) for row in rows]

    def ack(self, first_id: int, last_id: int) -> int:
        """Remove the entries first_id..last_id that the broker acknowledged."""
        with self._lock:
            removed = self._db.execute(
                "DELETE FROM outbox WHERE id BETWEEN ? AND ?", (first_id, last_id)
            ).rowcount
            self._depth -= removed
            return removed

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.close()

    def _make_room(self, kind: str) -> bool:
        """Drop to stay under the cap; False when the new entry itself must be dropped."""
        if self._depth < self.max_entries and not self._disk_nearly_full():
            return True
        if self._depth == 0:
            return True  # nothing of ours to drop; try to write
        oldest = self._db.execute(
            "SELECT MIN(id) FROM outbox WHERE kind = ?", (SAMPLE,)
        ).fetchone()[0]
        if oldest is not None:
            self._delete_one(oldest, "dropped_telemetry")
            return True
        if kind == SAMPLE:  # only DTC and status messages are left: they outrank a sample
            self._set("dropped_telemetry", self._meta.get("dropped_telemetry", 0) + 1)
            return False
        oldest = self._db.execute("SELECT MIN(id) FROM outbox").fetchone()[0]
        self._delete_one(oldest, "dropped_events")
        return True

    def _disk_nearly_full(self) -> bool:
        free = shutil.disk_usage(self.path.parent).free
        low = free < DISK_RESERVE_BYTES
        if low and not self._disk_low:
            log.warning(
                "only %.1f MB free under %s: dropping the oldest telemetry to keep the newest "
                "and the trouble codes (dropped so far: %d samples, %d events)",
                free / 1e6, self.path.parent, self._meta.get("dropped_telemetry", 0),
                self._meta.get("dropped_events", 0),
            )  # fmt: skip
        self._disk_low = low
        return low

    def _delete_one(self, entry_id: int, counter: str) -> None:
        self._depth -= self._db.execute("DELETE FROM outbox WHERE id = ?", (entry_id,)).rowcount
        self._set(counter, self._meta.get(counter, 0) + 1)

    def _insert(self, kind: str, ts: int, payload: bytes) -> None:
        self._db.execute(
            "INSERT INTO outbox (kind, ts, payload) VALUES (?, ?, ?)", (kind, ts, payload)
        )
        self._depth += 1

    def _set(self, key: str, value: int) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
        self._meta[key] = value

    def _transaction(self) -> _Transaction:
        return _Transaction(self)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT; on error, roll back and restore the cached counters."""

    def __init__(self, buffer: Buffer):
        self.buffer = buffer

    def __enter__(self) -> None:
        self.saved = (dict(self.buffer._meta), self.buffer._depth)
        self.buffer._db.execute("BEGIN IMMEDIATE")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            try:
                self.buffer._db.execute("COMMIT")
                return
            except sqlite3.Error:
                self._rollback()
                raise
        self._rollback()

    def _rollback(self) -> None:
        """Undo the transaction and the cached counters it changed (a failed COMMIT too)."""
        if self.buffer._db.in_transaction:
            self.buffer._db.execute("ROLLBACK")
        self.buffer._meta, self.buffer._depth = self.saved


def decode_sample(payload: bytes) -> Sample:
    """A stored sample back as a wire Sample."""
    return msgspec.json.decode(payload, type=Sample)


def leading_samples(entries: list[Entry], max_bytes: int) -> list[Entry]:
    """The samples at the head of entries, up to the first event and max_bytes."""
    out: list[Entry] = []
    size = 0
    for entry in entries:
        if entry.kind != SAMPLE or (out and size + len(entry.payload) > max_bytes):
            break
        out.append(entry)
        size += len(entry.payload) + 1
    return out
