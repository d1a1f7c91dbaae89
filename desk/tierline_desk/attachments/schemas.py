"""The attachment as every door shows it (the chat, the console): facts and signed links."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class AttachmentOut(BaseModel):
    id: str
    kind: Literal["image", "pdf"]
    name: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    order_number: str | None
    sku: str | None
    url: str
    thumbnail_url: str | None
