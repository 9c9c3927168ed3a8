"""The wire contract: encoding round trips and the reasons bad input is refused."""

import math

import pytest

from core.wire import (
    FUTURE_TOLERANCE_MS,
    MAX_PAYLOAD_BYTES,
    DtcReport,
    Sample,
    Telemetry,
    WireError,
    decode,
    dtc_problem,
    encode,
    now_ms,
    parse_topic,
    sample_problem,
    topic,
)

VIN = "LSVAU218XN2183294"


def test_round_trip():
    message = Telemetry(samples=[Sample(ts=now_ms(), seq=7, values={"RPM": 812.5})])
    assert decode("telemetry", encode(message)) == message


def test_topic_round_trip():
    assert parse_topic(topic(VIN, "dtc")) == (VIN, "dtc")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("pitstop/v2/LSVAU218XN2183294/telemetry", "is not pitstop/v1"),
        ("pitstop/v1/LSVAU218XN2183294/gps", "is not pitstop/v1"),
        ("pitstop/v1/NOTAVIN/telemetry", "bad VIN"),
    ],
)
def test_bad_topics(name, words):
    with pytest.raises(WireError, match=words):
        parse_topic(name)


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"{not json", "malformed"),
        (b'{"samples": [{"ts": "yesterday", "seq": 1, "values": {}}]}', "Expected `int`"),
        (b'{"samples": [{"ts": 1, "seq": 1, "values": {"RPM": NaN}}]}', "malformed"),
        (b'{"samples": [], "extra": 1}', "unknown field"),
        (b" " * (MAX_PAYLOAD_BYTES + 1), "exceeds"),
    ],
)
def test_malformed_payloads(payload, words):
    with pytest.raises(WireError, match=words):
        decode("telemetry", payload)


@pytest.mark.parametrize(
    ("values", "ts_offset", "words"),
    [
        ({"RPM": 800.0}, FUTURE_TOLERANCE_MS + 60_000, "in the future"),
        ({"RPM": -5.0}, 0, "outside plausible range"),
        ({"BOOST": 1.0}, 0, "unknown signal"),
        ({"RPM": math.inf}, 0, "not a finite number"),
        ({}, 0, "no values"),
    ],
)
def test_implausible_samples(values, ts_offset, words):
    now = now_ms()
    problem = sample_problem(Sample(ts=now + ts_offset, seq=1, values=values), now)
    assert problem is not None and words in problem


def test_good_sample_has_no_problem():
    now = now_ms()
    assert sample_problem(Sample(ts=now, seq=1, values={"RPM": 800.0, "SPEED": 40.0}), now) is None


def test_dtc_codes_are_checked():
    now = now_ms()
    assert dtc_problem(DtcReport(ts=now, stored=["P0301"], pending=["P0171"]), now) is None
    assert "not of the form" in dtc_problem(DtcReport(ts=now, stored=["X1234"]), now)
