"""Days: "today" is a date in the store's own time zone, never UTC's; a day in milliseconds."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"  # a store's zone unless it names another
DAY_MS = 86_400_000


def zone(name: str | None = None) -> ZoneInfo:
    """The named time zone, or the default stores' zone."""
    return ZoneInfo(name or DEFAULT_ZONE)


def local_today(zone_name: str | None = None) -> date:
    """Today's date in the zone (the default stores' zone when none is given)."""
    return local_date(datetime.now(UTC), zone_name)


def local_date(at: datetime, zone_name: str | None = None) -> date:
    """The date in the zone (the default stores' zone when none is given) at the moment."""
    return at.astimezone(zone(zone_name)).date()
