"""Fuzz the MQTT payloads: documents drawn from the wire JSON Schema, then mutated.

10,000 cases go through ingest's own parse, validate and batch code and are written to the
real database by its store; a few hundred more go through the broker to a running `pitstop
ingest`. Ingest never fails on one, every invalid message is dead-lettered with a reason, and
a message redelivered after a crash (or simply twice) is dead-lettered once.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import contract
from core.db import connect
from core.signals import SIGNAL_NAMES
from core.wire import FUTURE_TOLERANCE_MS, MAX_AGE_MS, UPLINK_KINDS, now_ms, topic
from ingest.batch import DEAD_LETTER_PAYLOAD_CAP, Batch, Message
from ingest.service import Ingest
from tests.faults.processes import kill_9, scalar, start_ingest, stop_gently, wait_for
from tests.faults.wire_fuzz import mutated_payload
from tests.ingest_support import Publisher, config, make_vin

IN_PROCESS_CASES = 10_000
BROKER_CASES = 300
REDELIVERED = 100
WRITE_EVERY = 500  # messages per batch written to the database
RUN = uuid.uuid4().hex[:6].upper()
VINS = [make_vin() for _ in range(8)]
BAD_TOPICS = ("pitstop/v1/NOT-A-VIN/telemetry", f"pitstop/v1/{VINS[0]}/config",
              f"pitstop/v1/{VINS[0]}/bogus", "pitstop/v2/x/telemetry", "")  # fmt: skip
SUBSCRIBED = re.compile(r"pitstop/v1/[^/]+/(telemetry|dtc|status)")
SIGNALS = set(SIGNAL_NAMES)
VALIDATORS = {k: jsonschema.Draft202012Validator(contract.schema(k)) for k in UPLINK_KINDS}


def _case():
    """(topic, payload): a car's topic (now and then a broken one), a mutated payload."""
    kind = st.sampled_from(UPLINK_KINDS)
    good_topic = st.tuples(st.sampled_from(VINS), kind).map(lambda vk: topic(*vk))
    return st.tuples(
        st.one_of(good_topic, good_topic, good_topic, st.sampled_from(BAD_TOPICS)),
        kind,
    ).flatmap(lambda tk: st.tuples(st.just(_retopic(tk[0], tk[1])), mutated_payload(tk[1])))


def _retopic(name: str, kind: str) -> str:
    return name.rsplit("/", 1)[0] + "/" + kind if name.endswith(UPLINK_KINDS) else name


def _verdict(name: str, payload: bytes) -> str:
    """'valid', 'invalid', or 'unstorable': valid, but with a NUL character PostgreSQL cannot
    store (ingest learns that from the database, and dead-letters the message then)."""
    kind = name.rsplit("/", 1)[-1]
    if not (name.startswith("pitstop/v1/") and name.split("/")[2] in VINS):
        return "invalid"
    try:
        doc = json.loads(payload, parse_constant=_not_json)
        json.dumps(doc, ensure_ascii=False).encode()  # no UTF-8 holds a lone surrogate
    except (ValueError, UnicodeEncodeError):
        return "invalid"
    doc = _lenient(kind, doc)
    if kind not in UPLINK_KINDS or not VALIDATORS[kind].is_valid(doc):
        return "invalid"
    now = now_ms()
    stamps = [s["ts"] for s in doc["samples"]] if kind == "telemetry" else [doc["ts"]]
    if not all(now - MAX_AGE_MS + 60_000 < ts < now + FUTURE_TOLERANCE_MS for ts in stamps):
        return "invalid"
    # Judged on what ingest keeps: a NUL in a status's `supported` list is never stored.
    return "unstorable" if "\\u0000" in json.dumps(doc) else "valid"


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


def _without_nulls(sample):
    if isinstance(sample, dict) and isinstance(sample.get("values"), dict):
        values = sample["values"].items()
        return {**sample, "values": {k: v for k, v in values if v is not None or k not in SIGNALS}}
    return sample


def _lenient(kind: str, doc):
    """The document as ingest checks it: a null signal value is a signal not read; it stores
    nothing of a status's `supported` list, and keeps a freeze frame's values as the car sent
    them, so only their types matter there."""
    if not isinstance(doc, dict):
        return doc
    doc = dict(doc)
    if kind == "status" and isinstance(doc.get("supported"), list):
        doc["supported"] = ["RPM" if isinstance(s, str) else s for s in doc["supported"]]
    if kind == "telemetry" and isinstance(doc.get("samples"), list):
        doc["samples"] = [_without_nulls(sample) for sample in doc["samples"]]
    frame = doc.get("freeze_frame")
    if kind == "dtc" and isinstance(frame, dict) and isinstance(frame.get("values"), dict):
        values = frame["values"]
        typed = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values.values())
        known = {k: v for k, v in values.items() if k in SIGNAL_NAMES}
        doc["freeze_frame"] = {**frame, "values": known if typed else values}
    return doc


def _expect(name: str, payload: bytes, batch: Batch) -> str:
    """Add one message to the batch, check what ingest made of it; the verdict."""
    before = len(batch.dead_letters)
    batch.add(Message(name, payload, 0, 0, 0))  # must not raise, whatever the payload
    letters = batch.dead_letters[before:]
    assert all(reason.strip() for *_, reason in letters), letters
    verdict = _verdict(name, payload)
    if verdict == "valid":
        assert not letters, f"a valid message was dead-lettered: {letters}"
    elif verdict == "invalid":
        assert letters, f"an invalid message was not dead-lettered: {name} {payload[:200]!r}"
    return verdict if not letters else "invalid"


