"""Feedback constants: survey and complaint states, the survey's validity, token and questions."""

from __future__ import annotations

from typing import Literal

from api.types import values_of

ComplaintStatus = Literal["open", "in_progress", "resolved", "closed"]
COMPLAINT_STATES = values_of(ComplaintStatus)
SurveyStatus = Literal["pending", "answered", "expired"]
SURVEY_STATES = values_of(SurveyStatus)

SURVEY_VALID_DAYS = 14
LOW_SCORE = 6  # a CSI or NPS answer at or below this opens a complaint
SURVEY_TOKEN_BYTES = 24
# What the customer is asked behind the survey link.
SURVEY_QUESTIONS = {
    "csi": "您对本次服务的满意程度(1-10)? How satisfied are you with this service (1-10)?",
    "nps": "您向亲友推荐本店的可能性(0-10)? How likely are you to recommend us (0-10)?",
}
