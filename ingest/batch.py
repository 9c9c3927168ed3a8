"""One batch of parsed MQTT messages: telemetry rows, events, dead letters, latest state.

Parsing and validation happen here, as messages arrive; the writer turns a full batch into
one transaction. Nothing in this module touches the database or the broker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec

from core.signals import SIGNAL_NAMES, SIGNALS
from core.wire import (
    FUTURE_TOLERANCE_MS,
    MAX_AGE_MS,
    MAX_PAYLOAD_BYTES,
    MAX_SAMPLES_PER_MESSAGE,
    UPLINK_KINDS,
    DtcReport,
    Sample,
    Status,
    Telemetry,
    WireError,
    decode,
    dtc_problem,
    now_ms,
    parse_topic,
    sample_problem,
    timestamp_problem,
)

DEAD_LETTER_PAYLOAD_CAP = 64 * 1024  # keep enough of a bad payload to debug it, not all of it
MAX_SEQ = 2**63 - 1  # the seq column is a bigint
# Out-of-range numbers (1e999) become inf here, so that sample_problem can name them.
_json = msgspec.json.Decoder(float_hook=float)

# The common case, checked in C as it is decoded: every signal known and within its range,
# every sequence number a bigint. A message that fails any check takes the per-sample path,
# which finds and dead-letters exactly the bad samples.
_PlausibleValues = msgspec.defstruct(
    "PlausibleValues",
    [(s.name, Annotated[float, msgspec.Meta(ge=s.minimum, le=s.maximum)] | None, None)
     for s in SIGNALS],
    forbid_unknown_fields=True,
)  # fmt: skip


class _PlausibleSample(msgspec.Struct, forbid_unknown_fields=True):
    ts: int
    seq: Annotated[int, msgspec.Meta(ge=0, le=MAX_SEQ)]
    values: _PlausibleValues  # type: ignore[valid-type]


class _PlausibleTelemetry(msgspec.Struct, forbid_unknown_fields=True):
    samples: Annotated[list[_PlausibleSample], msgspec.Meta(max_length=MAX_SAMPLES_PER_MESSAGE)]


_plausible = msgspec.json.Decoder(_PlausibleTelemetry)
_astuple = msgspec.structs.astuple
_encoder = msgspec.json.Encoder()


def reason_class(reason: str) -> str:
    """A short, bounded label for a dead-letter reason (a metrics label, not the full text)."""
    checks = (
        ("sequence", "seq"),
        ("exceed", "oversized"),
        ("topic", "topic"),
        ("VIN", "vin"),
        ("malformed", "malformed"),
        ("in the future", "future_timestamp"),
        ("older than", "old_timestamp"),
        ("unknown signal", "unknown_signal"),
        ("not a finite", "not_finite"),
        ("outside plausible", "out_of_range"),
        ("no values", "empty"),
        ("no samples", "empty"),
        ("DTC", "dtc"),
        ("database", "database"),
    )
    for needle, label in checks:
        if needle in reason:
            return label
    return "other"


@dataclass(slots=True)
class Message:
    """A received message, kept until its batch commits so that it can be acknowledged."""

    topic: str
    payload: bytes | bytearray  # paho delivers a bytearray
    mid: int
    qos: int
    epoch: int  # connection generation; an ack from an older connection must not be sent
    received_ms: int | None = None  # when it arrived, if not now (a replayed capture)
    handle: object = None  # what the source needs to acknowledge it (a JetStream message)
    redelivered: bool = False  # the source delivered it before (a crash, a lost ack)

    def arrival_ms(self) -> int:
        """The time against which its timestamps are judged."""
        return now_ms() if self.received_ms is None else self.received_ms


@dataclass
class Batch:
    """Everything one transaction writes, plus the messages it acknowledges."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)  # (vin, ts_ms, seq, *signal values)
    dtc_rows: list[dict[str, Any]] = field(default_factory=list)
    status_rows: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[tuple[str, bytes | bytearray, int, str]] = field(default_factory=list)
    latest: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    newest_ts: list[int] = field(default_factory=list)  # per telemetry message, for latency
    kinds: dict[str, int] = field(default_factory=dict)
    started: float | None = None  # monotonic time of the first message
    oldest_ts: int | None = None  # oldest sample waiting in this batch (epoch ms)

    @property
    def size(self) -> int:
        """Rows this batch will write (samples, events and dead letters)."""
        return len(self.rows) + len(self.dtc_rows) + len(self.status_rows) + len(self.dead_letters)

    def age_ms(self) -> float:
        """Milliseconds since the first message of the batch arrived (0 when empty)."""
        return 0.0 if self.started is None else (time.monotonic() - self.started) * 1000

    def add(self, message: Message) -> None:
        """Parse and validate one message into the batch; bad input becomes dead letters."""
        if self.started is None:
            self.started = time.monotonic()
        self.messages.append(message)
        try:
            vin, kind = parse_topic(message.topic)
            if kind not in UPLINK_KINDS:
                raise WireError(f"ingest does not accept {kind!r} messages on {message.topic}")
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            if kind == "telemetry":
                self._add_telemetry(vin, message)
            elif kind == "dtc":
                self._add_dtc(vin, message)
            else:
                self._add_status(vin, message)
        except WireError as exc:
            self.kinds.setdefault("rejected", 0)
            self.kinds["rejected"] += 1
            self.dead_letter(message.topic, message.payload, str(exc))

    def dead_letter(self, topic: str, payload: bytes | bytearray, reason: str) -> None:
        """Keep a rejected payload (capped) with the reason it was rejected."""
        # A reason quotes the payload, and PostgreSQL text cannot hold a NUL character.
        reason = reason.replace("\x00", "\\x00")
        self.dead_letters.append((topic, payload[:DEAD_LETTER_PAYLOAD_CAP], len(payload), reason))

    def _add_telemetry(self, vin: str, message: Message) -> None:
        rows = _plausible_rows(vin, message)
        if rows is not None:
            self._add_rows(vin, rows)
            return
        samples, count = _telemetry_samples(message, self)
        if not count:
            raise WireError("telemetry message has no samples")
        if len(samples) > MAX_SAMPLES_PER_MESSAGE:
            raise WireError(f"{len(samples)} samples exceed {MAX_SAMPLES_PER_MESSAGE} a message")
        now = message.arrival_ms()
        good: list[Sample] = []
        for sample in samples:
            problem = sample_problem(sample, now)
            if problem is None and sample.seq > MAX_SEQ:
                problem = f"sequence number {sample.seq} exceeds {MAX_SEQ}"
            if problem:
                self.dead_letter(
                    message.topic,
                    _encoder.encode(sample),
                    f"sample seq={sample.seq} ts={sample.ts}: {problem}",
                )
            else:
                good.append(sample)
        if good:
            rows = [
                (vin, s.ts, s.seq, *[s.values.get(name) for name in SIGNAL_NAMES]) for s in good
            ]
            self._add_rows(vin, rows)

    def _add_rows(self, vin: str, rows: list[tuple[Any, ...]]) -> None:
        """Good samples of one message, as (vin, ts, seq, *values): rows and the latest state."""
        self.rows.extend(rows)
        oldest = min(row[1] for row in rows)
        newest = max(row[1] for row in rows)
        self.newest_ts.append(newest)
        if self.oldest_ts is None or oldest < self.oldest_ts:
            self.oldest_ts = oldest
        state = self.latest.setdefault(vin, {"vin": vin})
        since = state.get("sample_ts", 0)
        newer = sorted((row for row in rows if row[1] >= since), key=lambda row: row[1])
        if not newer:
            return
        # Each signal's newest value among them, as applying the samples in time order would.
        fresh: dict[str, float] = {}
        for row in reversed(newer):
            for name, value in zip(SIGNAL_NAMES, row[3:], strict=True):
                if value is not None and name not in fresh:
                    fresh[name] = value
            if len(fresh) == len(SIGNAL_NAMES):
                break
        state.setdefault("values", {}).update(fresh)
        state["sample_ts"], state["seq"] = newer[-1][1], newer[-1][2]

    def _add_dtc(self, vin: str, message: Message) -> None:
        report = decode("dtc", message.payload)
        assert isinstance(report, DtcReport)
        if problem := dtc_problem(report, message.arrival_ms()):
            raise WireError(problem)
        frame = report.freeze_frame
        for kind, codes in (("stored", report.stored), ("pending", report.pending)):
            for code in dict.fromkeys(codes):
                self.dtc_rows.append(
                    {
                        "vin": vin,
                        "ts": report.ts,
                        "code": code,
                        "kind": kind,
                        "mil": report.mil,
                        "freeze_frame": frame.values if frame and frame.dtc == code else None,
                    }
                )
        state = self.latest.setdefault(vin, {"vin": vin})
        if report.ts >= state.get("dtc_ts", 0):
            state.update(dtc_ts=report.ts, stored=report.stored, pending=report.pending)

    def _add_status(self, vin: str, message: Message) -> None:
        status = decode("status", message.payload)
        assert isinstance(status, Status)
        if problem := timestamp_problem(status.ts, message.arrival_ms()):
            raise WireError(problem)
        agent = msgspec.to_builtins(status.agent) if status.agent else None
        buffer = msgspec.to_builtins(status.buffer) if status.buffer else None
        self.status_rows.append(
            {
                "vin": vin,
                "ts": status.ts,
                "state": status.state,
                "reason": status.reason,
                "agent": agent,
                "buffer": buffer,
            }
        )
        state = self.latest.setdefault(vin, {"vin": vin})
        if status.ts >= state.get("status_ts", 0):
            state.update(
                status_ts=status.ts, online=status.state == "online", status_reason=status.reason
            )
            # A Last Will carries no details: keep the agent and buffer known so far.
            state.update({k: v for k, v in (("agent", agent), ("buffer", buffer)) if v})


