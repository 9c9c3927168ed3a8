"""Business alarms through the whole pipeline on real PostgreSQL: two years of a store's daily
figures written into kpi_facts (analytics.history, seasonal and noisy, with one injected event
per metric), the alarm job run day by day as the worker would, and what a manager then sees:
the alarm with its direction, a feed card, a notice, and the routes' permissions."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from analytics import alarms as detector
from analytics import history
from api.alarms import constants
from api.alarms.detection import run_alarms
from api.alarms.models import AlarmNotice, BusinessAlarm
from api.audit.models import StateTransition
from api.auth.roles import Role
from api.proactive.models import FeedEvent
from tests.factories import (
    auth_headers,
    make_customer,
    make_group,
    make_store,
    make_user,
)

START = date(2024, 1, 1)
DAYS = 730
SEED = 101
# metric -> (event start, longest accepted delay in days from the start to the first run that
# reports it). The delays are those the detector's own tests accept (docs/forecasting.md) plus
# the day the job waits for a day to end.
EVENTS: dict[str, tuple[date, int]] = {
    "service_volume": (date(2025, 3, 10), 15),
    "complaints": (date(2025, 6, 2), 22),
    "margin": (date(2025, 9, 15), 29),
    "response_time": (date(2025, 11, 20), 11),
}
DIRECTIONS = {"service_volume": "drop", "complaints": "rise", "margin": "drop",
              "response_time": "rise"}  # fmt: skip
FIRST_POSSIBLE = 4  # CUSUM needs 4 capped days (3 - 1 each) to reach 8: no run sooner can see it
EN = {"Accept-Language": "en"}


def figures(seed: int, *, events: bool) -> pd.DataFrame:
    """A store's daily figures; with events, each metric's event from EVENTS."""
    frame = history.daily_metrics(DAYS, start=START.isoformat(), seed=seed)
    if events:
        for n, (metric, (start, _)) in enumerate(EVENTS.items()):
            days = 21 if metric == "complaints" else None  # a three-week wave of complaints
            frame = history.inject_event(frame, metric, start.isoformat(), seed=seed + n, days=days)
    return frame


def facts(store_id: int, frame: pd.DataFrame) -> list[dict]:
    """The figures as the KPI rollup would store them: store totals, no zero sums."""
    rows = []
    for day, row in frame.iterrows():
        visits = float(row.service_volume)
        revenue = round(900.0 * visits + 600.0, 2)
        bookings = max(1, round(visits / 6))
        values = {
            "service_visits": visits,
            "complaints": float(row.complaints),
            "labour_revenue": revenue,
            "labour_cost": round(revenue * (1 - row.margin), 2),
            "customer_bookings": bookings,
            "customer_booking_minutes": round(bookings * row.response_time, 3),
        }
        rows += [
            {"store": store_id, "measure": m, "day": day.date(), "value": v}
            for m, v in values.items()
            if v
        ]
    return rows


@pytest.fixture(scope="module")
def world(app):
    """Store A with the four events, store B with clean history; their people."""
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        a, b = make_store(session, group, name="浦东"), make_store(session, group, name="闵行")
        rows = facts(a.id, figures(SEED, events=True)) + facts(
            b.id, figures(SEED + 1, events=False)
        )
        session.execute(
            text(
                "INSERT INTO kpi_facts (store_id, measure, dimension, day, member, value)"
                " VALUES (:store, :measure, '', :day, '', :value)"
            ),
            rows,
        )
        customer = make_customer(session, a)
        people = {
            "manager_a": make_user(session, group, Role.manager, stores=[a]),
            "manager_b": make_user(session, group, Role.manager, stores=[b]),
            "admin": make_user(session, group, Role.admin),
            "advisor_a": make_user(session, group, Role.service_advisor, stores=[a]),
            "technician_a": make_user(session, group, Role.technician, stores=[a]),
            "customer": make_user(session, group, Role.customer, customer=customer),
        }
        return {"a": a.id, "b": b.id} | {k: v.id for k, v in people.items()} | {"users": people}


@pytest.fixture(scope="module")
def found(app, world) -> dict[str, tuple[date, int]]:
    """The job run each day from each event's start, as the worker would, until it raises the
    event's alarm: metric -> (the run's day, its delay in days from the event's start)."""
    out = {}
    for metric, (start, longest) in EVENTS.items():
        for delay in range(FIRST_POSSIBLE, longest + 1):
            with app.state.session_factory.begin() as session:
                run_alarms(session, today=start + timedelta(days=delay), store_ids=[world["a"]])
                raised = session.scalar(
                    select(func.count()).where(
                        BusinessAlarm.store_id == world["a"],
                        BusinessAlarm.metric == metric,
                        BusinessAlarm.started_on >= start - timedelta(days=7),
                    )
                )
            if raised:
                out[metric] = (start + timedelta(days=delay), delay)
                break
    print("\nalarm delays through kpi_facts -> run_alarms:", out)
    return out


