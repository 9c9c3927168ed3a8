"""Parts demand: intermittent methods against the naive, fleet-aware demand, reorder maths."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analytics import history
from analytics import parts_demand as pdm

# Rarer, lumpier demand than the default generator: a setting the methods were not tuned on.
UNSEEN = history.PartsSetting(occurrence=(0.03, 0.25), size=(0.0, 5.0))


@pytest.mark.parametrize(
    ("seed", "setting"), [(0, history.PartsSetting()), (5, UNSEEN)], ids=["default", "unseen"]
)
def test_intermittent_methods_beat_the_naive(seed, setting):
    bt = pdm.backtest(history.weekly_parts(seed=seed, setting=setting))
    pooled = bt.rmsse.loc["pooled"]
    assert set(pooled.index) == {*pdm.METHODS, pdm.BASELINE}
    assert bt.best() in pdm.METHODS
    for method in pdm.METHODS:
        assert pooled[method] < 0.85 * pooled[pdm.BASELINE], pooled
    assert set(bt.best_per_part().values()) <= set(pdm.METHODS)
    assert (bt.rmse.drop("pooled") >= 0).all().all()  # a part may sell nothing in the window


def test_forecast_is_a_flat_weekly_rate_per_part():
    parts = history.weekly_parts(parts=3, weeks=80, seed=2)
    out = pdm.forecast(parts, 4, method="sba")
    assert len(out) == 12 and (out["method"] == "sba").all()
    assert out.groupby("unique_id")["mean"].nunique().eq(1).all()
    assert out["ds"].min() == parts["ds"].max() + pd.Timedelta(days=7)
    mean_rate = parts.groupby("unique_id")["y"].mean()
    for uid, rate in out.groupby("unique_id")["mean"].first().items():
        assert 0.3 * mean_rate[uid] < rate < 3 * mean_rate[uid]


def test_fleet_aware_adds_alerts_in_their_week_and_takes_out_the_covered_share():
    weeks = pd.date_range("2025-03-03", periods=3, freq="W-MON")
    base = pd.DataFrame({"unique_id": "battery", "ds": weeks, "mean": 2.0})
    alerts = [
        pdm.Alert("battery", 1, 0.8, pd.Timestamp("2025-03-12")),  # a Wednesday: week 2
        pdm.Alert("battery", 4, 0.5, pd.Timestamp("2025-03-10")),
        pdm.Alert("battery", 1, 0.9, pd.Timestamp("2025-06-01")),  # beyond the horizon
        pdm.Alert("spark-plug", 4, 0.9, pd.Timestamp("2025-03-03")),  # not forecast here
    ]
    out = pdm.fleet_aware(base, alerts, covered_share=0.25)
    assert out["from_alerts"].tolist() == pytest.approx([0.0, 2.8, 0.0])
    assert out["fleet_mean"].tolist() == pytest.approx([1.5, 4.3, 1.5])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fleet_aware_demand_beats_history_only(seed):
    result = pdm.evaluate_fleet_aware(history.fleet_period(seed=seed))
    assert result["ratio"] < 0.95, result
    assert result["mae_ratio"] < 0.95, result


def test_fleet_aware_demand_beats_history_only_on_an_unseen_setting():
    period = history.fleet_period(parts=20, seed=9, recall=0.5, surge=3.0, timing_error=0.3)
    result = pdm.evaluate_fleet_aware(period, method="tsb")
    assert result["ratio"] < 1.0, result


def test_fleet_aware_demand_is_worse_when_the_alerts_point_at_the_wrong_weeks():
    period = history.fleet_period(seed=0)
    period.alerts = [(p, q, prob, week + 6, seen + 6) for p, q, prob, week, seen in period.alerts]
    result = pdm.evaluate_fleet_aware(period)
    assert result["ratio"] > 1.0, result  # the measure rewards only alerts that come true


def test_reorder_quantity_covers_lead_time_and_review_with_a_safety_stock():
    r = pdm.reorder_quantity(
        weekly_demand=2.0,
        weekly_error=1.5,
        lead_time_weeks=2,
        review_weeks=1,
        service_level=0.95,
        on_hand=3,
        on_order=1,
        reserved=1,
    )
    assert r.demand == 6.0
    assert r.safety_stock == pytest.approx(1.6449 * 1.5 * math.sqrt(3), rel=1e-3)
    assert r.position == 3.0 and r.quantity == math.ceil(6.0 + r.safety_stock - 3.0)
    packed = pdm.reorder_quantity(
        weekly_demand=[1, 1, 4, 9], weekly_error=1.0, lead_time_weeks=1.5, pack_size=5
    )
    assert packed.demand == pytest.approx(1 + 1 + 0.5 * 4)
    assert packed.quantity % 5 == 0 and packed.quantity >= packed.order_up_to
    stocked = pdm.reorder_quantity(
        weekly_demand=1.0, weekly_error=0.5, lead_time_weeks=1, on_hand=50
    )
    assert stocked.quantity == 0
    with pytest.raises(ValueError):
        pdm.reorder_quantity(
            weekly_demand=1.0, weekly_error=0.5, lead_time_weeks=1, service_level=1
        )
