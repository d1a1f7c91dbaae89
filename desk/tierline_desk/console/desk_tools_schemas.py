"""Request and response models of the console's macros, internal notes and notifications.

Kept apart from schemas.py (tickets, money actions, follow-ups) so each concern's models sit
together; docs/console-api.md describes the routes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..schemas import UtcDateTime
from .schemas import AgentOut

MacroRole = Literal["associate", "supervisor", "specialist"]
MacroTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
MacroBody = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
NotificationId = Annotated[int, Field(ge=1, le=2**31 - 1)]
NoteBody = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- macros


class MacroIn(_In):
    title: MacroTitle
    body: MacroBody
    roles: Annotated[list[MacroRole], Field(min_length=1, max_length=3)]


class MacroOut(BaseModel):
    id: int
    title: str
    body: str
    roles: list[str]
    created_by: str
    updated_by: str
    created_at: UtcDateTime
    updated_at: UtcDateTime


class MacroListOut(BaseModel):
    macros: list[MacroOut]
    placeholders: dict[str, str]  # name -> what fills it
    can_manage: bool


class MacroDeletedOut(BaseModel):
    deleted: int
    title: str


class FilledMacroOut(BaseModel):
    """A macro filled from one ticket's or case's card; ``text`` is None when a value is
    missing (``missing`` names them, ``message`` says why it cannot be inserted)."""

    id: int
    title: str
    body: str
    text: str | None
    missing: list[str]
    message: str | None


class FilledMacrosOut(BaseModel):
    macros: list[FilledMacroOut]


# ---------------------------------------------------------------- internal notes


class NoteIn(_In):
    body: NoteBody


class NoteOut(BaseModel):
    id: int
    ticket_number: str | None
    case_number: str | None
    author: AgentOut
    body: str
    mentioned: list[str]
    created_at: UtcDateTime


class NotesOut(BaseModel):
    notes: list[NoteOut]


class UnnotifiedMention(BaseModel):
    username: str
    reason: str


class NoteCreatedOut(BaseModel):
    note: NoteOut
    notified: list[str]
    not_notified: list[UnnotifiedMention]


# ---------------------------------------------------------------- notifications


class NotificationOut(BaseModel):
    id: int
    kind: Literal["mention"]
    from_agent: str
    from_name: str
    ticket_number: str | None
    case_number: str | None
    excerpt: str
    created_at: UtcDateTime
    read: bool


class NotificationsOut(BaseModel):
    unread: int
    notifications: list[NotificationOut]


class NotificationsReadIn(_In):
    ids: (
        Annotated[list[Annotated[int, Field(ge=1, le=2**31 - 1)]], Field(max_length=200)] | None
    ) = None