def alarms_of(app, store_id: int) -> list[BusinessAlarm]:
    with app.state.session_factory() as session:
        stmt = select(BusinessAlarm).where(BusinessAlarm.store_id == store_id)
        return list(session.scalars(stmt.order_by(BusinessAlarm.started_on)))


def test_the_job_knows_the_detectors_metrics():
    assert set(constants.METRICS) == set(detector.METRICS)
    assert {m: s.bad for m, s in detector.METRICS.items()} == DIRECTIONS


@pytest.mark.parametrize("metric", list(EVENTS))
def test_each_event_raises_its_alarm_in_its_direction_in_time(app, world, found, metric):
    start, longest = EVENTS[metric]
    assert metric in found, f"no {metric} alarm within {longest} days of {start}"
    run_day, delay = found[metric]
    assert FIRST_POSSIBLE <= delay <= longest
    (alarm,) = [a for a in alarms_of(app, world["a"]) if a.metric == metric]
    assert alarm.direction == DIRECTIONS[metric]
    assert abs((alarm.started_on - start).days) <= 7, "the change point is near the event"
    assert alarm.started_on <= alarm.detected_on < run_day
    assert (alarm.size < 0) == (alarm.direction == "drop")
    assert alarm.reason_en and alarm.reason_zh


def test_the_store_has_one_alarm_per_event_and_no_other(app, world, found):
    assert sorted(a.metric for a in alarms_of(app, world["a"])) == sorted(EVENTS)


def test_clean_history_raises_no_alarm_on_any_day_of_two_years(app, world):
    end = START + timedelta(days=DAYS)
    with app.state.session_factory.begin() as session:
        new = run_alarms(session, today=end, recent_days=DAYS, store_ids=[world["b"]])
    assert new == 0
    assert alarms_of(app, world["b"]) == []


def test_a_second_run_adds_nothing_even_on_a_later_window(app, world, found):
    before = [(a.id, a.metric, a.started_on) for a in alarms_of(app, world["a"])]
    end = START + timedelta(days=DAYS)
    for today in (end, end + timedelta(days=3)):  # the window starts a week later: re-detected
        with app.state.session_factory.begin() as session:
            assert run_alarms(session, today=today, recent_days=DAYS) == 0
    assert [(a.id, a.metric, a.started_on) for a in alarms_of(app, world["a"])] == before


def test_each_alarm_has_a_feed_card_without_its_figures(app, world, found):
    with app.state.session_factory() as session:
        cards = session.scalars(
            select(FeedEvent).where(
                FeedEvent.store_id == world["a"], FeedEvent.kind == "business_alarm"
            )
        ).all()
    alarms = alarms_of(app, world["a"])
    assert sorted(c.data["alarm_id"] for c in cards) == sorted(a.id for a in alarms)
    for card in cards:
        assert card.data["title_zh"].startswith("经营预警")
        assert "Business alarm" in card.data["title_en"]
        assert not {"expected", "observed", "size", "reason_en"} & set(card.data)


def test_the_stores_managers_and_the_groups_admin_are_told_no_one_else(app, world, found):
    with app.state.session_factory() as session:
        told = session.execute(
            select(AlarmNotice.alarm_id, AlarmNotice.user_id).join(
                BusinessAlarm, BusinessAlarm.id == AlarmNotice.alarm_id
            )
        ).all()
    alarms = {a.id for a in alarms_of(app, world["a"])}
    assert set(told) == {(a, u) for a in alarms for u in (world["manager_a"], world["admin"])}


