"""Request and response shapes of /api/v1, declared once (pydantic → validation + OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocationIn(Strict):
    """A location as sent by a client; unknown fields are refused."""

    name: str = Field(min_length=1, max_length=120)
    address: str = Field(default="", max_length=300)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    timezone: str | None = Field(default=None, max_length=64, description="IANA zone name")
    screen_width: int = Field(gt=0, le=16384)
    screen_height: int = Field(gt=0, le=16384)
    orientation: Literal["landscape", "portrait"] | None = None
    operating_hours: dict[Weekday, str | None] | None = Field(
        default=None,
        description="Window per weekday like '06:00-23:00' (may cross midnight); null = dark",
    )
    tags: list[str] = Field(default_factory=list, max_length=50)


class LocationOut(BaseModel):
    id: int
    name: str
    address: str
    latitude: float | None
    longitude: float | None
    timezone: str
    screen_width: int
    screen_height: int
    orientation: Literal["landscape", "portrait"]
    operating_hours: dict[Weekday, str | None]
    tags: list[str]


class LocationList(BaseModel):
    items: list[LocationOut]


class Me(BaseModel):
    id: int
    username: str
    display_name: str
    roles: list[str]


class AuditQuery(Strict):
    actor: str | None = Field(default=None, max_length=80)
    object_type: str | None = Field(default=None, max_length=40)
    action: str | None = Field(default=None, max_length=80)
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=10**9)


class AuditEventOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, object] | None
    after: dict[str, object] | None
    reason: str
    prev_hash: str
    hash: str


class AuditList(BaseModel):
    items: list[AuditEventOut]


class Problem(BaseModel):
    """Every 4xx answer of the API."""

    error: str
    reason: str
    field: str | None = None
