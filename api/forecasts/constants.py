"""Forecast vocabularies and limits."""

from __future__ import annotations

from typing import Literal

from api.types import values_of

RunKind = Literal["sales", "parts", "churn"]
RUN_KINDS = values_of(RunKind)
SALES_MONTHS_AHEAD = 6
PARTS_WEEKS_AHEAD = 8
PARTS_HISTORY_WEEKS = 104
CHURN_HORIZON_DAYS = 365  # churned: no visit within this long after the snapshot
SURVEY_SCALE = 10  # CSI and NPS answers are 1-10; the churn model reads CSI on 0-100