def test_the_job_closes_an_alarm_once_its_reference_has_the_new_level(app, world, found):
    by_metric = {a.metric: a for a in alarms_of(app, world["a"])}
    volume = by_metric["service_volume"]  # detected in March; the later runs reach past June
    assert volume.state == "closed"
    with app.state.session_factory() as session:
        steps = session.scalars(
            select(StateTransition.to_state).where(
                StateTransition.entity_type == "business_alarm",
                StateTransition.entity_id == volume.id,
            )
        ).all()
    assert list(steps) == ["open", "closed"]
    assert by_metric["response_time"].state == "open"  # detected in December: still open


# -- the routes ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def headers(client, world) -> dict[str, dict[str, str]]:
    return {name: auth_headers(client, user, **EN) for name, user in world["users"].items()}


def _open_alarm(app, world) -> BusinessAlarm:
    return next(a for a in alarms_of(app, world["a"]) if a.metric == "response_time")


def test_managers_of_the_store_list_and_read_its_alarms(client, app, world, found, headers):
    for who in ("manager_a", "admin"):
        page = client.get("/alarms", headers=headers[who]).json()
        assert {a["store_id"] for a in page["items"]} == {world["a"]}, who
        assert page["total"] == len(EVENTS)
    page = client.get(
        "/alarms", params={"metric": "margin", "state": "closed"}, headers=headers["manager_a"]
    ).json()
    assert [(a["metric"], a["direction"], a["unit"]) for a in page["items"]] == [
        ("margin", "drop", "%")
    ]
    page = client.get("/alarms", params={"state": "open"}, headers=headers["manager_a"]).json()
    assert [a["metric"] for a in page["items"]] == ["response_time"]
    alarm = _open_alarm(app, world)
    detail = client.get(f"/alarms/{alarm.id}", headers=headers["manager_a"]).json()
    assert detail["reason"] == alarm.reason_en
    assert {n["user_id"] for n in detail["notified"]} == {world["manager_a"], world["admin"]}
    zh = client.get(
        f"/alarms/{alarm.id}", headers={**headers["manager_a"], "Accept-Language": "zh-CN"}
    )
    assert zh.json()["reason"] == alarm.reason_zh


def test_a_manager_of_another_store_finds_nothing(client, app, world, found, headers):
    alarm = _open_alarm(app, world)
    assert client.get("/alarms", headers=headers["manager_b"]).json()["total"] == 0
    for method, path in (
        ("GET", f"/alarms/{alarm.id}"),
        ("POST", f"/alarms/{alarm.id}/acknowledge"),
    ):
        answer = client.request(method, path, headers=headers["manager_b"])
        assert answer.status_code == 404, answer.text
        assert answer.json()["message"] == f"business_alarm {alarm.id} does not exist"
    foreign = client.get("/alarms", params={"store_id": world["a"]}, headers=headers["manager_b"])
    assert foreign.status_code == 404, foreign.text


@pytest.mark.parametrize("who", ["advisor_a", "technician_a", "customer"])
def test_other_roles_are_refused(client, app, world, found, headers, who):
    alarm = _open_alarm(app, world)
    for method, path in (
        ("GET", "/alarms"),
        ("GET", f"/alarms/{alarm.id}"),
        ("POST", f"/alarms/{alarm.id}/acknowledge"),
    ):
        answer = client.request(method, path, headers=headers[who])
        assert answer.status_code == 403, (who, method, path, answer.text)
        assert "manager" in answer.json()["message"]
    assert client.get("/alarms").status_code == 401


def test_a_manager_acknowledges_an_open_alarm_once(client, app, world, found, headers):
    alarm = _open_alarm(app, world)
    path = f"/alarms/{alarm.id}/acknowledge"
    first = client.post(path, headers=headers["manager_a"])
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["state"], body["acknowledged_by"]) == ("acknowledged", world["manager_a"])
    assert body["acknowledged_at"]
    again = client.post(path, headers=headers["admin"])
    assert again.status_code == 409, again.text
    assert "acknowledged already" in again.json()["message"]
    closed = next(a for a in alarms_of(app, world["a"]) if a.state == "closed")
    refused = client.post(f"/alarms/{closed.id}/acknowledge", headers=headers["manager_a"])
    assert refused.status_code == 409 and "is closed" in refused.json()["message"]
    with app.state.session_factory() as session:
        steps = session.execute(
            select(StateTransition.to_state, StateTransition.actor_user_id).where(
                StateTransition.entity_type == "business_alarm",
                StateTransition.entity_id == alarm.id,
            )
        ).all()
    assert sorted(steps, key=str) == sorted(
        [("open", None), ("acknowledged", world["manager_a"])], key=str
    )
