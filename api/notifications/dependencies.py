"""Notification route dependencies: the customer account the inbox belongs to."""

from __future__ import annotations

from api.deps import CurrentUser

CustomerUser = CurrentUser