class Writer:
    """Batches of fuzzed messages written as ingest writes them (whole, or when the database
    refuses one, message by message); what must end up in dead_letters."""

    def __init__(self, db_url: str):
        self.ingest = Ingest(config(db_url, "mqtt://127.0.0.1:1"))  # writes, never connects
        self.batch = Batch()
        self.expected: set[tuple[str, bytes]] = set()
        self.cases = 0

    def add(self, name: str, payload: bytes) -> None:
        if _expect(name, payload, self.batch) == "unstorable":
            self.expected.add((name, payload[:DEAD_LETTER_PAYLOAD_CAP]))
        self.cases += 1
        if len(self.batch.messages) >= WRITE_EVERY:
            self.flush()

    def flush(self) -> None:
        batch, self.batch = self.batch, Batch()
        self.ingest._write(batch)  # a refusal other than by a message's content raises here
        self.expected |= {(t, bytes(p)) for t, p, _size, _reason in batch.dead_letters}

    def close(self) -> None:
        self.ingest.store.close()


def _dead_letters(db_url: str, but: str = "") -> list[tuple[str, bytes]]:
    """Every dead letter in the test's database, except those on topics of the VIN but."""
    with connect(db_url) as conn:
        rows = conn.execute(
            "SELECT topic, payload FROM dead_letters WHERE %s = '' OR topic NOT LIKE %s",
            (but, f"%{but}%"),
        ).fetchall()
    return [(t, bytes(p)) for t, p in rows]


@pytest.mark.timeout(600)
def test_ten_thousand_fuzzed_messages_through_ingest_code_and_database(db_url):
    writer = Writer(db_url)

    @settings(max_examples=IN_PROCESS_CASES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(_case())
    def one(case: tuple[str, bytes]) -> None:
        writer.add(*case)

    try:
        one()
        writer.flush()
    finally:
        writer.close()
    assert writer.cases >= IN_PROCESS_CASES
    stored = _dead_letters(db_url)
    assert set(stored) == writer.expected, "dead letters in the database differ from ingest's"
    assert len(stored) == len(set(stored)), "a dead letter was stored twice"


def _broker_cases(count: int) -> list[tuple[str, bytes]]:
    cases: list[tuple[str, bytes]] = []

    @settings(max_examples=count, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(_case())
    def collect(case: tuple[str, bytes]) -> None:
        if case[0]:  # an empty topic cannot be published
            cases.append(case)

    collect()
    return cases


@pytest.mark.timeout(300)
def test_fuzzed_messages_through_the_broker_and_a_redelivery_after_a_crash(
    fresh_db_url, own_broker, tmp_path
):
    db_url = fresh_db_url
    cases = _broker_cases(BROKER_CASES)
    expected: set[tuple[str, bytes]] = set()
    for name, payload in cases:
        batch = Batch()
        if _expect(name, payload, batch) == "unstorable":
            expected.add((name, payload))
        expected |= {(t, bytes(p)) for t, p, _size, _reason in batch.dead_letters}
    # ingest subscribes to the cars' uplink topics only; nothing else can reach it
    expected = {(t, p) for t, p in expected if SUBSCRIBED.fullmatch(t)}
    invalid = sorted({(t, p) for t, p in cases if (t, p) in expected})[:REDELIVERED]
    tag = uuid.uuid4().hex[:8]
    publisher = Publisher(own_broker.url)
    ingest = start_ingest(db_url, own_broker.url, tag, tmp_path / "ingest.log")
    try:
        marker = make_vin()
        ready = "SELECT count(*) FROM dead_letters"
        wait_for(lambda: publisher.send(marker, "status", b"{}") or scalar(db_url, ready), 30,
                   "ingest")  # fmt: skip
        for i, (name, payload) in enumerate(cases):
            publisher.publish(name, payload)
            if i == len(cases) // 2:
                kill_9(ingest)  # mid-stream: what it committed and had not acked comes again
                ingest = start_ingest(db_url, own_broker.url, tag, tmp_path / "ingest.log")
        for name, payload in invalid:  # the broker's redelivery, byte for byte
            publisher.publish(name, payload)
        try:
            wait_for(
                lambda: expected <= set(_dead_letters(db_url, marker)), 60, "every dead letter"
            )
        except AssertionError:
            missing = expected - set(_dead_letters(db_url, marker))
            raise AssertionError(
                f"{len(missing)} dead letters missing: {sorted(missing)[:5]}"
            ) from None
        publisher.send(marker, "status", b"[]")  # lands after anything still in flight
        wait_for(lambda: scalar(db_url, "SELECT count(*) FROM dead_letters WHERE payload"
                                  " = '[]'::bytea"), 30, "the last marker")  # fmt: skip
        assert ingest.poll() is None, "ingest died on a fuzzed message"
    finally:
        publisher.close()
        code = stop_gently(ingest)
    assert code == 0, "ingest did not stop cleanly"
    stored = _dead_letters(db_url, marker)
    assert set(stored) == expected
    doubled = {hashlib.sha1(p).hexdigest()[:8]: t for t, p in stored if stored.count((t, p)) > 1}
    assert not doubled, f"{len(doubled)} messages were dead-lettered twice: {doubled}"
