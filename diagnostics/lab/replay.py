"""Replay a recorded fleet through ingest and the online scorer, and judge its alerts.

The capture goes in arrival order through ingest's own parsing and writing (a message is
judged against the time it arrived, not the time of the replay), and the scorer takes a round
after every CHUNK_MS of it, as the live service would. Alerts are then matched with the
truth, by the rules of diagnostics.lab.evaluation: an alert counts where it opens. It is a
catch when it opens between onset and failure naming the car's failure mode, a wrong-mode
alert when it opens there naming another, and a false alert when it opens in healthy time
(any time on a healthy car, before onset on a faulty one). Alerts that open after the
failure, and alerts on cars the truth does not list, are counted apart.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from core.clock import DAY_MS
from core.db import connect
from diagnostics.lab.capture import Captured, Truth
from diagnostics.service import Scorer, ServiceConfig
from ingest.batch import Batch, Message, reason_class
from ingest.store import Store

CHUNK_MS = 15 * 60_000  # capture time written between two scoring rounds
CHUNK_ROWS = 50_000  # or fewer rows, on a busy capture


@dataclass(frozen=True)
class Opened:
    """An alert, where it opened."""

    vin: str
    mode: str
    source: str
    opened_ms: int


@dataclass
class Replayed:
    alerts: list[Opened]
    spans: dict[str, tuple[int, int]]  # vin -> its first and last sample time
    messages: int
    rejected: Counter[str] = field(default_factory=Counter)  # reason class -> messages


def replay(database_url: str, capture: list[Captured]) -> Replayed:
    """Feed the capture through ingest and the scorer on this (scratch) database."""
    store = Store(database_url)
    config = ServiceConfig(
        database_url=database_url, workers=1, persist_s=math.inf, sweep_s=math.inf
    )
    scorer = Scorer(config)
    try:
        batch, chunk_end = Batch(), capture[0].received_ms + CHUNK_MS
        for message in capture:
            if message.received_ms >= chunk_end or batch.size >= CHUNK_ROWS:
                store.write(batch)
                scorer.step()
                batch, chunk_end = Batch(), message.received_ms + CHUNK_MS
            batch.add(
                Message(
                    message.topic, message.payload, mid=0, qos=1, epoch=0,
                    received_ms=message.received_ms,
                )
            )  # fmt: skip
        store.write(batch)
        scorer.step()
    finally:
        scorer.close()
        store.close()
    return _read_outcome(database_url, len(capture))


def _read_outcome(database_url: str, messages: int) -> Replayed:
    with connect(database_url) as conn:
        opened = conn.execute(
            "SELECT vin, failure_mode, source, (extract(epoch FROM first_seen) * 1000)::bigint"
            " FROM alerts ORDER BY first_seen, id"
        ).fetchall()
        spans = conn.execute(
            "SELECT vin, (extract(epoch FROM min(ts)) * 1000)::bigint,"
            " (extract(epoch FROM max(ts)) * 1000)::bigint FROM telemetry GROUP BY vin"
        ).fetchall()
        reasons = conn.execute("SELECT reason FROM dead_letters").fetchall()
    return Replayed(
        alerts=[Opened(*row) for row in opened],
        spans={vin: (first, last) for vin, first, last in spans},
        messages=messages,
        rejected=Counter(reason_class(r) for (r,) in reasons),
    )


def judge(replayed: Replayed, truth: dict[str, Truth]) -> dict:
    """The report: per failure mode and in sum, with the confusion between modes."""
    listed = {vin: case for vin, case in truth.items() if vin in replayed.spans}
    healthy_days = sum(_healthy_ms(replayed.spans[v], c) for v, c in listed.items()) / DAY_MS
    false: Counter[str] = Counter()
    false_by_source: Counter[str] = Counter()
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    first_right: dict[str, int] = {}  # vin -> when the right mode's first catch opened
    caught_any: set[str] = set()
    alerted: dict[str, set[str]] = defaultdict(set)  # mode -> cars it was raised on
    after_failure = unlisted = 0
    for alert in replayed.alerts:
        case = listed.get(alert.vin)
        if case is None:
            unlisted += 1
            continue
        alerted[alert.mode].add(alert.vin)
        if not case.faulty or alert.opened_ms < case.onset_ms:
            false[alert.mode] += 1
            false_by_source[alert.source] += 1
        elif alert.opened_ms > case.failure_ms:
            after_failure += 1
        else:
            caught_any.add(alert.vin)
            confusion[case.mode][alert.mode] += 1
            if alert.mode == case.alert_mode:
                first_right.setdefault(alert.vin, alert.opened_ms)
    faulty = {v: c for v, c in listed.items() if c.faulty}
    modes = sorted({c.alert_mode or c.mode for c in faulty.values()} | set(false))
    per_mode = {}
    for mode in modes:
        cars = [v for v, c in faulty.items() if (c.alert_mode or c.mode) == mode]
        leads = [(faulty[v].failure_ms - first_right[v]) / DAY_MS for v in cars if v in first_right]
        per_mode[mode] = {
            "cars": len(cars),
            "caught": len(leads),
            "caught_any_mode": sum(v in caught_any for v in cars),
            "recall": _share(len(leads), len(cars)),
            "precision": _share(len(leads), len(alerted[mode])),
            "lead_days": statistics.median(leads) if leads else math.nan,
            "false_alerts": false[mode],
            "false_per_1000": _share(1000 * false[mode], healthy_days),
        }
    leads = [(faulty[v].failure_ms - t) / DAY_MS for v, t in first_right.items()]
    all_alerted = set().union(*alerted.values()) if alerted else set()
    return {
        "cars": len(listed),
        "faulty_cars": len(faulty),
        "healthy_car_days": healthy_days,
        "missing_cars": sorted(set(truth) - set(replayed.spans)),
        "unlisted_alerts": unlisted,
        "alerts_after_failure": after_failure,
        "messages": replayed.messages,
        "rejected": dict(replayed.rejected),
        "modes": per_mode,
        "confusion": {mode: dict(row) for mode, row in sorted(confusion.items())},
        "false_by_source": dict(false_by_source),
        "unknown_kinds": sorted({c.mode for c in faulty.values() if c.alert_mode is None}),
        "summary": {
            "recall": _share(len(first_right), len(faulty)),
            "recall_any_mode": _share(len(caught_any & set(faulty)), len(faulty)),
            "precision": _share(len(first_right), len(all_alerted)),
            "lead_days": statistics.median(leads) if leads else math.nan,
            "false_per_1000": _share(1000 * sum(false.values()), healthy_days),
        },
    }


def _healthy_ms(span: tuple[int, int], case: Truth) -> int:
    first, last = span
    end = last if not case.faulty else min(last, case.onset_ms)
    return max(0, end - first)


def _share(part: float, whole: float) -> float:
    return part / whole if whole else math.nan


def format_report(report: dict) -> list[str]:
    """The replay report as lines of text; the last one is the summary line of `evaluate`."""
    from diagnostics.lab.evaluation import summary_line

    lines = [
        f"replayed {report['messages']} messages: {report['cars']} cars, "
        f"{report['faulty_cars']} faulty, {report['healthy_car_days']:.1f} healthy car-days",
        f"{'mode':<16}{'cars':>5}{'caught':>7}{'any mode':>9}{'recall':>8}{'precision':>10}"
        f"{'lead_days':>10}{'false':>6}{'false/1000':>11}",
    ]
    for mode, r in report["modes"].items():
        lines.append(
            f"{mode:<16}{r['cars']:>5}{r['caught']:>7}{r['caught_any_mode']:>9}"
            f"{r['recall']:>8.2f}{r['precision']:>10.2f}{r['lead_days']:>10.1f}"
            f"{r['false_alerts']:>6}{r['false_per_1000']:>11.2f}"
        )
    for truth_mode, row in report["confusion"].items():
        named = ", ".join(f"{mode} {n}" for mode, n in sorted(row.items()))
        lines.append(f"alerts opened in {truth_mode} fault windows: {named}")
    if report["false_by_source"]:
        named = ", ".join(f"{s} {n}" for s, n in sorted(report["false_by_source"].items()))
        lines.append(f"false alerts by source: {named}")
    if report["unknown_kinds"]:
        kinds = ", ".join(report["unknown_kinds"])
        lines.append(f"faults no Pitstop mode names (any-mode catches only): {kinds}")
    if report["missing_cars"]:
        lines.append(f"cars in the truth with no telemetry: {len(report['missing_cars'])}")
    if report["unlisted_alerts"]:
        lines.append(f"alerts on cars the truth does not list: {report['unlisted_alerts']}")
    if report["rejected"]:
        named = ", ".join(f"{r} {n}" for r, n in sorted(report["rejected"].items()))
        lines.append(f"rejected by ingest (dead letters): {named}")
    summary = report["summary"]
    lines.append(f"recall_any_mode={summary['recall_any_mode']:.2f}")
    lines.append(summary_line(summary))
    return lines