def _plausible_rows(vin: str, message: Message) -> list[tuple[Any, ...]] | None:
    """The message's rows when every sample is good (the usual case), else None."""
    if len(message.payload) > MAX_PAYLOAD_BYTES:
        return None
    try:
        samples = _plausible.decode(message.payload).samples
    except msgspec.DecodeError:
        return None
    now = message.arrival_ms()
    earliest, latest = now - MAX_AGE_MS, now + FUTURE_TOLERANCE_MS
    rows = []
    for sample in samples:
        values = _astuple(sample.values)
        if not earliest <= sample.ts <= latest or values.count(None) == len(values):
            return None
        rows.append((vin, sample.ts, sample.seq, *values))
    return rows or None


def _telemetry_samples(message: Message, batch: Batch) -> tuple[list[Sample], int]:
    """The well-formed samples of a message and how many it had; the rest become dead letters."""
    try:
        telemetry = decode("telemetry", message.payload)
        assert isinstance(telemetry, Telemetry)
        return telemetry.samples, len(telemetry.samples)
    except WireError as first:
        if len(message.payload) > MAX_PAYLOAD_BYTES:
            raise
        # The message as a whole is malformed. If it is valid JSON with a list of samples,
        # keep the good samples and dead-letter only the bad ones.
        try:
            raw = _json.decode(message.payload)
        except msgspec.DecodeError:
            raise first from None
        if not (isinstance(raw, dict) and set(raw) == {"samples"}):
            raise first from None
        if not isinstance(raw["samples"], list):
            raise first from None
        samples = []
        for item in raw["samples"]:
            try:
                samples.append(msgspec.convert(item, Sample))
            except msgspec.ValidationError as exc:
                batch.dead_letter(message.topic, _encoder.encode(item), f"malformed sample: {exc}")
        return samples, len(raw["samples"])
