"""Drive simulated cars straight into the telemetry tables and score them (diagnostics tests)."""

from __future__ import annotations

from core.signals import SIGNAL_NAMES
from diagnostics.lab.simfeed import feed
from diagnostics.service import Scorer, ServiceConfig
from ingest.batch import Batch
from ingest.store import Store
from simulators.car import Car

HOUR_MS = 3_600_000
STEP_MS = 6 * HOUR_MS  # simulated time written between two scoring rounds


class CarWriter:
    """Writes one car's samples, DTC reports and latest state as ingest would."""

    def __init__(self, car: Car):
        self.car = car
        self.seq = 0

    def batch_until(self, until_ms: int) -> Batch:
        """Advance the car to until_ms and collect what its agent would have sent."""
        batch = Batch()
        vin = self.car.vin
        latest = {"vin": vin, "online": True, "status_ts": None}
        for s in feed(self.car, until_ms):
            self.seq += 1
            batch.rows.append((vin, s.ts_ms, self.seq, *[s.values.get(n) for n in SIGNAL_NAMES]))
            latest.update(sample_ts=s.ts_ms, seq=self.seq, values=s.values, status_ts=s.ts_ms)
            if s.stored is None:
                continue
            for kind, codes in (("stored", s.stored), ("pending", s.pending)):
                for code in codes:
                    frame = s.freeze_frame if code == s.freeze_frame_dtc else None
                    row = {"vin": vin, "ts": s.ts_ms, "code": code, "kind": kind}
                    batch.dtc_rows.append({**row, "mil": bool(s.stored), "freeze_frame": frame})
            latest.update(dtc_ts=s.ts_ms, stored=s.stored, pending=s.pending)
        if batch.rows:
            batch.latest[vin] = latest
        return batch


def drive(
    store: Store, scorer: Scorer, writers: list[CarWriter], until_ms: int, step_ms: int = STEP_MS
) -> None:
    """Advance every car to until_ms in steps, writing each step and scoring after it."""
    now = min(w.car.now_ms for w in writers)
    while now < until_ms:
        now = min(until_ms, now + step_ms)
        for w in writers:
            store.write(w.batch_until(now))
        scorer.step()


def scorer(db_url: str, **overrides) -> Scorer:
    """A single-shard scorer with test-friendly timings (no sweep or persist waits)."""
    config = ServiceConfig(database_url=db_url, workers=1, persist_s=0, sweep_s=0, **overrides)
    return Scorer(config)
