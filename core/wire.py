"""The MQTT wire contract, version 1: topics, message types, encoding and validation.

docs/wire-protocol.md describes it for third parties; docs/schemas/ holds its JSON Schema.
The edge agent encodes with this module and ingest decodes with it, so both sides share
one definition.
"""

from __future__ import annotations

import math
import re
import time
from typing import Literal

import msgspec

from core.signals import BY_NAME, out_of_range
from core.vin import InvalidVin, validate_vin

PROTOCOL_VERSION = 1
TOPIC_ROOT = f"pitstop/v{PROTOCOL_VERSION}"
UPLINK_KINDS = ("telemetry", "dtc", "status")  # from the car; ingest takes these
KINDS = (*UPLINK_KINDS, "config")  # config goes down to the car

# Limits that make a message implausible rather than merely unusual.
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_SAMPLES_PER_MESSAGE = 5000
FUTURE_TOLERANCE_MS = 5 * 60 * 1000  # clocks drift; a car 5 minutes ahead is still believed
MAX_AGE_MS = 400 * 24 * 3600 * 1000  # an on-disk buffer may hold data for a long outage
DTC_CODE = re.compile(r"^[PCBU][0-3][0-9A-F]{3}$")


class WireError(ValueError):
    """A message that breaks the contract; the text is the dead-letter reason."""


class Sample(msgspec.Struct, forbid_unknown_fields=True):
    ts: int  # epoch milliseconds, UTC, when the values were read
    seq: int  # per-car sequence number, increasing by one per sample
    values: dict[str, float]  # signal name (python-OBD) -> value in the catalogue unit


class Telemetry(msgspec.Struct, forbid_unknown_fields=True):
    samples: list[Sample]


class FreezeFrame(msgspec.Struct, forbid_unknown_fields=True):
    dtc: str  # the code that stored the frame
    values: dict[str, float]


class DtcReport(msgspec.Struct, forbid_unknown_fields=True):
    ts: int
    stored: list[str] = []  # mode 03: confirmed codes
    pending: list[str] = []  # mode 07: codes of the current or last drive cycle
    mil: bool | None = None  # malfunction indicator lamp, when the car reports it
    freeze_frame: FreezeFrame | None = None


class AgentInfo(msgspec.Struct, forbid_unknown_fields=True):
    version: str
    vin_source: Literal["ecu", "configured"]
    adapter: str | None = None
    protocol: str | None = None
    note: str | None = None


class BufferInfo(msgspec.Struct, forbid_unknown_fields=True):
    depth: int  # messages waiting on disk
    dropped_telemetry: int  # samples dropped because the buffer was full, since install
    dropped_events: int = 0  # DTC and status messages dropped (only when no telemetry is left)


class Status(msgspec.Struct, forbid_unknown_fields=True):
    ts: int
    state: Literal["online", "offline"]
    reason: str | None = None
    agent: AgentInfo | None = None
    buffer: BufferInfo | None = None
    supported: list[str] | None = None  # signals the car answers


class BatchConfig(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    max_samples: int = 50  # publish when this many samples wait ...
    max_age_s: float = 5.0  # ... or when the oldest has waited this long


class VehicleConfig(msgspec.Struct, forbid_unknown_fields=True):
    version: int
    signals: dict[str, float]  # signal name -> sampling period in seconds
    batch: BatchConfig = BatchConfig()
    dtc_period_s: float = 60.0
    status_period_s: float = 60.0


_encoder = msgspec.json.Encoder()
_decoders: dict[str, msgspec.json.Decoder[msgspec.Struct]] = {
    "telemetry": msgspec.json.Decoder(Telemetry),
    "dtc": msgspec.json.Decoder(DtcReport),
    "status": msgspec.json.Decoder(Status),
    "config": msgspec.json.Decoder(VehicleConfig),
}


def topic(vin: str, kind: str) -> str:
    """The topic of one car's message kind, e.g. pitstop/v1/LSV.../telemetry."""
    return f"{TOPIC_ROOT}/{vin}/{kind}"


def parse_topic(name: str) -> tuple[str, str]:
    """Split a topic into (vin, kind); WireError when it is not a v1 Pitstop topic."""
    parts = name.split("/")
    if len(parts) != 4 or f"{parts[0]}/{parts[1]}" != TOPIC_ROOT or parts[3] not in KINDS:
        raise WireError(f"topic {name!r} is not {TOPIC_ROOT}/<VIN>/<{'|'.join(KINDS)}>")
    try:
        vin = validate_vin(parts[2])
    except InvalidVin as exc:
        raise WireError(f"bad VIN in topic: {exc}") from None
    return vin, parts[3]


def encode(message: msgspec.Struct) -> bytes:
    """JSON bytes of a wire message."""
    return _encoder.encode(message)


def decode(kind: str, payload: bytes | bytearray) -> msgspec.Struct:
    """Parse a payload of the given kind; WireError says what is malformed."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise WireError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        return _decoders[kind].decode(payload)
    except msgspec.DecodeError as exc:
        raise WireError(f"malformed {kind} message: {exc}") from None


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def timestamp_problem(ts: int, now: int) -> str | None:
    """Why a sample timestamp cannot be true, or None."""
    if ts > now + FUTURE_TOLERANCE_MS:
        return f"timestamp {ts} is {(ts - now) / 1000:.0f} s in the future"
    if ts < now - MAX_AGE_MS:
        return f"timestamp {ts} is older than {MAX_AGE_MS // 86_400_000} days"
    return None


def sample_problem(sample: Sample, now: int) -> str | None:
    """Why a sample must be dead-lettered, or None when it is good."""
    if problem := timestamp_problem(sample.ts, now):
        return problem
    if sample.seq < 0:
        return f"negative sequence number {sample.seq}"
    if not sample.values:
        return "sample has no values"
    for name, value in sample.values.items():
        if name not in BY_NAME:
            return f"unknown signal {name!r}"
        if not math.isfinite(value):
            return f"{name} is not a finite number ({value})"
        if problem := out_of_range(name, value):
            return problem
    return None


def dtc_problem(report: DtcReport, now: int) -> str | None:
    """Why a DTC report must be dead-lettered, or None."""
    if problem := timestamp_problem(report.ts, now):
        return problem
    codes = [*report.stored, *report.pending]
    if report.freeze_frame:
        codes.append(report.freeze_frame.dtc)
    for code in codes:
        if not DTC_CODE.match(code):
            return f"DTC {code!r} is not of the form P0123 (P, C, B or U, then 4 hex digits)"
    return None
