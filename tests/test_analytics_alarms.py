"""Business alarms: each injected event is found in time, clean history raises none."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics import alarms, history

# Event start dates, and the most days after them an alarm may open (measured delays in
# docs/forecasting.md are about half of these).
EVENTS = {
    "service_volume": ("2025-03-10", 14),  # visits fall 30 % and stay down
    "complaints": ("2025-06-02", 21),  # complaints triple for three weeks
    "margin": ("2025-09-15", 28),  # gross margin loses 4 points
    "response_time": ("2025-11-20", 10),  # response time rises 50 %
}
DIRECTIONS = {
    "service_volume": "drop",
    "complaints": "rise",
    "margin": "drop",
    "response_time": "rise",
}


def unseen(seed: int) -> pd.DataFrame:
    """A smaller, noisier store than the detector was tuned on (seeds 0 to 9, default noise)."""
    return history.daily_metrics(seed=seed, visits=45, noise=1.3)


@pytest.mark.parametrize(
    "metrics",
    [history.daily_metrics(seed=20), history.daily_metrics(seed=21), unseen(22)],
    ids=["seed20", "seed21", "unseen22"],
)
def test_clean_history_raises_no_alarm(metrics):
    assert alarms.detect_all(metrics) == []


@pytest.mark.parametrize("metric", list(EVENTS))
@pytest.mark.parametrize("seed", [101, 102])
def test_each_event_is_found_within_its_delay(metric, seed):
    start, limit = EVENTS[metric]
    data = history.inject_event(
        unseen(seed), metric, start, seed=seed, days=21 if metric == "complaints" else None
    )
    found = alarms.detect(data[metric], metric=metric)
    delay = alarms.detection_delay(found, metric=metric, event_start=date.fromisoformat(start))
    assert delay is not None and 0 <= delay <= limit, (delay, found)
    alarm = next(a for a in found if a.detected >= date.fromisoformat(start))
    assert alarm.direction == DIRECTIONS[metric]
    assert abs((alarm.start - date.fromisoformat(start)).days) <= 7
    assert (alarm.size < 0) if alarm.direction == "drop" else (alarm.size > 0)
    assert (
        alarms.METRICS[metric].en in alarm.reason and alarms.METRICS[metric].zh in alarm.reason_zh
    )
    assert len(found) == 1, found  # one event, one alarm


def test_one_wild_day_is_not_an_alarm():
    data = history.daily_metrics(seed=20)
    data.loc["2025-06-04", "complaints"] = 40.0
    data.loc["2025-08-06", "response_time"] *= 5
    assert alarms.detect_all(data) == []


def test_the_spring_festival_lull_is_no_volume_drop():
    data = history.daily_metrics(seed=21)
    lull = alarms.detect(data["service_volume"], metric="service_volume", holidays=[])
    assert lull, "without the holiday calendar the lull should look like a drop"
    assert alarms.detect(data["service_volume"], metric="service_volume") == []


def test_bad_input_is_refused():
    data = history.daily_metrics(days=60)
    with pytest.raises(ValueError, match="more than 84 days"):
        alarms.detect(data["margin"], metric="margin")
    with pytest.raises(ValueError, match="unknown metric"):
        alarms.detect(data["margin"], metric="profit")
