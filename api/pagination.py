"""Paged lists: the Page[T] response model, the limit/offset query parameters, and the query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Select, String, cast, func, or_, select
from sqlalchemy.orm import Session

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200  # one page stays small enough to render and to serialise quickly
MAX_OFFSET = 1_000_000  # deeper than any dealer list; bounds the cost of OFFSET scans


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total count of matching records."""

    model_config = ConfigDict(from_attributes=True)

    items: list[T]
    total: int = Field(ge=0, description="Records matching the filters, over all pages")
    limit: int = Field(ge=1, le=MAX_LIMIT)
    offset: int = Field(ge=0)


@dataclass(frozen=True)
class PageParams:
    """Which page the caller wants."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Records per page")] = (
        DEFAULT_LIMIT
    ),
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Records to skip")] = 0,
) -> PageParams:
    """The limit/offset query parameters of a list endpoint."""
    return PageParams(limit=limit, offset=offset)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


@dataclass
class Paged(Generic[T]):
    """A page of ORM rows as a service returns it; routers validate it into a Page[XRead]."""

    items: list[T]
    total: int
    limit: int
    offset: int


def paginate(
    session: Session, stmt: Select[Any], page: PageParams, *, scalars: bool = True
) -> Paged[Any]:
    """Run the filtered, ordered statement for one page, and count all its matches in SQL.

    With scalars=False the items are whole rows (for statements selecting several things).
    """
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    paged = stmt.limit(page.limit).offset(page.offset)
    rows = session.scalars(paged).all() if scalars else session.execute(paged).all()
    return Paged(items=list(rows), total=total or 0, limit=page.limit, offset=page.offset)


def where_given(stmt: Select[Any], *filters: tuple[Any, Any]) -> Select[Any]:
    """The statement narrowed to column == value for each (column, value) whose value is given."""
    for column, value in filters:
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt


def search_clause(term: str, *columns: Any) -> ColumnElement[bool]:
    """Case-insensitive 'contains' over several columns, for a list's `q` filter."""
    pattern = f"%{escape_like(term.strip())}%"
    return or_(*(cast(c, String).ilike(pattern, escape="\\") for c in columns))


def escape_like(text: str) -> str:
    """The text with LIKE wildcards escaped, so that a search for '50%' means that."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
