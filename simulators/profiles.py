"""Driver profiles: how often a car is driven, when, for how long, and on which roads."""

from __future__ import annotations

import random
from dataclasses import dataclass

from core.clock import DAY_MS

LOCAL_OFFSET_MS = 8 * 3_600_000  # China Standard Time (UTC+8): preferred hours are local


@dataclass(frozen=True)
class Profile:
    name: str
    weekday_trips: tuple[int, int]  # inclusive range of trips on a working day
    weekend_trips: tuple[int, int]
    hours: tuple[tuple[float, float], ...]  # local-time windows in which trips start
    trip_minutes: tuple[float, float]  # range of trip durations
    highway_share: float  # fraction of driving time on highways rather than in town


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "commuter", (2, 3), (0, 2), ((7.0, 8.8), (17.3, 19.5), (12.0, 21.0)), (15, 50), 0.3
        ),
        Profile("taxi", (8, 14), (7, 12), ((6.0, 23.0),), (8, 35), 0.15),
        Profile("weekend", (0, 1), (1, 3), ((9.0, 19.0),), (25, 120), 0.6),
    )
}


@dataclass(frozen=True)
class Trip:
    start_ms: int
    segments: tuple[tuple[str, float], ...]  # (drive mode, seconds): idle, city, highway


def plan_day(profile: Profile, day_start_ms: int, rng: random.Random) -> list[Trip]:
    """Trips of one local day (day_start_ms is local midnight in UTC ms), in start order."""
    weekday = ((day_start_ms + LOCAL_OFFSET_MS) // DAY_MS + 3) % 7  # 1970-01-01 was a Thursday
    low, high = profile.weekend_trips if weekday >= 5 else profile.weekday_trips
    count = rng.randint(low, high)
    starts = []
    for i in range(count):
        begin, end = profile.hours[min(i, len(profile.hours) - 1)]
        starts.append(day_start_ms + int(rng.uniform(begin, end) * 3_600_000))
    starts.sort()
    trips: list[Trip] = []
    free_from = day_start_ms
    for start in starts:
        start = max(start, free_from)
        segments = _segments(profile, rng)
        trips.append(Trip(start, segments))
        free_from = start + int(sum(s for _, s in segments) * 1000) + 10 * 60_000
    return [t for t in trips if t.start_ms < day_start_ms + DAY_MS]


def _segments(profile: Profile, rng: random.Random) -> tuple[tuple[str, float], ...]:
    total = rng.uniform(*profile.trip_minutes) * 60
    segments: list[tuple[str, float]] = [("idle", rng.uniform(20, 90))]
    driven = 0.0
    while driven < total:
        mode = "highway" if rng.random() < profile.highway_share else "city"
        length = rng.uniform(300, 1500) if mode == "highway" else rng.uniform(180, 900)
        length = min(length, total - driven + 60)
        segments.append((mode, length))
        driven += length
    segments.append(("idle", rng.uniform(10, 60)))
    return tuple(segments)


def local_midnight(ms: int) -> int:
    """UTC epoch ms of the local midnight at or before ms."""
    return (ms + LOCAL_OFFSET_MS) // DAY_MS * DAY_MS - LOCAL_OFFSET_MS
