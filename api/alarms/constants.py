"""Business-alarm vocabularies and the detection job's limits."""

from __future__ import annotations

from typing import Literal

from api.types import values_of

AlarmState = Literal["open", "acknowledged", "closed"]
ALARM_STATES = values_of(AlarmState)
# The detector's metrics (analytics.alarms.METRICS; a test keeps the two lists equal).
Metric = Literal["service_volume", "complaints", "margin", "response_time"]
METRICS = values_of(Metric)
# A notice's email: pending until sent; failed attempts retry with backoff up to
# EMAIL_MAX_ATTEMPTS; a manager without an address is no_address (the feed still tells them).
EmailState = Literal["pending", "sent", "failed", "no_address"]
EMAIL_STATES = values_of(EmailState)
EMAIL_MAX_ATTEMPTS = 5
EMAIL_RETRY_S = 15 * 60  # the first retry's wait; each further one waits twice as long
Direction = Literal["drop", "rise"]
DIRECTIONS = values_of(Direction)
UNITS: dict[str, str] = {
    "service_volume": "visits",
    "complaints": "complaints",
    "margin": "%",
    "response_time": "min",
}

WINDOW_DAYS = 730  # the history each run reads: two years, so both annual peaks are in it
REFERENCE_DAYS = 84  # the detector's reference (analytics.alarms.detect's default)
MIN_DAYS = REFERENCE_DAYS + 28  # fewer days with data than this: the metric is not judged yet
# Alarms detected within this many days before the run are raised; older ones are history the
# job was not watching (a first run on two years of data must not page a manager about 2024).
RECENT_DAYS = 28
# An open or acknowledged alarm closes by itself this long after its detection: the detector's
# reference then holds the new level, and a further change raises a new alarm.
CLOSE_AFTER_DAYS = REFERENCE_DAYS
MIN_BOOKINGS_DAYS = MIN_DAYS  # customer bookings on fewer days: response time uses alert bookings
RUN_LOCK = 7_340_002  # one run at a time (pg_advisory_xact_lock; the KPI rollup holds ..._001)
