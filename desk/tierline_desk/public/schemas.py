"""The public door: request and response models of the web chat and the store's signed events."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    conversation_id: Annotated[str, Field(max_length=64)] | None = None
    token: Annotated[str, Field(max_length=200)] | None = None
    identity: Annotated[str, Field(max_length=500)] | None = None


class CustomerCard(BaseModel):
    name: str
    first_name: str


class SessionOut(BaseModel):
    conversation_id: str
    token: str | None
    customer: CustomerCard | None
    resumed: bool


class StoreEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event: str = Field(min_length=1, max_length=100)
    id: str | None = Field(default=None, max_length=100)
    order_id: str | None = Field(default=None, max_length=100)


class StoreEventOut(BaseModel):
    event: str
    order_id: str | None
    order_number: str | None


class InboundMailOut(BaseModel):
    status: Literal["threaded", "quarantined", "duplicate"]
    message_id: str
    reason: str | None = Field(description="why it was quarantined (docs/email.md)")
    case_number: str | None
