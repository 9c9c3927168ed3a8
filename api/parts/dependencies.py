"""Parts route dependencies: who may read stock, reserve it, and write it; a report's period."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from api.deps import CurrentUser
from api.types import Day

StockReader = CurrentUser
Reserver = CurrentUser
PartsWriter = CurrentUser

DateFrom = Annotated[Day, Query(description="First day of the period")]
DateTo = Annotated[Day, Query(description="Day after the period")]
