"""API models of auth: tokens, users, stores."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.auth.roles import Role
from api.pagination import Page
from api.types import DbId, Email


class TokenPair(BaseModel):
    """What login and refresh return (OAuth2 bearer tokens)."""

    access_token: str
    refresh_token: str
    token_type: str = Field(default="bearer", examples=["bearer"])
    expires_at: datetime = Field(description="When the access token stops working")
    refresh_expires_at: datetime


class RefreshRequest(BaseModel):
    """A refresh token, to be exchanged for a new pair."""

    refresh_token: str = Field(
        min_length=10, max_length=2000, examples=["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2ln"]
    )


class StoreRead(BaseModel):
    """A store (门店)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    dealer_group_id: int
    code: str = Field(examples=["SH-PD"])
    name_zh: str = Field(examples=["上海浦东店"])
    name_en: str = Field(examples=["Shanghai Pudong"])
    city: str
    timezone: str


class UserBase(BaseModel):
    """Fields of a user that an admin sets."""

    username: str = Field(
        min_length=3, max_length=60, pattern=r"^[a-z0-9_.\-]+$", examples=["advisor.pd"]
    )
    full_name: str = Field(min_length=1, max_length=100, examples=["王建国"])
    role: Role
    email: Email | None = Field(
        default=None,
        examples=["wang.jianguo@example.cn"],
        description="Staff only: where business alarms are mailed (customers: on their record)",
    )


class UserCreate(UserBase):
    """A new user. Staff need store_ids; a customer account needs customer_id."""

    password: str = Field(min_length=8, max_length=128, examples=["change-me-2026"])
    store_ids: list[DbId] = Field(default_factory=list, max_length=50)
    customer_id: DbId | None = None


class UserRead(UserBase):
    """A user as others see it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    dealer_group_id: int
    is_active: bool
    customer_id: int | None
    store_ids: list[int] = Field(
        description="Stores the user is assigned to; an admin sees every store of the group"
    )
    created_at: datetime


UserPage = Page[UserRead]


class ProfileUpdate(BaseModel):
    """What staff change of their own account."""

    email: Email | None = Field(
        examples=["wang.jianguo@example.cn"],
        description="Where business alarms reach you; null: none",
    )


class UserUpdate(BaseModel):
    """What an admin changes of a user; absent fields stay as they are."""

    full_name: str | None = Field(default=None, min_length=1, max_length=100, examples=["王建国"])
    email: Email | None = Field(default=None, examples=["wang.jianguo@example.cn"])
