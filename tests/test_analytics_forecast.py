"""Monthly sales forecasts: calendar, back-test against the seasonal naive, intervals."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics import history
from analytics import sales_forecast as sf
from analytics.calendar import festival_shares, new_year

# A world the methods were not tuned on: falling sales, more noise, a weaker festival.
UNSEEN = history.SalesSetting(growth=-0.004, noise=0.12, lull=0.5, rush=0.3, push=0.08)


def test_festival_shares_follow_the_real_new_year():
    months = pd.date_range("2023-01-01", "2026-02-01", freq="MS")
    shares = dict(zip(months.strftime("%Y-%m"), festival_shares(months)[:, 0], strict=True))
    assert new_year(2023).isoformat() == "2023-01-22"
    assert shares["2023-01"] > shares["2023-02"] > 0  # lull 20 Jan to 3 Feb
    assert shares["2026-01"] == 0 and shares["2026-02"] == 14 / 28  # 15 Feb to 1 March
    assert festival_shares(pd.DatetimeIndex(["2024-12-01"]))[0, 1] == 0  # rush starts in January


@pytest.fixture(scope="module")
def default_backtest() -> sf.Backtest:
    return sf.backtest(history.monthly_sales(seed=0))


def test_backtest_beats_the_seasonal_naive(default_backtest):
    pooled = default_backtest.mase.loc["pooled"]
    assert set(pooled.index) == set(sf.METHODS)
    assert default_backtest.relative() < 0.9, pooled
    assert pooled[default_backtest.best()] < 1.0, pooled
    assert len(default_backtest.forecasts) == 4 * 12 * 3  # series x origins x horizon


def test_backtest_beats_the_seasonal_naive_on_an_unseen_setting():
    bt = sf.backtest(history.monthly_sales(seed=7, setting=UNSEEN))
    assert bt.relative() < 0.95, bt.mase


def test_festival_adjustment_pays_when_the_festival_dominates_the_noise():
    strong = history.SalesSetting(noise=0.04, lull=0.8, rush=0.6)
    bt = sf.backtest(history.monthly_sales(seed=3, setting=strong), methods=("ets", "ets_festival"))
    pooled = bt.mase.loc["pooled"]
    assert pooled["ets_festival"] < 0.95 * pooled["ets"], pooled


def test_forecast_intervals_nest_and_carry_the_moving_festival():
    sales = history.monthly_sales(seed=1, months=48)  # 2023-01 .. 2026-12
    out = sf.forecast(sales, 6, method="ets_festival")
    assert list(out.columns) == [
        "unique_id",
        "ds",
        "method",
        "mean",
        "lo_80",
        "hi_80",
        "lo_95",
        "hi_95",
    ]
    assert len(out) == 4 * 6
    assert (out["lo_95"] <= out["lo_80"]).all() and (out["lo_80"] <= out["mean"]).all()
    assert (out["mean"] <= out["hi_80"]).all() and (out["hi_80"] <= out["hi_95"]).all()
    # New Year 2027 is on 6 February: January has the rush, February the lull.
    for _, model in out.groupby("unique_id"):
        jan, feb = (model.set_index("ds").loc[f"2027-0{m}-01", "mean"] for m in (1, 2))
        assert feb < 0.8 * jan, (jan, feb)


def test_forecast_picks_by_backtest_and_refuses_short_history():
    sales = history.monthly_sales(models=2, seed=4)
    out = sf.forecast(sales, 3)
    assert out["method"].nunique() == 1 and out["method"].iloc[0] in sf.METHODS
    with pytest.raises(ValueError, match="back-test needs"):
        sf.backtest(history.monthly_sales(models=1, months=30))
