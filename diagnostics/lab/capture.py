"""Recorded fleets: a capture of wire-contract messages, and the truth about each car.

Both formats are documented in docs/replay.md. A capture is JSON lines, one MQTT message per
line, in the order they arrived:

    {"received_ms": 1764921600123, "topic": "pitstop/v1/<VIN>/telemetry", "payload": {...}}

The payload is the message as the car sent it (payload_base64 instead, when it was not JSON);
received_ms is optional and defaults to the newest timestamp inside the payload. The truth is
a CSV file with the header vin,mode,onset,failure: one row per car, mode "healthy" or the
failure the car developed, onset and failure as ISO 8601 times or epoch milliseconds.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diagnostics.modes import FAILURE_MODES, FAULT_KIND_MODES

HEALTHY = "healthy"
TRUTH_COLUMNS = ("vin", "mode", "onset", "failure")


class CaptureError(ValueError):
    """A capture or truth file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Captured:
    received_ms: int
    topic: str
    payload: bytes


@dataclass(frozen=True)
class Truth:
    vin: str
    mode: str  # as written in the file; HEALTHY for a healthy car
    alert_mode: str | None  # the Pitstop failure mode that should be named; None if none fits
    onset_ms: int | None
    failure_ms: int | None

    @property
    def faulty(self) -> bool:
        return self.mode != HEALTHY


def capture_line(received_ms: int, topic: str, payload: bytes) -> str:
    """One line of a capture (without its newline)."""
    line: dict[str, Any] = {"received_ms": received_ms, "topic": topic}
    try:
        line["payload"] = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        line["payload_base64"] = base64.b64encode(payload).decode("ascii")
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def read_capture(path: Path) -> list[Captured]:
    """Every message of a capture, in arrival order (a stable sort by received_ms)."""
    with _open(path) as lines:
        messages = [_captured(path, n, line) for n, line in lines if line.strip()]
    if not messages:
        raise CaptureError(f"{path}: the capture holds no messages")
    return sorted(messages, key=lambda m: m.received_ms)


def _captured(path: Path, n: int, line: str) -> Captured:
    where = f"{path}:{n}"
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CaptureError(f"{where}: not a JSON object ({exc.msg}); write one per line") from None
    if not isinstance(item, dict) or not isinstance(item.get("topic"), str):
        raise CaptureError(f"{where}: each line needs a 'topic' string and a 'payload'")
    if "payload" in item:
        payload = json.dumps(item["payload"], ensure_ascii=False).encode()
    elif isinstance(item.get("payload_base64"), str):
        payload = base64.b64decode(item["payload_base64"])
    else:
        raise CaptureError(f"{where}: the line has neither 'payload' nor 'payload_base64'")
    received = item.get("received_ms")
    if received is None:
        received = _newest_ts(item.get("payload"))
        if received is None:
            raise CaptureError(f"{where}: no 'received_ms', and no 'ts' in the payload to use")
    if not isinstance(received, int) or isinstance(received, bool):
        raise CaptureError(f"{where}: 'received_ms' must be integer epoch milliseconds")
    return Captured(received, item["topic"], payload)


def _newest_ts(payload: Any) -> int | None:
    if not isinstance(payload, dict):
        return None
    stamps = [s.get("ts") for s in payload.get("samples") or [] if isinstance(s, dict)]
    stamps.append(payload.get("ts"))
    found = [t for t in stamps if isinstance(t, int) and not isinstance(t, bool)]
    return max(found) if found else None


def read_truth(path: Path) -> dict[str, Truth]:
    """The truth file's cars by VIN."""
    with _open(path) as lines:
        rows = csv.reader(line for _, line in lines)
        header = [h.strip().lower() for h in next(rows, [])]
        if tuple(header) != TRUTH_COLUMNS:
            raise CaptureError(f"{path}:1: the header must be {','.join(TRUTH_COLUMNS)}")
        truth: dict[str, Truth] = {}
        for n, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            case = _truth(f"{path}:{n}", row)
            if case.vin in truth:
                raise CaptureError(f"{path}:{n}: {case.vin} is listed twice")
            truth[case.vin] = case
    if not truth:
        raise CaptureError(f"{path}: the truth file lists no cars")
    return truth


def _truth(where: str, row: list[str]) -> Truth:
    if len(row) != len(TRUTH_COLUMNS):
        raise CaptureError(f"{where}: expected {len(TRUTH_COLUMNS)} columns, got {len(row)}")
    vin, mode, onset, failure = (cell.strip() for cell in row)
    if len(vin) != 17:
        raise CaptureError(f"{where}: {vin!r} is not a 17-character VIN")
    mode = mode.lower() or HEALTHY
    if mode == HEALTHY:
        if onset or failure:
            raise CaptureError(f"{where}: a healthy car has no onset or failure time")
        return Truth(vin.upper(), mode, None, None, None)
    onset_ms, failure_ms = _time(where, "onset", onset), _time(where, "failure", failure)
    if failure_ms <= onset_ms:
        raise CaptureError(f"{where}: the failure must come after the onset")
    alert_mode = mode if mode in FAILURE_MODES else FAULT_KIND_MODES.get(mode)
    return Truth(vin.upper(), mode, alert_mode, onset_ms, failure_ms)


def _time(where: str, column: str, text: str) -> int:
    if not text:
        raise CaptureError(f"{where}: a faulty car needs its {column} time")
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CaptureError(
            f"{where}: {column} {text!r} is neither ISO 8601 (2026-11-03T08:00:00Z) "
            "nor epoch milliseconds"
        ) from None
    if when.tzinfo is None:
        raise CaptureError(f"{where}: {column} {text!r} needs a UTC offset, e.g. Z or +08:00")
    return int(when.timestamp() * 1000)


@contextmanager
def _open(path: Path) -> Iterator[Iterator[tuple[int, str]]]:
    """Numbered lines of a UTF-8 text file, with a clear error when it cannot be read."""
    try:
        file = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise CaptureError(f"{path}: cannot open ({exc.strerror})") from None
    with file:
        try:
            yield enumerate(file, start=1)
        except UnicodeDecodeError:
            raise CaptureError(f"{path}: not UTF-8 text") from None
