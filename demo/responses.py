"""How fast each demo store answers, as data: a customer's online booking request is confirmed
by an advisor while the desk is staffed (else the next morning), and a telematics alert is
booked by the proactive loop within minutes (SH-PD books by itself; SH-MH waits for an
advisor to accept the proposal, who answers on the feed from morning to evening).

Times are drawn log-normally around each store's median, so both KPIs have a long tail.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

from core.clock import zone
from demo.history_customers import local_moment

# store code -> (median minutes, (first hour, last hour) someone answers), local time
CONFIRMS = {"SH-PD": (12.0, (8.0, 21.0)), "SH-MH": (40.0, (8.5, 19.0))}
ALERT_BOOKINGS = {"SH-PD": (3.0, (0.0, 24.0)), "SH-MH": (20.0, (8.0, 21.0))}
DEFAULT = (30.0, (8.5, 17.5))
SPREAD = 0.6  # sigma of the log-normal spread around the median
# When customers ask online (hour of day, weight), and when cars report a fault (driving).
REQUEST_HOURS = (
    (7, 2), (8, 5), (9, 8), (10, 9), (11, 8), (12, 9), (13, 8), (14, 8), (15, 7), (16, 6),
    (17, 5), (18, 3), (19, 3), (20, 3), (21, 2), (22, 1), (23, 0.5),
)  # fmt: skip
DRIVING_HOURS = (
    (6, 2), (7, 8), (8, 10), (9, 6), (10, 5), (11, 5), (12, 5), (13, 5), (14, 5), (15, 5),
    (16, 6), (17, 9), (18, 9), (19, 5), (20, 3), (21, 2), (22, 1),
)  # fmt: skip


def _hour(rng: random.Random, hours: tuple) -> float:
    hour = rng.choices([h for h, _ in hours], [w for _, w in hours])[0]
    return hour + rng.random()


def request_moment(rng: random.Random, day: date) -> datetime:
    """When a customer sent an online booking request on the day."""
    return local_moment(day, _hour(rng, REQUEST_HOURS))


def alert_moment(rng: random.Random, day: date) -> datetime:
    """When a car raised an alert on the day (while it was driven)."""
    return local_moment(day, _hour(rng, DRIVING_HOURS))


def _answer(rng: random.Random, at: datetime, median: float, hours: tuple) -> datetime:
    """`at` plus the time to answer: from then while staffed, else from the next opening."""
    opens, closes = hours
    local = at.astimezone(zone())
    hour = local.hour + local.minute / 60
    start = at
    if hour < opens:
        start = local_moment(local.date(), opens)
    elif hour >= closes:
        start = local_moment(local.date() + timedelta(days=1), opens)
    minutes = max(1.0, median * math.exp(rng.gauss(0, SPREAD)))
    return start + timedelta(minutes=minutes, seconds=rng.randint(0, 59))


def confirmation(rng: random.Random, code: str, asked: datetime) -> datetime:
    """When the store confirmed a customer's online request sent at `asked`."""
    median, hours = CONFIRMS.get(code, DEFAULT)
    return _answer(rng, asked, median, hours)


def alert_booking(rng: random.Random, code: str, raised: datetime) -> datetime:
    """When the proactive loop booked the visit for an alert raised at `raised`."""
    median, hours = ALERT_BOOKINGS.get(code, DEFAULT)
    return _answer(rng, raised, median, hours)
