"""The model registry and feedback labels on real PostgreSQL: skops round trips, versions,
the active flag, refusal of untrusted artifacts, and labels that training reads back."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import skops.io as sio
from sklearn.ensemble import HistGradientBoostingClassifier
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from core.clock import DAY_MS
from core.db import connect, sqlalchemy_url
from diagnostics import registry
from diagnostics.lab.feedback import feedback_windows
from diagnostics.lab.simfeed import feed
from simulators.car import Car
from simulators.faults import Fault

START_MS = 1_767_225_600_000  # 2026-01-01 UTC


def _bundle(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 4))
    y = X[:, 0] + 0.1 * rng.normal(size=300) > 0
    return {
        "classifiers": {"battery": HistGradientBoostingClassifier(max_iter=20).fit(X, y)},
        "thresholds": {"battery": 0.5},
        "names": ["a", "b", "c", "d"],
        "X": X[:5],
    }


def test_skops_round_trip_versions_and_active(db_url):
    bundles = [_bundle(1), _bundle(2)]
    with connect(db_url) as conn:
        v1 = registry.save_model(
            conn, name="t_model", kind="test", bundle=bundles[0], params={"a": 1},
            metrics={"recall": 0.9}, training_data={"cars": 3},
        )  # fmt: skip
        v2 = registry.save_model(
            conn, name="t_model", kind="test", bundle=bundles[1], params={"a": 2},
            metrics={"recall": 0.95}, training_data={"cars": 4},
        )  # fmt: skip
        conn.commit()
        assert (v1, v2) == (1, 2)
        record, loaded = registry.load_model(conn, "t_model")
        assert record.version == 2 and record.active and record.metrics == {"recall": 0.95}
        original = bundles[1]["classifiers"]["battery"].predict_proba(bundles[1]["X"])
        again = loaded["classifiers"]["battery"].predict_proba(loaded["X"])
        np.testing.assert_allclose(again, original)
        assert loaded["names"] == ["a", "b", "c", "d"]

        registry.activate(conn, "t_model", 1)  # a rollback
        conn.commit()
        assert registry.load_model(conn, "t_model")[0].version == 1
        assert [r.active for r in registry.list_models(conn, "t_model")] == [False, True]
        with pytest.raises(registry.RegistryError, match="no version 9"):
            registry.activate(conn, "t_model", 9)
        with pytest.raises(registry.RegistryError, match="train"):
            registry.load_model(conn, "no_such_model")


def test_a_model_of_older_features_leaves_the_rules_scoring_alone(db_url, caplog):
    from diagnostics.learned.inputs import MODEL_NAME

    with connect(db_url) as conn:
        old = {**_bundle(3), "input_names": ["coolant_max_1d", "charge_v_mean_1d"]}
        registry.save_model(
            conn, name=MODEL_NAME, kind="test", bundle=old, params={}, metrics={},
            training_data={},
        )  # fmt: skip
        conn.commit()
        try:
            assert registry.load_detectors(conn) == []
        finally:
            conn.execute("DELETE FROM model_registry WHERE name = %s", (MODEL_NAME,))
            conn.commit()
    assert "run `pitstop diagnostics train`" in caplog.text


class Gadget:
    """A type from outside scikit-learn and numpy: an artifact holding it is refused."""

    def __init__(self):
        self.x = 1


def test_untrusted_artifact_is_refused(db_url):
    with connect(db_url) as conn:
        conn.execute(
            "INSERT INTO model_registry (name, version, kind, artifact, active)"
            " VALUES ('evil', 1, 'test', %s, true)",
            (sio.dumps({"g": Gadget()}),),
        )
        with pytest.raises(registry.RegistryError, match="outside scikit-learn"):
            registry.load_model(conn, "evil")
        conn.rollback()


def test_outcomes_are_stored_through_either_handle(db_url):
    at = dt.datetime(2026, 1, 9, tzinfo=dt.UTC)
    engine = create_engine(sqlalchemy_url(db_url))
    with Session(engine) as session:
        registry.record_outcome(
            session, vin="LSVAB1230RA000001", failure_mode="battery", outcome="confirmed",
            work_order_ref="WO-1", confirmed_at=at, notes="replaced battery",
        )  # fmt: skip
        session.commit()
    engine.dispose()
    with connect(db_url) as conn:
        registry.record_outcome(
            conn, vin="LSVAB1230RA000002", failure_mode=None, outcome="no_fault_found",
            work_order_ref="WO-2", confirmed_at=at,
        )  # fmt: skip
        # The same work order closed again with a corrected cause replaces its label.
        registry.record_outcome(
            conn, vin="LSVAB1230RA000001", failure_mode="misfire", outcome="confirmed",
            work_order_ref="WO-1", confirmed_at=at,
        )  # fmt: skip
        with pytest.raises(ValueError, match="failure_mode"):
            registry.record_outcome(
                conn, vin="X", failure_mode=None, outcome="confirmed",
                work_order_ref="WO-3", confirmed_at=at,
            )  # fmt: skip
        with pytest.raises(ValueError, match="outcome"):
            registry.record_outcome(
                conn, vin="X", failure_mode="battery", outcome="fixed",
                work_order_ref="WO-3", confirmed_at=at,
            )  # fmt: skip
        conn.commit()
        labels = {lab.work_order_ref: lab for lab in registry.read_labels(conn)}
    assert set(labels) == {"WO-1", "WO-2"}
    assert labels["WO-1"].failure_mode == "misfire" and labels["WO-1"].notes is None
    assert labels["WO-2"].outcome == "no_fault_found" and labels["WO-2"].failure_mode is None


def _store_telemetry(conn, car: Car, until_ms: int) -> None:
    from core.signals import SIGNALS

    first = dt.datetime.fromtimestamp(car.now_ms / 1000, dt.UTC).date()
    last = dt.datetime.fromtimestamp(until_ms / 1000, dt.UTC).date()
    conn.execute("SELECT pitstop_ensure_partitions(%s, %s)", (first, last))
    columns = ", ".join(s.column for s in SIGNALS)
    with conn.cursor().copy(f"COPY telemetry (vin, ts, seq, {columns}) FROM STDIN") as copy:
        for seq, sample in enumerate(feed(car, until_ms, parked_step_s=1800)):
            ts = dt.datetime.fromtimestamp(sample.ts_ms / 1000, dt.UTC)
            copy.write_row([car.vin, ts, seq, *(sample.values.get(s.name) for s in SIGNALS)])


def test_training_reads_feedback_labels_from_stored_telemetry(db_url):
    onset, failure = START_MS + 3 * DAY_MS, START_MS + 5 * DAY_MS
    faulty = Car(start_ms=START_MS, seed=5, faults=[Fault("battery", onset, failure)])
    healthy = Car(start_ms=START_MS, seed=6)
    with connect(db_url) as conn:
        _store_telemetry(conn, faulty, failure)
        _store_telemetry(conn, healthy, failure)
        confirmed = dt.datetime.fromtimestamp(failure / 1000, dt.UTC)
        registry.record_outcome(
            conn, vin=faulty.vin, failure_mode="battery", outcome="confirmed",
            work_order_ref="WO-10", confirmed_at=confirmed,
        )  # fmt: skip
        registry.record_outcome(
            conn, vin=healthy.vin, failure_mode=None, outcome="no_fault_found",
            work_order_ref="WO-11", confirmed_at=confirmed,
        )  # fmt: skip
        registry.record_outcome(  # no telemetry stored for this car: it adds nothing
            conn, vin="LSVAB1230RA000009", failure_mode="battery", outcome="confirmed",
            work_order_ref="WO-12", confirmed_at=confirmed,
        )  # fmt: skip
        conn.commit()
        windows = feedback_windows(conn, registry.read_labels(conn))
    assert windows is not None
    assert {s.vin for s in windows.cars} == {faulty.vin, healthy.vin}
    by_vin = {s.vin: s.index for s in windows.cars}
    faulty_modes = set(windows.mode[windows.car == by_vin[faulty.vin]].tolist())
    assert faulty_modes == {"battery"}  # 3 days before confirmation, all after the 2-day warm-up
    assert set(windows.mode[windows.car == by_vin[healthy.vin]].tolist()) == {""}
    assert np.nanmax(windows.ttf_days) <= 3.0
    # The resting voltage of the failing battery sits below the car's own baseline.
    from diagnostics.learned.inputs import INPUT_NAMES

    rest = INPUT_NAMES.index("rest_v_mean_1d_vs_baseline")
    late = (windows.car == by_vin[faulty.vin]) & (windows.ttf_days < 0.5)
    assert np.nanmean(windows.X[late, rest]) < -0.1
