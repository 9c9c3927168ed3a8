"""A simulated fleet written as a capture and a truth file (docs/replay.md), in fast time.

The cars are those of diagnostics.lab.fleetdata.plan_fleet, read every `read_every_s` while
running (the lab trains on 5 s), and sent as a car's agent would: batches of samples, a DTC
report each minute while running, and a birth message when the car first speaks. A capture
made with another read interval, seed or share of faults is a fleet the model never saw.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from core.wire import topic
from diagnostics.lab.capture import HEALTHY, TRUTH_COLUMNS, capture_line
from diagnostics.lab.fleetdata import CarSpec
from diagnostics.lab.simfeed import feed

BATCH_MS = 60_000  # a telemetry message holds this much time of samples ...
BATCH_SAMPLES = 50  # ... or this many, whichever comes first
ARRIVES_MS = 1_500  # from the last reading in a message to its arrival


def write_fleet(
    specs: list[CarSpec],
    capture: Path,
    truth: Path,
    read_every_s: float,
    on_car: Callable[[], None] = lambda: None,
) -> int:
    """Drive every car and write its messages and truth; the number of messages written."""
    written = 0
    with capture.open("w", encoding="utf-8") as out:
        for spec in specs:
            written += _write_car(spec, out, read_every_s)
            on_car()
    rows = [",".join(TRUTH_COLUMNS)]
    for spec in specs:
        fault = spec.fault
        if fault is None:
            rows.append(f"{spec.vin},{HEALTHY},,")
        else:
            rows.append(f"{spec.vin},{fault.kind},{fault.onset_ms},{fault.failure_ms}")
    truth.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return written


def _write_car(spec: CarSpec, out: TextIO, read_every_s: float) -> int:
    car = spec.car()
    lines = 0

    def send(kind: str, payload: dict, last_ms: int) -> None:
        nonlocal lines
        raw = json.dumps(payload, separators=(",", ":")).encode()
        out.write(capture_line(last_ms + ARRIVES_MS, topic(spec.vin, kind), raw) + "\n")
        lines += 1

    send("status", {"ts": spec.start_ms, "state": "online"}, spec.start_ms)
    batch: list[dict] = []
    for seq, sample in enumerate(feed(car, spec.end_ms, run_step_s=read_every_s), start=1):
        batch.append({"ts": sample.ts_ms, "seq": seq, "values": sample.values})
        if len(batch) >= BATCH_SAMPLES or sample.ts_ms - batch[0]["ts"] >= BATCH_MS:
            send("telemetry", {"samples": batch}, sample.ts_ms)
            batch = []
        if sample.stored is not None:
            report = {"ts": sample.ts_ms, "stored": sample.stored, "pending": sample.pending}
            if sample.freeze_frame and sample.freeze_frame_dtc:
                frame = {"dtc": sample.freeze_frame_dtc, "values": sample.freeze_frame}
                report["freeze_frame"] = frame
            send("dtc", report, sample.ts_ms)
    if batch:
        send("telemetry", {"samples": batch}, batch[-1]["ts"])
    return lines
