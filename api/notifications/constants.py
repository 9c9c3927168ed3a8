"""Notification vocabularies and limits: kinds, channels, delivery states, backoff, quiet hours."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Literal

from api.types import values_of

Kind = Literal[
    "booking_created",  # an appointment was booked for a predicted fault
    "booking_proposed",  # approval mode: the advisor will confirm a proposed time
    "stop_driving",  # immediate: stop driving, earliest slot or a tow
    "alert_cleared",  # the fault went away before the visit
    "service_reminder",  # mileage or time based maintenance is due
    "survey",  # after a visit: how did we do
]
KINDS = values_of(Kind)

Channel = Literal["email", "web_push", "in_app"]
# The consent flags of crm are email, web_push, sms and in_app. There is no SMS gateway yet, so
# SMS consent is kept but no SMS delivery is made.
CHANNELS = values_of(Channel)
# Quiet hours hold back what buzzes a phone or fills a mailbox; the in-app inbox is silent.
QUIET_CHANNELS: frozenset[str] = frozenset({"email", "web_push"})

DeliveryStatus = Literal["queued", "sent", "failed", "gave_up"]
DELIVERY_STATES = values_of(DeliveryStatus)
# queued/failed wait for dispatch; sent and gave_up are final.
PENDING_STATES: tuple[str, ...] = ("queued", "failed")

Language = Literal["zh-CN", "en"]
LANGUAGES = values_of(Language)

# Retries: the n-th failure waits BACKOFF_BASE * BACKOFF_FACTOR**(n-1), at most BACKOFF_MAX.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_FACTOR = 2
BACKOFF_MAX = timedelta(hours=2)  # an outage longer than this is retried every two hours
MAX_ATTEMPTS = 6  # about an hour of retries with the values above; then gave_up

DISPATCH_BATCH = 20  # deliveries locked and sent per transaction
SMTP_TIMEOUT_S = 10.0  # a mail server that does not answer in this time counts as a failure
PUSH_TIMEOUT_S = 10.0
PUSH_TTL_S = 24 * 3600  # a push service keeps an undelivered message this long
MAX_ERROR_LENGTH = 500  # last_error keeps the start of a long server answer

# Store default when the store has not set its own (local time of the store).
DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(8, 0)

MAX_ENDPOINT_LENGTH = 1000  # push service URLs are a few hundred characters
MAX_DEDUPE_KEY_LENGTH = 200
