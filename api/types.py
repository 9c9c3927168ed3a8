"""Field and parameter types shared by every domain's schemas and routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

MAX_ID = 2**63 - 1  # BIGINT: a larger id could never exist, and must be a 422, not a 500

DbId = Annotated[int, Field(ge=1, le=MAX_ID, examples=[1])]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Search = Annotated[str | None, Query(max_length=100, description="Text to search for")]
