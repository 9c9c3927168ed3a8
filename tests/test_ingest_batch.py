"""Parsing a batch: the fast path for all-good messages gives exactly what the per-sample path
gives (rows, dead letters, latest state), whatever mix of good and bad samples arrives."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

import ingest.batch
from core.signals import BY_NAME, SIGNAL_NAMES
from core.wire import MAX_AGE_MS, now_ms, topic
from ingest.batch import Batch, Message

VIN = "LHGJETH88M6495185"
NOW = now_ms()
SOME_SIGNALS = ("RPM", "SPEED", "CONTROL_MODULE_VOLTAGE")


def _value(name: str):
    low, high = BY_NAME[name].minimum, BY_NAME[name].maximum
    good = st.floats(low, high, allow_nan=False) | st.integers(int(low), int(high))
    return st.one_of(good, good, good, st.sampled_from([low - 1, high + 1]))  # at times implausible


_values = st.fixed_dictionaries({}, optional={n: _value(n) for n in SOME_SIGNALS})
_samples = st.fixed_dictionaries(
    {
        "ts": st.one_of(*[st.integers(NOW - 60_000, NOW)] * 4, st.just(NOW - MAX_AGE_MS - 1)),
        "seq": st.one_of(*[st.integers(0, 10**6)] * 4, st.just(-1)),
        "values": st.one_of(*[_values] * 4, st.just({"NOT_A_SIGNAL": 1.0})),
    }
)
_messages = st.lists(st.lists(_samples, min_size=0, max_size=6), min_size=1, max_size=4)


def _parse(messages: list[list[dict]]) -> Batch:
    batch = Batch()
    for i, samples in enumerate(messages):
        payload = json.dumps({"samples": samples}).encode()
        batch.add(Message(topic(VIN, "telemetry"), payload, i, 1, 0))
    return batch


def _outcome(batch: Batch) -> tuple:
    dead = [(topic_, bytes(payload), reason) for topic_, payload, _, reason in batch.dead_letters]
    return batch.rows, dead, batch.latest, batch.newest_ts, batch.oldest_ts


@settings(max_examples=300, deadline=None)
@given(_messages)
def test_the_fast_path_agrees_with_the_careful_one(messages):
    fast = _outcome(_parse(messages))
    original = ingest.batch._plausible_rows
    ingest.batch._plausible_rows = lambda vin, message: None
    try:
        careful = _outcome(_parse(messages))
    finally:
        ingest.batch._plausible_rows = original
    assert fast == careful
    assert fast[2].get(VIN, {}).get("values") == _applied_in_time_order(messages).get("values")


def _applied_in_time_order(messages: list[list[dict]]) -> dict:
    """The latest state by its definition: each message's good samples applied in time order,
    each one only if it is not older than the state."""
    state: dict = {}
    for samples in messages:
        for row in sorted(_parse([samples]).rows, key=lambda row: row[1]):
            if row[1] >= state.get("sample_ts", 0):
                known = {n: v for n, v in zip(SIGNAL_NAMES, row[3:], strict=True) if v is not None}
                state.setdefault("values", {}).update(known)
                state["sample_ts"] = row[1]
    return state


def test_a_good_message_is_taken_whole_and_its_newest_values_kept():
    samples = [
        {"ts": NOW - 2000, "seq": 1, "values": {"RPM": 800, "SPEED": 0}},
        {"ts": NOW - 1000, "seq": 2, "values": {"RPM": 900.5}},
    ]
    batch = _parse([samples])
    assert [row[:3] for row in batch.rows] == [(VIN, NOW - 2000, 1), (VIN, NOW - 1000, 2)]
    assert batch.rows[1][3 + SIGNAL_NAMES.index("RPM")] == 900.5
    assert batch.latest[VIN]["values"] == {"RPM": 900.5, "SPEED": 0.0}
    assert (batch.latest[VIN]["sample_ts"], batch.dead_letters) == (NOW - 1000, [])


def test_a_batch_repeating_stored_samples_writes_only_the_new_ones(db_url):
    from core.db import connect
    from ingest.store import Store

    def samples(first: int, count: int) -> list[dict]:
        return [
            {"ts": NOW - 60_000 + i * 100, "seq": i, "values": {"RPM": 800.0 + i}}
            for i in range(first, first + count)
        ]

    store = Store(db_url)
    try:
        assert store.write(_parse([samples(0, 10)])).telemetry == 10  # straight into the table
        again = _parse([samples(5, 10)])  # five repeats (a redelivery) and five new samples
        report = json.dumps({"ts": NOW, "stored": ["P0301"]}).encode()
        again.add(Message(topic(VIN, "dtc"), report, 99, 1, 0))
        written = store.write(again)
    finally:
        store.close()
    assert (written.telemetry, written.dtc) == (5, 1)
    with connect(db_url) as conn:
        rpm = conn.execute(
            "SELECT array_agg(rpm ORDER BY ts) FROM telemetry WHERE vin = %s", (VIN,)
        )
        assert rpm.fetchone()[0] == [800.0 + i for i in range(15)]
